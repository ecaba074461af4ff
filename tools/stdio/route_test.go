package stdio

import (
	"encoding/json"
	"testing"
)

// routeSeeds are messages as clients send them, and some they should not.
var routeSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":"}\\"{"}}}`,
	`{"jsonrpc":"2.0","id":"s-1","result":{"action":"accept"}}`,
	`{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}}`,
	`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
	` { "id" : null , "method" : "ping" } `,
	`{"id":1,"id":2,"method":"a\u0062c"}`,
	`{"method":"x","params":[1,{"a":[]},"]"]}`,
	`{}`, `[]`, `{"id":}`, `{"id":1,}`, `{"i\u0064":1}`, `not json`, `{"id":1}garbage`,
}

// FuzzRouteAgreesWithEncodingJSON: on every well-formed object route
// accepts, it reads the id, method and result encoding/json reads; route
// never panics.
func FuzzRouteAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range routeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		env, ok := route(msg)
		if !ok || !json.Valid(msg) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(msg, &m) != nil {
			t.Fatalf("route accepted %q, which is not an object", msg)
		}
		var method string
		if raw, there := m["method"]; there && json.Unmarshal(raw, &method) != nil {
			t.Fatalf("route accepted a method that is not a string: %q", msg)
		}
		_, hasError := m["error"]
		if string(env.ID) != string(m["id"]) || env.Method != method || string(env.Result) != string(m["result"]) || env.hasError != hasError {
			t.Fatalf("route read %q as id=%s method=%q result=%s error=%v; encoding/json: id=%s method=%q result=%s error=%v",
				msg, env.ID, env.Method, env.Result, env.hasError, m["id"], method, m["result"], hasError)
		}
	})
}
