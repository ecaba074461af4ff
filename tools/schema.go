package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/invopop/jsonschema"
)

// idMarker in a field's tag ("pattern=id") makes it a Basiq id: advertised
// with basiq.IDPattern and checked by basiq.ValidateID, the one id check.
const idMarker = "id"

// reflector turns Params and result structs into JSON Schema: inline (no
// $defs), closed objects, required unless the field has omitempty.
var reflector = &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, Anonymous: true}

// shallow is the reflector with every struct below root taken as an
// object without its fields, which lean drops: the few types reflect
// gives a format or a schema of their own are left to it.
func shallow(root reflect.Type) *jsonschema.Reflector {
	r := *reflector
	r.Mapper = func(t reflect.Type) *jsonschema.Schema {
		if t == root || t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() || t == reflect.TypeFor[url.URL]() ||
			t.Implements(customSchema) || reflect.PointerTo(t).Implements(customSchema) {
			return nil
		}
		return &jsonschema.Schema{Type: "object"}
	}
	return &r
}

// customSchema is the interface of a type that gives its own schema.
var customSchema = reflect.TypeFor[interface{ JSONSchema() *jsonschema.Schema }]()

// reflected holds each parameter or result type's schema: reflection was
// a quarter of start-up, so it is done once (WarmSchemas does it beside the
// rest of the start). The schemas are only read once built.
var reflected sync.Map // reflect.Type -> reflectedSchema

type reflectedSchema struct {
	schema *jsonschema.Schema
	raw    json.RawMessage
}

// schemaOf reflects T once, at start-up. A struct that does not reflect to an
// object schema is a programming error, so it panics there, never at call time.
func schemaOf[T any]() (*jsonschema.Schema, json.RawMessage) {
	if r, ok := reflected.Load(reflect.TypeFor[T]()); ok {
		return r.(reflectedSchema).schema, r.(reflectedSchema).raw
	}
	s, raw := reflectSchema[T]()
	reflected.Store(reflect.TypeFor[T](), reflectedSchema{s, raw})
	return s, raw
}

// outputs holds each result type's output schema as tools/list sends it
// (lean): encoding it is most of what building the inventory costs.
var outputs sync.Map // reflect.Type -> json.RawMessage

func outputSchemaOf[R any]() json.RawMessage {
	if raw, ok := outputs.Load(reflect.TypeFor[R]()); ok {
		return raw.(json.RawMessage)
	}
	// Only the lean form is sent, so with nothing below the top level
	// spelled out nothing below it is reflected (shallow): the full schemas
	// of deep row types were most of the start's CPU.
	r := reflector
	if outputDepth == 0 {
		r = shallow(reflect.TypeFor[R]())
	}
	raw := appendLean(nil, reflectObject[R](r), outputDepth+1)
	outputs.Store(reflect.TypeFor[R](), json.RawMessage(raw))
	return raw
}

// WarmSchemas reflects and encodes every tool's schemas, so that the
// server's start, run meanwhile, finds them done: call it on its own
// goroutine first thing.
func WarmSchemas() {
	Inventory(&Deps{SearchDocs: func(string, int) []DocHit { return nil },
		SandboxConsent: func(context.Context, string, SandboxLogin) (string, []string, error) { return "", nil, nil }})
}

// reflectObject reflects T with r; T must reflect to an object schema.
func reflectObject[T any](r *jsonschema.Reflector) *jsonschema.Schema {
	s := r.Reflect(new(T))
	if s.Type != "object" {
		panic(fmt.Sprintf("tools: %s must reflect to an object schema, got %q", reflect.TypeFor[T](), s.Type))
	}
	if s.Properties == nil || s.Properties.Len() == 0 {
		s.Properties = jsonschema.NewProperties() // MCP clients expect "properties" even when empty
	}
	s.Version = "" // MCP reads a schema without $schema as 2020-12, which this is; 58 bytes a tool saved
	return s
}

// reflectSchema reflects an argument type T and encodes the schema a
// client reads.
func reflectSchema[T any]() (*jsonschema.Schema, json.RawMessage) {
	s := reflectObject[T](reflector)
	// An id ("pattern=id") is checked by basiq.ValidateID alone; the schema a
	// client reads leaves the pattern out (about 700 bytes of tools/list).
	// A long length limit on free text (a name, a query, a cursor) guards
	// the server and tells a model nothing; decoding enforces it, and the
	// schema a client reads leaves it out too (about 240 bytes).
	var ids []*jsonschema.Schema
	guards := map[*jsonschema.Schema]*uint64{}
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		v := p.Value
		if v.Pattern == idMarker {
			v.Pattern = ""
			ids = append(ids, v)
		}
		if v.Type == "string" && v.MaxLength != nil && *v.MaxLength >= freeTextLimit && v.Pattern == "" && len(v.Enum) == 0 && v.Format == "" {
			guards[v], v.MaxLength = v.MaxLength, nil
		}
	}
	raw, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("tools: %s: %v", reflect.TypeFor[T](), err))
	}
	for _, id := range ids {
		id.Pattern = basiq.IDPattern // decoding still knows it is an id
	}
	for v, limit := range guards {
		v.MaxLength = limit
	}
	return s, raw
}

// freeTextLimit is the shortest length limit on free text that guards the
// server rather than shapes an argument (a report title's 50 does).
const freeTextLimit = 64

// outputDepth is how many levels of nesting an output schema spells out.
// Every byte of tools/list is taken from the model's context, and a model
// learns the fields of a list item from the first result it reads, so an
// output schema names and types the top-level fields and the fields of
// objects directly under them; arrays of objects are typed, not spelled out.
const outputDepth = 0

// appendLean writes an output schema as tools/list sends it, field names
// and types only: no descriptions, no required lists, no closed objects,
// nothing below depth but the type (an array is typed, its items are not).
// A result's values are read in the result; their vocabulary would cost
// every context. The bytes are those encoding/json gives invopop's Schema
// (members in its field order; a schema of nothing is true), written here
// because its nested encoders were a large share of the start.
func appendLean(b []byte, s *jsonschema.Schema, depth int) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	open := len(b)
	b = append(b, '{')
	if s.Items != nil && depth > 1 {
		b = appendLean(append(b, `"items":`...), s.Items, depth-1)
	}
	if s.Properties != nil && depth > 0 {
		if len(b) > open+1 {
			b = append(b, ',')
		}
		b = append(b, `"properties":{`...)
		for p := s.Properties.Oldest(); p != nil; p = p.Next() {
			if p != s.Properties.Oldest() {
				b = append(b, ',')
			}
			key, _ := json.Marshal(p.Key)
			b = appendLean(append(append(b, key...), ':'), p.Value, depth-1)
		}
		b = append(b, '}')
	}
	if s.Type != "" {
		if len(b) > open+1 {
			b = append(b, ',')
		}
		typ, _ := json.Marshal(s.Type)
		b = append(append(b, `"type":`...), typ...)
	}
	if len(b) == open+1 {
		return append(b[:open], "true"...)
	}
	return append(b, '}')
}
