// Package specfake is test support: a Basiq built from nothing but Basiq's
// published OpenAPI files (../shared/basiq/openapi), answering each request
// with a response example from those files or a response generated from the
// operation's schema. Our simulator was written with the same assumptions as
// our client, so only responses built from Basiq's own files can show where
// the client reads Basiq too narrowly.
//
// The package is imported by tests only; it keeps kin-openapi out of the
// binary, and the files stay in ../shared (they are never copied here).
package specfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// Files are the OpenAPI files of the Basiq products the client uses.
var Files = []string{"core.yml", "data.yml", "reports.yml"}

// Variant is one response an operation may give.
type Variant struct {
	Name string // "example:<name>", "schema", "schema-required" or "schema-alt-N"
	Body []byte // nil for a response without content
}

// Operation is one method and path of the published API with the responses
// built for it.
type Operation struct {
	Method, Path string // Path is the template, e.g. /users/{userId}
	Status       int    // the documented success status
	Variants     []Variant
	pattern      *regexp.Regexp
}

// Key names the operation as "METHOD /path/{template}".
func (o *Operation) Key() string { return o.Method + " " + o.Path }

// Spec holds every operation of the loaded files.
type Spec struct {
	Ops  []*Operation
	docs []*openapi3.T
}

// Enum returns the enum of a property of a named component schema, from
// whichever file defines it.
func (s *Spec) Enum(schema, property string) []string {
	for _, doc := range s.docs {
		ref := doc.Components.Schemas[schema]
		if ref == nil || ref.Value == nil || ref.Value.Properties[property] == nil {
			continue
		}
		var out []string
		for _, v := range ref.Value.Properties[property].Value.Enum {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	return nil
}

// Dir finds ../shared/basiq/openapi beside the repository that holds the
// working directory; ok is false when the files are not there.
func Dir() (dir string, ok bool) {
	wd, _ := os.Getwd()
	for d := wd; d != "/" && d != "."; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			spec := filepath.Join(filepath.Dir(d), "shared", "basiq", "openapi")
			_, err := os.Stat(filepath.Join(spec, "core.yml"))
			return spec, err == nil
		}
	}
	return "", false
}

// Load reads the files in dir and builds every operation's variants.
func Load(dir string) (*Spec, error) {
	s := &Spec{}
	for _, name := range Files {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("specfake: %s: %w", name, err)
		}
		s.docs = append(s.docs, doc)
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				o, err := build(method, path, op)
				if err != nil {
					return nil, fmt.Errorf("specfake: %s %s %s: %w", name, method, path, err)
				}
				if o != nil {
					s.Ops = append(s.Ops, o)
				}
			}
		}
	}
	// Literal segments before templated ones, so /reports/types is not read
	// as /reports/{id}.
	sort.SliceStable(s.Ops, func(i, j int) bool {
		return strings.Count(s.Ops[i].Path, "{") < strings.Count(s.Ops[j].Path, "{")
	})
	return s, nil
}

// Find returns the operation with this method and template, or nil.
func (s *Spec) Find(method, template string) *Operation {
	for _, o := range s.Ops {
		if o.Method == method && o.Path == template {
			return o
		}
	}
	return nil
}

// Match returns the operation a request for method and path reaches, or nil.
func (s *Spec) Match(method, path string) *Operation {
	for _, o := range s.Ops {
		if o.Method == method && o.pattern.MatchString(path) {
			return o
		}
	}
	return nil
}

var param = regexp.MustCompile(`\{[^}]+\}`)

func build(method, path string, op *openapi3.Operation) (*Operation, error) {
	status, resp := successResponse(op)
	if resp == nil {
		return nil, nil
	}
	quoted := regexp.QuoteMeta(path)
	quoted = param.ReplaceAllString(strings.ReplaceAll(quoted, `\{`, "{"), `[^/]+`)
	quoted = strings.ReplaceAll(quoted, `\}`, "")
	o := &Operation{Method: method, Path: path, Status: status, pattern: regexp.MustCompile("^" + quoted + "$")}
	mt := jsonContent(resp)
	if mt == nil {
		o.Variants = []Variant{{Name: "no-content"}}
		return o, nil
	}
	names := make([]string, 0, len(mt.Examples))
	for n := range mt.Examples {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ex := mt.Examples[n]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			if err := o.add("example:"+n, ex.Value.Value); err != nil {
				return nil, err
			}
		}
	}
	if mt.Example != nil {
		if err := o.add("example", mt.Example); err != nil {
			return nil, err
		}
	}
	if mt.Schema != nil {
		g := generator{}
		if err := o.add("schema", g.value(mt.Schema, "", 0)); err != nil {
			return nil, err
		}
		g = generator{requiredOnly: true}
		if err := o.add("schema-required", g.value(mt.Schema, "", 0)); err != nil {
			return nil, err
		}
		alts := countAlternatives(mt.Schema, map[*openapi3.Schema]bool{})
		for k := 1; k < alts; k++ {
			g = generator{alternative: k}
			if err := o.add(fmt.Sprintf("schema-alt-%d", k), g.value(mt.Schema, "", 0)); err != nil {
				return nil, err
			}
		}
	}
	return o, nil
}

func (o *Operation) add(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o.Variants = append(o.Variants, Variant{Name: name, Body: b})
	return nil
}

// successResponse is the lowest documented 2xx response.
func successResponse(op *openapi3.Operation) (int, *openapi3.Response) {
	for code := 200; code < 300; code++ {
		if r := op.Responses.Status(code); r != nil && r.Value != nil {
			return code, r.Value
		}
	}
	return 0, nil
}

func jsonContent(r *openapi3.Response) *openapi3.MediaType {
	for ct, mt := range r.Content {
		if strings.Contains(ct, "json") {
			return mt
		}
	}
	return nil
}

// StatusText is a convenience for failure messages.
func StatusText(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }

// Require loads the files for a test. Without them the test is skipped with
// a message, except under CI (the CI variable is set), which always has
// ../shared: there their absence fails the test.
func Require(t testing.TB) *Spec {
	t.Helper()
	dir, ok := Dir()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatalf("Basiq's OpenAPI files are missing (looked for %s), and CI always has ../shared", dir)
		}
		t.Skipf("Basiq's OpenAPI files are not at %s (../shared beside the repository)", dir)
	}
	spec, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
