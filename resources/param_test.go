package resources

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParamNeedsItsPrefix: a URI that does not start with the template's
// prefix is not that resource, even if what is left looks like an id.
func TestParamNeedsItsPrefix(t *testing.T) {
	_, err := param("u1", "basiq://users/", "")
	assert.Error(t, err)
	_, err = param("basiq://jobs/u1", "basiq://users/", "")
	assert.Error(t, err)
	id, err := param("basiq://users/u1/connections", "basiq://users/", "/connections")
	assert.NoError(t, err)
	assert.Equal(t, "u1", id)
}

// TestIndexedSnippetIsTheFirstMatchingLine checks the snippet found in the
// lower-cased index against the plain line-by-line search it replaces, for
// every section and words from each section's own text.
func TestIndexedSnippetIsTheFirstMatchingLine(t *testing.T) {
	idx := searchIndex()
	for i := range idx {
		e := &idx[i]
		words := terms(e.section.Heading + " " + e.section.Text)
		for j := 0; j < len(words); j += 7 {
			ws := words[j:min(j+2, len(words))]
			if got, want := e.snippet(ws), snippet(e.section.Text, ws); got != want {
				t.Fatalf("%s / %s, words %q: indexed %q, line by line %q", e.guide.Slug, e.section.Heading, ws, got, want)
			}
		}
		if got := e.snippet([]string{"zzzzqqq"}); got != "" {
			t.Fatalf("no match gave %q", got)
		}
	}
}
