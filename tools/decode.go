package tools

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/invopop/jsonschema"
)

// argError is a bad argument: the message names it and what is allowed.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func badArg(format string, a ...any) error { return &argError{fmt.Sprintf(format, a...)} }

// decodeArgs checks args against the tool's input schema (unknown keys,
// required keys, types, enums, bounds, patterns, dates) and decodes them into
// out. Every failure names the argument and what would be accepted. raw,
// when given, is the JSON args was read from: out is read from it straight
// away, instead of encoding args again (a null leaves a Go value as it is,
// as leaving the key out does).
func decodeArgs(args map[string]any, raw json.RawMessage, s *jsonschema.Schema, out any) error {
	clean := make(map[string]any, len(args))
	for k, v := range args {
		prop, ok := s.Properties.Get(k)
		if !ok {
			return badArg("unknown argument %q; this tool takes: %s", text.Truncate(k, 40), strings.Join(propNames(s), ", "))
		}
		if v == nil { // a null is taken as "not given"
			continue
		}
		if err := checkValue(k, prop, v); err != nil {
			return err
		}
		clean[k] = v
	}
	for _, r := range s.Required {
		if _, ok := clean[r]; !ok {
			prop, _ := s.Properties.Get(r)
			if prop.Description == "" {
				return badArg("missing required argument %q (%s)", r, patternHint(prop))
			}
			return badArg("missing required argument %q: %s", r, text.FirstSentence(prop.Description))
		}
	}
	if len(raw) > 0 {
		// The keys were checked above, from these same bytes. A value the
		// map read as a number Go's ints refuse (1.0, 1e2) fails here and
		// takes the longer way, as before.
		if json.Unmarshal(raw, out) == nil {
			return nil
		}
		reflect.ValueOf(out).Elem().SetZero()
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return badArg("arguments are not valid JSON: %v", err)
	}
	// Unknown keys were refused above, against the same schema the struct
	// reflects to, so a plain Unmarshal is enough.
	if err := json.Unmarshal(b, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badArg("argument %q must be %s", te.Field, te.Type.String())
		}
		return badArg("arguments could not be read: %v", err)
	}
	return nil
}

func propNames(s *jsonschema.Schema) []string {
	var names []string
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		names = append(names, p.Key)
	}
	if len(names) == 0 {
		return []string{"(no arguments)"}
	}
	return names
}

// checkValue validates one value against its property schema.
func checkValue(name string, p *jsonschema.Schema, v any) error {
	switch p.Type {
	case "string":
		s, ok := v.(string)
		if !ok {
			return badArg("argument %q must be a string, got %s", name, jsonKind(v))
		}
		return checkString(name, p, s)
	case "integer", "number":
		f, ok := v.(float64)
		if !ok {
			kind := "a number"
			if p.Type == "integer" {
				kind = "a whole number"
			}
			return badArg("argument %q must be %s, got %s", name, kind, jsonKind(v))
		}
		if p.Type == "integer" && f != math.Trunc(f) {
			return badArg("argument %q must be a whole number, got %v", name, f)
		}
		return checkBounds(name, p, f)
	case "boolean":
		if _, ok := v.(bool); !ok {
			return badArg("argument %q must be true or false, got %s", name, jsonKind(v))
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return badArg("argument %q must be a list, got %s", name, jsonKind(v))
		}
		if p.MaxItems != nil && uint64(len(items)) > *p.MaxItems {
			return badArg("argument %q takes at most %d items, got %d", name, *p.MaxItems, len(items))
		}
		if p.MinItems != nil && uint64(len(items)) < *p.MinItems {
			return badArg("argument %q needs at least %d items", name, *p.MinItems)
		}
		for i, item := range items {
			if err := checkValue(fmt.Sprintf("%s[%d]", name, i), p.Items, item); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkString(name string, p *jsonschema.Schema, s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case len(p.Enum) > 0 && !slices.Contains(p.Enum, any(s)):
		return badArg("argument %q must be one of %s, got %q", name, enumList(p.Enum), text.Truncate(s, 40))
	case p.MaxLength != nil && uint64(n) > *p.MaxLength:
		return badArg("argument %q is too long (%d characters, at most %d)", name, n, *p.MaxLength)
	case p.MinLength != nil && n == 0 && *p.MinLength == 1:
		return badArg("argument %q must not be empty", name)
	case p.MinLength != nil && uint64(n) < *p.MinLength:
		return badArg("argument %q is too short (%d of at least %d characters)", name, n, *p.MinLength)
	case p.Format == "date":
		if _, ok := parseDay(s); !ok {
			return badArg("argument %q must be a date as YYYY-MM-DD (or RFC 3339), got %q", name, text.Truncate(s, 40))
		}
	}
	if p.Pattern == basiq.IDPattern {
		if err := basiq.ValidateID(fmt.Sprintf("argument %q", name), s); err != nil {
			return badArg("%s; copy ids from the tool that returned them", strings.TrimPrefix(err.Error(), "basiq: "))
		}
		return nil
	}
	if p.Pattern != "" && !compiled(p.Pattern).MatchString(s) {
		return badArg("argument %q has an invalid value %q (%s)", name, text.Truncate(s, 40), patternHint(p))
	}
	return nil
}

// patternHint says what a pattern allows: the argument's own description
// when it has one, in words for ids, otherwise the pattern itself.
func patternHint(p *jsonschema.Schema) string {
	switch {
	case p.Description != "":
		return text.FirstSentence(p.Description)
	case p.Pattern == basiq.IDPattern:
		return "an id has only letters, digits, '_', '.' and '-': copy it from the tool that returned it"
	}
	return "it must match " + p.Pattern
}

func checkBounds(name string, p *jsonschema.Schema, f float64) error {
	if p.Minimum != "" {
		if min, _ := p.Minimum.Float64(); f < min {
			return badArg("argument %q must be at least %v, got %v", name, min, f)
		}
	}
	if p.Maximum != "" {
		if max, _ := p.Maximum.Float64(); f > max {
			return badArg("argument %q must be at most %v, got %v", name, max, f)
		}
	}
	return nil
}

func enumList(values []any) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%q", v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

var patterns sync.Map // pattern -> *regexp.Regexp

func compiled(p string) *regexp.Regexp {
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(p)
	patterns.Store(p, re)
	return re
}

// parseDay reads a day as YYYY-MM-DD or, as the instructions allow, an RFC
// 3339 time (its UTC day); the zero time for "".
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(24 * time.Hour), true
	}
	return time.Time{}, false
}
