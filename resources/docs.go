// Package resources exposes Basiq documentation and live Basiq data as MCP
// resources: guides written for this server (embedded), Basiq's own
// published pages when the network allows, and small JSON views of
// connectors, users, connections and jobs. It also completes their
// arguments, and those of prompts.
package resources

import (
	"embed"
	"path"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed docs/*.md
var docsFS embed.FS

// Guide is one embedded guide.
type Guide struct {
	Slug, Title, Description, Body string
	Sections                       []Section
}

// Section is a part of a guide under one heading.
type Section struct{ Heading, Text string }

// URI is the guide's resource address.
func (g Guide) URI() string { return "basiq://docs/" + g.Slug }

var (
	guidesOnce sync.Once
	guides     []Guide
)

// Guides returns the embedded guides, read once, in a stable order.
func Guides() []Guide {
	guidesOnce.Do(func() {
		entries, _ := docsFS.ReadDir("docs")
		for _, e := range entries {
			raw, err := docsFS.ReadFile("docs/" + e.Name())
			if err != nil {
				panic("resources: embedded guide " + e.Name() + ": " + err.Error()) // a build defect
			}
			guides = append(guides, parseGuide(strings.TrimSuffix(e.Name(), path.Ext(e.Name())), string(raw)))
		}
		sort.Slice(guides, func(i, j int) bool { return guideOrder(guides[i].Slug) < guideOrder(guides[j].Slug) })
	})
	return guides
}

// guideOrder puts the guides in reading order; unknown ones go last.
func guideOrder(slug string) int {
	order := []string{"getting-started", "this-server", "best-practices", "jobs-and-failures", "connector-statuses",
		"consent-and-retention", "filters-and-paging", "error-codes", "sandbox-personas"}
	for i, s := range order {
		if s == slug {
			return i
		}
	}
	return len(order)
}

// FindGuide returns the guide with slug, if any.
func FindGuide(slug string) (Guide, bool) {
	for _, g := range Guides() {
		if g.Slug == slug {
			return g, true
		}
	}
	return Guide{}, false
}

// parseGuide reads the front matter (title, description) and splits the
// body into sections at "## " headings.
func parseGuide(slug, raw string) Guide {
	g := Guide{Slug: slug}
	body := raw
	if rest, ok := strings.CutPrefix(raw, "---\n"); ok {
		if head, tail, ok := strings.Cut(rest, "\n---\n"); ok {
			for _, line := range strings.Split(head, "\n") {
				k, v, _ := strings.Cut(line, ":")
				switch strings.TrimSpace(k) {
				case "title":
					g.Title = strings.TrimSpace(v)
				case "description":
					g.Description = strings.TrimSpace(v)
				}
			}
			body = tail
		}
	}
	g.Body = strings.TrimSpace(body)
	current := Section{Heading: g.Title}
	for _, line := range strings.Split(g.Body, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			g.Sections = append(g.Sections, current)
			current = Section{Heading: h}
			continue
		}
		current.Text += line + "\n"
	}
	g.Sections = append(g.Sections, current)
	return g
}

// Hit is a guide section that matches a search.
type Hit struct {
	URI, Title, Section, Snippet string
	Score                        int
}

// Search finds the guide sections that best match the words of query:
// each word found scores, more in a heading or title than in the text.
func Search(query string, limit int) []Hit {
	words := terms(query)
	type scored struct {
		e     *indexEntry
		score int
	}
	var found []scored
	idx := searchIndex()
	for i := range idx {
		e, score := &idx[i], 0
		for _, w := range words {
			if strings.Contains(e.head, w) {
				score += 3
			}
			score += countUpTo(e.text, w, 3)
		}
		if score > 0 {
			found = append(found, scored{e, score})
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].score > found[j].score })
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	// Snippets only for the hits returned: finding one scans the section.
	hits := make([]Hit, 0, len(found))
	for _, f := range found {
		g := f.e.guide
		hits = append(hits, Hit{URI: g.URI(), Title: g.Title, Section: f.e.section.Heading, Snippet: f.e.snippet(words), Score: f.score})
	}
	return hits
}

// countUpTo counts the occurrences of w in s, stopping at limit: a word
// counts at most limit times, so scanning further is waste.
func countUpTo(s, w string, limit int) int {
	n := 0
	for n < limit {
		i := strings.Index(s, w)
		if i < 0 {
			break
		}
		n++
		s = s[i+len(w):]
	}
	return n
}

// indexEntry is one guide section as Search reads it, lower-cased once:
// lower-casing every guide on every call was most of search_docs' cost.
type indexEntry struct {
	guide      *Guide
	section    *Section
	head, text string
}

var (
	indexOnce sync.Once
	index     []indexEntry
)

func searchIndex() []indexEntry {
	indexOnce.Do(func() {
		all := Guides()
		for i := range all {
			for j := range all[i].Sections {
				g, s := &all[i], &all[i].Sections[j]
				index = append(index, indexEntry{guide: g, section: s, head: strings.ToLower(g.Title + " " + s.Heading), text: strings.ToLower(s.Text)})
			}
		}
	})
	return index
}

// terms lowercases query into words of two letters or more.
func terms(query string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(query), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_'
	}) {
		if len(w) >= 2 {
			out = append(out, w)
		}
	}
	return out
}

// snippet returns the first line of text holding a query word.
func (e *indexEntry) snippet(words []string) string {
	orig := e.section.Text
	if len(orig) != len(e.text) { // lower-casing changed a length: go line by line
		return snippet(orig, words)
	}
	first := -1
	for _, w := range words {
		if i := strings.Index(e.text, w); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first < 0 {
		return ""
	}
	start := strings.LastIndexByte(orig[:first], '\n') + 1
	end := strings.IndexByte(orig[first:], '\n')
	if end < 0 {
		end = len(orig)
	} else {
		end += first
	}
	return trimLine(orig[start:end])
}

func snippet(text string, words []string) string {
	for _, line := range strings.Split(text, "\n") {
		l := strings.ToLower(line)
		for _, w := range words {
			if strings.Contains(l, w) {
				return trimLine(line)
			}
		}
	}
	return ""
}

func trimLine(line string) string {
	line = strings.TrimSpace(line)
	if len(line) > 240 {
		cut := 240
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	return line
}
