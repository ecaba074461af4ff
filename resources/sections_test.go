package resources

import (
	"reflect"
	"strings"
	"testing"
)

// sectionsLineByLine is how sections were cut before they became slices
// of the body: the reference the faster cut must equal.
func sectionsLineByLine(title, body string) []Section {
	var out []Section
	current := Section{Heading: title}
	for _, line := range strings.Split(body, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			out = append(out, current)
			current = Section{Heading: h}
			continue
		}
		current.Text += line + "\n"
	}
	return append(out, current)
}

// TestSectionsAreCutAsBefore: every embedded guide, and the edge shapes,
// cut into the same sections as line by line.
func TestSectionsAreCutAsBefore(t *testing.T) {
	bodies := []string{"", "x", "## only", "a\n## h\n", "## h1\n## h2", "text\n\n## h\nmore\nlines\n## last"}
	for _, g := range Guides() {
		bodies = append(bodies, g.Body)
	}
	for _, b := range bodies {
		got := parseGuide("s", "---\ntitle: T\n---\n"+b)
		if want := sectionsLineByLine("T", got.Body); !reflect.DeepEqual(got.Sections, want) {
			t.Errorf("%.60q: sections differ:\n got  %q\n want %q", b, got.Sections, want)
		}
	}
}

// TestGuideHeadsAreTheGuides: the front matter read alone, for
// registering, gives every guide's slug, title and description, in the
// order the parsed guides have.
func TestGuideHeadsAreTheGuides(t *testing.T) {
	var want []Guide
	for _, g := range Guides() {
		want = append(want, Guide{Slug: g.Slug, Title: g.Title, Description: g.Description})
	}
	heads := guideHeads()
	if !reflect.DeepEqual(heads, want) {
		t.Fatalf("heads differ from the guides:\n%+v\n%+v", heads, want)
	}
	for _, h := range heads {
		if h.Title == "" || h.Description == "" {
			t.Errorf("%s: no title or description in its front matter", h.Slug)
		}
	}
}
