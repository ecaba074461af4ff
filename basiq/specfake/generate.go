package specfake

import (
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// generator builds one JSON value from a schema the way a documentation
// reader would: each field's own example when it has one (this is where the
// files' numbers in string fields come from), else the first enum value,
// else a plain value of the declared type.
type generator struct {
	requiredOnly bool // only the properties a schema requires
	alternative  int  // which branch of each oneOf/anyOf (clamped)
}

// maxDepth stops recursive schemas.
const maxDepth = 12

func (g generator) value(ref *openapi3.SchemaRef, name string, depth int) any {
	if ref == nil || ref.Value == nil || depth > maxDepth {
		return nil
	}
	s := ref.Value
	if alts := append(append([]*openapi3.SchemaRef{}, s.OneOf...), s.AnyOf...); len(alts) > 0 {
		return g.value(alts[min(g.alternative, len(alts)-1)], name, depth+1)
	}
	if len(s.AllOf) > 0 {
		merged := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := g.value(part, name, depth+1).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	if s.Example != nil {
		return s.Example
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch {
	case s.Type.Is("object") || s.Type == nil && len(s.Properties) > 0:
		return g.object(s, depth)
	case s.Type.Is("array"):
		if s.Items == nil {
			return []any{}
		}
		return []any{g.value(s.Items, name, depth+1)}
	case s.Type.Is("integer"):
		return 3
	case s.Type.Is("number"):
		return 1.5
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("string"):
		return stringFor(s.Format, name)
	}
	return nil
}

func (g generator) object(s *openapi3.Schema, depth int) map[string]any {
	out := map[string]any{}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if g.requiredOnly && !required[n] {
			continue
		}
		out[n] = g.value(s.Properties[n], n, depth+1)
	}
	return out
}

// stringFor is a plain value for a string of the given format. Ids are short
// hex strings, as in Basiq's own examples.
func stringFor(format, name string) string {
	switch format {
	case "date-time":
		return "2024-03-01T10:00:00Z"
	case "date":
		return "2024-03-01"
	case "email":
		return "gavin@hooli.com"
	case "uri", "url":
		return "https://au-api.basiq.io/users/ea3a81"
	}
	switch name {
	case "id", "userId", "connection", "account", "institution":
		return "ea3a81"
	}
	return "text"
}

// countAlternatives is the largest number of branches of any oneOf/anyOf
// reachable from ref, so that each branch is generated at least once.
func countAlternatives(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) int {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return 0
	}
	s := ref.Value
	seen[s] = true
	n := max(len(s.OneOf), len(s.AnyOf))
	for _, group := range [][]*openapi3.SchemaRef{s.OneOf, s.AnyOf, s.AllOf, {s.Items}} {
		for _, r := range group {
			n = max(n, countAlternatives(r, seen))
		}
	}
	for _, p := range s.Properties {
		n = max(n, countAlternatives(p, seen))
	}
	return n
}
