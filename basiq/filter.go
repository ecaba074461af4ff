package basiq

import (
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// Condition is one Basiq filter statement, such as account.id.eq('a1').
type Condition struct {
	Field  string   // e.g. "transaction.postDate"
	Op     string   // eq, ne, gt, gteq, lt, lteq, bt or in
	Values []string // one value, two for bt, one or more for in
}

// Filter is a list of conditions that Basiq combines with AND.
// The zero Filter filters nothing.
type Filter []Condition

// Eq matches field equal to value.
func Eq(field, value string) Condition { return Condition{field, "eq", []string{value}} }

// Gteq matches field greater than or equal to value.
func Gteq(field, value string) Condition { return Condition{field, "gteq", []string{value}} }

// Lteq matches field less than or equal to value.
func Lteq(field, value string) Condition { return Condition{field, "lteq", []string{value}} }

// Between matches field within [from, to], both ends included.
func Between(field, from, to string) Condition { return Condition{field, "bt", []string{from, to}} }

// In matches field equal to any of values.
func In(field string, values ...string) Condition { return Condition{field, "in", values} }

// Date formats t as the YYYY-MM-DD value Basiq date filters take.
func Date(t time.Time) string { return t.Format("2006-01-02") }

var filterOps = map[string]int{"eq": 1, "ne": 1, "gt": 1, "gteq": 1, "lt": 1, "lteq": 1, "bt": 2, "in": -1}

// Validate checks every field name, operator and value, so that no caller
// input can change the shape of the filter.
func (f Filter) Validate() error {
	for _, c := range f {
		if !validField(c.Field) {
			return inputErrorf("filter field %q is not valid", text.Truncate(c.Field, 40))
		}
		want, ok := filterOps[c.Op]
		if !ok {
			return inputErrorf("filter operator %q is not supported", text.Truncate(c.Op, 10))
		}
		if want > 0 && len(c.Values) != want || want < 0 && len(c.Values) == 0 {
			return inputErrorf("filter %s.%s takes %d value(s), got %d", c.Field, c.Op, max(want, 1), len(c.Values))
		}
		for _, v := range c.Values {
			if len(v) > 256 {
				return inputErrorf("filter value for %s is too long", c.Field)
			}
			if strings.IndexFunc(v, unicode.IsControl) >= 0 {
				return inputErrorf("filter value for %s contains control characters", c.Field)
			}
		}
	}
	return nil
}

func validField(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// String renders the filter in Basiq's syntax, quoting every value and
// escaping backslashes and single quotes inside it. Call Validate first;
// the client does so before any request.
// quoteEscaper escapes a filter value inside its single quotes; built once,
// as building a Replacer costs more than using one.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

func (f Filter) String() string {
	var b strings.Builder
	for i, c := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Field)
		b.WriteByte('.')
		b.WriteString(c.Op)
		b.WriteByte('(')
		for j, v := range c.Values {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\'')
			b.WriteString(quoteEscaper.Replace(v))
			b.WriteByte('\'')
		}
		b.WriteByte(')')
	}
	return b.String()
}

// filterQuery renders f into a query, validating it first.
func filterQuery(f Filter) (url.Values, error) {
	q := url.Values{}
	if len(f) == 0 {
		return q, nil
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q.Set("filter", f.String())
	return q, nil
}
