package basiq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// DecodeError is a 2xx response whose body could not be read as the value
// Basiq documents, even leniently. Basiq answered, so it is not an outage:
// it never counts against the circuit breaker and is never retried.
type DecodeError struct {
	Method, Path string
	Err          error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("basiq: %s %s: malformed response body: %v", e.Method, e.Path, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// IsDecodeError reports whether err is a 2xx body that could not be read.
func IsDecodeError(err error) bool {
	var e *DecodeError
	return errors.As(err, &e)
}

// Skipped is one record of a list page that could not be read; the rest of
// the page is still returned.
type Skipped struct {
	Index  int    // position in the page's data array
	ID     string // the record's id, when it had a readable one
	Reason string
}

// decodeLenient reads body into out. The strict decoder runs first, so a
// well-formed body costs nothing extra. When it refuses a shape that Basiq's
// published files allow (their examples put numbers in string fields, an
// object's class as a bare string, a step result inside a one-element
// array), the JSON is coerced to out's Go type field by field and decoded
// again. A value that cannot be coerced is left at its zero value.
func decodeLenient(body []byte, out any) error {
	if p, ok := out.(strictPage); ok && p.decodeStrict(body) {
		return nil // a well-formed page: one pass, as a plain json.Unmarshal
	}
	return decodeTolerant(body, out)
}

// decodeTolerant is decodeLenient without the one-pass page reading.
func decodeTolerant(body []byte, out any) error {
	strictErr := json.Unmarshal(body, out)
	if strictErr == nil {
		return nil
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return strictErr // not JSON at all
	}
	t := reflect.TypeOf(out)
	if t.Kind() != reflect.Pointer {
		return strictErr
	}
	if _, isObject := generic.(map[string]any); !isObject && t.Elem().Kind() == reflect.Struct {
		return strictErr // a whole resource must at least be an object
	}
	fixed, err := json.Marshal(coerce(generic, t.Elem()))
	if err != nil {
		return strictErr
	}
	if err := json.Unmarshal(fixed, out); err != nil {
		return fmt.Errorf("%w (after coercion: %v)", strictErr, err)
	}
	return nil
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
)

// coerce returns v reshaped to suit type t: the value encoding/json would
// accept for t, or nil where nothing sensible can be made of v.
func coerce(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return v
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return coerceCustom(v, t)
	}
	switch t.Kind() {
	case reflect.String:
		return coerceString(v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return coerceNumber(v, t)
	case reflect.Bool:
		return coerceBool(v)
	case reflect.Struct:
		return coerceStruct(v, t)
	case reflect.Slice, reflect.Array:
		items, ok := v.([]any)
		if !ok {
			items = []any{v} // one object where a list was documented
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			out = append(out, coerce(it, t.Elem()))
		}
		return out
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return nil
		}
		out := make(map[string]any, len(m))
		for k, val := range m {
			if c := coerce(val, t.Elem()); c != nil {
				out[k] = c
			}
		}
		return out
	}
	return nil
}

// coerceCustom keeps v for a type with its own decoder (Time, List) when
// that decoder accepts it, and drops it otherwise.
func coerceCustom(v any, t reflect.Type) any {
	if t.Kind() == reflect.Struct {
		if _, isObject := v.(map[string]any); isObject {
			v = coerceStruct(v, t) // a List: coerce its fields, the records decode themselves
		}
	}
	b, err := json.Marshal(v)
	if err != nil || json.Unmarshal(b, reflect.New(t).Interface()) != nil {
		return nil
	}
	return v
}

// coerceString accepts numbers and booleans as their text, the id of an
// object that names one, and the only element of a one-element list.
func coerceString(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		for _, k := range []string{"id", "href", "url"} {
			if s, ok := x[k].(string); ok {
				return s
			}
		}
	case []any:
		if len(x) == 1 {
			return coerceString(x[0])
		}
	}
	return nil
}

func coerceNumber(v any, t reflect.Type) any {
	var n json.Number
	switch x := v.(type) {
	case json.Number:
		n = x
	case string:
		n = json.Number(strings.TrimSpace(x))
	default:
		return nil
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		if _, err := n.Float64(); err != nil {
			return nil
		}
	default:
		if _, err := n.Int64(); err != nil {
			f, ferr := n.Float64()
			if ferr != nil {
				return nil
			}
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
	}
	return n
}

func coerceBool(v any) any {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b
		}
	case json.Number:
		return x.String() != "0"
	}
	return nil
}

// coerceStruct reshapes an object field by field. A one-element list stands
// for its element (Basiq's v3 migration guide shows a job step's result that
// way); a bare string stands for the first string field (an account's class
// given as "savings" instead of {"type": "savings", …}).
func coerceStruct(v any, t reflect.Type) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil
		}
		return coerceStruct(x[0], t)
	case string, json.Number:
		if f, ok := firstStringField(t); ok {
			return map[string]any{f: coerceString(x)}
		}
		return nil
	case map[string]any:
		fields := fieldsOf(t)
		out := make(map[string]any, len(x))
		for k, val := range x {
			f, ok := fields[strings.ToLower(k)]
			if !ok {
				continue
			}
			if c := coerce(val, f.typ); c != nil {
				out[f.name] = c
			}
		}
		return out
	}
	return nil
}

type jsonField struct {
	name string
	typ  reflect.Type
}

var fieldCache sync.Map // reflect.Type -> map[string]jsonField

// fieldsOf maps the lower-cased JSON name of each field of t to the field,
// matching keys the way encoding/json does (case-insensitively).
func fieldsOf(t reflect.Type) map[string]jsonField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]jsonField)
	}
	m := map[string]jsonField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[strings.ToLower(name)] = jsonField{name: name, typ: f.Type}
	}
	fieldCache.Store(t, m)
	return m
}

func firstStringField(t reflect.Type) (string, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.String {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				return name, true
			}
		}
	}
	return "", false
}

// countOf reads a count that may come as a number or a numeric string.
func countOf(raw json.RawMessage) int {
	var n json.Number
	if c, ok := coerceNumber(rawToAny(raw), reflect.TypeFor[int]()).(json.Number); ok {
		n = c
	}
	i, _ := n.Int64()
	return int(i)
}

func rawToAny(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

// idOf returns a record's id, if it has a readable one, for a Skipped entry.
func idOf(raw json.RawMessage) string {
	var rec struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(raw, &rec) != nil {
		return ""
	}
	if s, ok := coerceString(rec.ID).(string); ok && ValidateID("id", s) == nil {
		return s
	}
	return ""
}
