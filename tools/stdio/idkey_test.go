package stdio

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestIDKeyIsTheDecodedID: the key read without decoding, for plain
// strings and numbers, is the key decoding gives, for ids of every form.
func TestIDKeyIsTheDecodedID(t *testing.T) {
	decoded := func(raw json.RawMessage) string {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return "s:" + s
		}
		return "n:" + string(bytes.TrimSpace(raw))
	}
	for _, raw := range []string{`1`, `0`, `-3`, `1.5`, `1e3`, ` 7 `, `"a"`, `""`, `"7"`, `"a\"b"`, `"\u0041"`, `"é"`,
		`"tab\t"`, ` "x" `, `null`, `true`, `{}`, `[]`, `"unterminated`, `-`, ``} {
		if got, want := IDKey(json.RawMessage(raw)), decoded(json.RawMessage(raw)); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}

// TestArgumentsMapIsTheDecodedMap: the arguments map built member by
// member is the map json.Unmarshal gives, and refuses what it refuses.
func TestArgumentsMapIsTheDecodedMap(t *testing.T) {
	for _, raw := range []string{`{}`, `{"a":"x"}`, `{"a":"x","a":"y"}`, `{"n":1,"f":1.5,"e":1e2,"neg":-2}`,
		`{"s":"é","t":"a\"b","u":"\u0041"}`, `{"o":{"k":[1,"2",null]},"b":true,"z":null}`, ` { "sp" : "v" } `,
		`{"esc\u0061ped":"k"}`, `{"a":tru}`, `{"a":"x",}`, `{"a" "x"}`, `{"a":"x"} trailing`, `{"a":01}`} {
		var want map[string]any
		wantErr := json.Unmarshal([]byte(raw), &want) != nil
		got, ok := argumentsMap(json.RawMessage(raw))
		if ok == wantErr {
			t.Errorf("%s: ok %v, json.Unmarshal error %v", raw, ok, wantErr)
			continue
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %#v, want %#v", raw, got, want)
		}
	}
}
