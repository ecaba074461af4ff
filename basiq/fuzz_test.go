package basiq_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// FuzzValidateID: an accepted id can never change a URL path.
func FuzzValidateID(f *testing.F) {
	for _, s := range []string{"u1", "../token", "a/b", "AU00000", "user.created", "%2e%2e", "a b", "ü", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if basiq.ValidateID("id", id) != nil {
			return
		}
		if url.PathEscape(id) != id || strings.ContainsAny(id, "/?#%\\") || id == "." || id == ".." || strings.HasPrefix(id, ".") {
			t.Fatalf("accepted an id that is not path-safe: %q", id)
		}
	})
}

// FuzzFilter: a valid filter renders each value quoted, and unescaping the
// rendered value gives the value back, so input cannot add a condition.
func FuzzFilter(f *testing.F) {
	f.Add("account.id", "eq", "a1")
	f.Add("transaction.class", "eq", `pay'),account.id.eq('x`)
	f.Add("a.b", "in", `\`)
	f.Fuzz(func(t *testing.T, field, op, value string) {
		flt := basiq.Filter{{Field: field, Op: op, Values: []string{value}}}
		if flt.Validate() != nil {
			return
		}
		s := flt.String()
		prefix := field + "." + op + "('"
		if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, "')") {
			t.Fatalf("unexpected rendering %q", s)
		}
		inner := s[len(prefix) : len(s)-2]
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			switch {
			case inner[i] == '\\' && i+1 < len(inner):
				i++
				b.WriteByte(inner[i])
			case inner[i] == '\'':
				t.Fatalf("an unescaped quote in %q", s)
			default:
				b.WriteByte(inner[i])
			}
		}
		if b.String() != value {
			t.Fatalf("value %q came back as %q", value, b.String())
		}
	})
}

// FuzzAmountsAndTimes: parsing never panics, and amounts round-trip.
func FuzzAmountsAndTimes(f *testing.F) {
	for _, s := range []string{"-12.95", "0", "1.5", "--1", "1e3", "2024-09-25T04:15:59Z", "2024-09-25", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		basiq.ParseTime(s)
		cents, err := basiq.ParseAmount(s)
		if err != nil {
			return
		}
		again, err := basiq.ParseAmount(basiq.FormatAmount(cents))
		if err != nil || again != cents {
			t.Fatalf("%q -> %d -> %q -> %d (%v)", s, cents, basiq.FormatAmount(cents), again, err)
		}
	})
}
