package resources

import (
	"strings"
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
	idx := searchIndex().entries
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

// TestCorpusCountsMatchEachSection checks the one-pass corpus count against
// counting each section's text on its own, for words of every section.
func TestCorpusCountsMatchEachSection(t *testing.T) {
	ix := searchIndex()
	for _, e := range ix.entries {
		for _, w := range append(terms(e.section.Heading+" "+e.section.Text), "re", "zzqq", "ss") {
			got := make([]int, len(ix.entries))
			ix.countText(w, got)
			for i, other := range ix.entries {
				want := min(strings.Count(other.text, w), maxCount)
				if got[i] != want {
					t.Fatalf("word %q in %s / %s: counted %d, the section holds %d", w, other.guide.Slug, other.section.Heading, got[i], want)
				}
			}
		}
	}
}
