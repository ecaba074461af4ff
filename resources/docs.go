// Package resources exposes Basiq documentation and live Basiq data as MCP
// resources: guides written for this server (embedded), Basiq's own
// published pages when the network allows, and small JSON views of
// connectors, users, connections and jobs. It also completes their
// arguments, and those of prompts.
package resources

import (
	"bufio"
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
		sortGuides(guides)
	})
	return guides
}

// guideHeads are the guides' slugs, titles and descriptions, in order,
// read from their front matter alone: registering them as resources needs
// no more, and reading and splitting every body was a sixth of what the
// server's own start cost.
func guideHeads() []Guide {
	entries, _ := docsFS.ReadDir("docs")
	heads := make([]Guide, 0, len(entries))
	for _, e := range entries {
		f, err := docsFS.Open("docs/" + e.Name())
		if err != nil {
			panic("resources: embedded guide " + e.Name() + ": " + err.Error()) // a build defect
		}
		g := Guide{Slug: strings.TrimSuffix(e.Name(), path.Ext(e.Name()))}
		lines := bufio.NewScanner(f)
		if lines.Scan() && lines.Text() == "---" {
			for lines.Scan() && lines.Text() != "---" {
				g.frontMatter(lines.Text())
			}
		}
		f.Close()
		heads = append(heads, g)
	}
	sortGuides(heads)
	return heads
}

func sortGuides(gs []Guide) {
	sort.SliceStable(gs, func(i, j int) bool { return guideOrder(gs[i].Slug) < guideOrder(gs[j].Slug) })
}

// guideOrder puts the guides in reading order; unknown ones go last.
func guideOrder(slug string) int {
	order := []string{"getting-started", "this-server", "best-practices", "jobs-and-failures", "connector-statuses",
		"consent-and-retention", "filters-and-paging", "error-codes", "sandbox-personas",
		"tools-in-depth", "guardrails", "resources-and-prompts", "configuration", "hosting", "simulator", "bench", "tests"}
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

// frontMatter takes a title or description from a line of front matter.
func (g *Guide) frontMatter(line string) {
	k, v, _ := strings.Cut(line, ":")
	switch strings.TrimSpace(k) {
	case "title":
		g.Title = strings.TrimSpace(v)
	case "description":
		g.Description = strings.TrimSpace(v)
	}
}

// parseGuide reads the front matter (title, description) and splits the
// body into sections at "## " headings.
func parseGuide(slug, raw string) Guide {
	g := Guide{Slug: slug}
	body := raw
	if rest, ok := strings.CutPrefix(raw, "---\n"); ok {
		if head, tail, ok := strings.Cut(rest, "\n---\n"); ok {
			for _, line := range strings.Split(head, "\n") {
				g.frontMatter(line)
			}
			body = tail
		}
	}
	g.Body = strings.TrimSpace(body)
	// Each section's text is a slice of the body (every line with its
	// newline), not a string grown line by line: the guides are read at
	// every start, and growing them cost a third of it.
	current, start := Section{Heading: g.Title}, 0
	for at := 0; at <= len(g.Body); {
		end := strings.IndexByte(g.Body[at:], '\n')
		if end < 0 {
			end = len(g.Body) - at
		}
		line := g.Body[at : at+end]
		if h, ok := strings.CutPrefix(line, "## "); ok {
			current.Text = g.Body[start:at]
			g.Sections = append(g.Sections, current)
			current, start = Section{Heading: h}, at+end+1
		}
		at += end + 1
	}
	if start <= len(g.Body) {
		current.Text = g.Body[start:] + "\n"
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
	ix := searchIndex()
	scores := make([]int, len(ix.entries))
	for _, w := range words {
		ix.countText(w, scores)
		for i := range ix.entries {
			if strings.Contains(ix.entries[i].head, w) {
				scores[i] += 3
			}
		}
	}
	var found []int
	for i, s := range scores {
		if s > 0 {
			found = append(found, i)
		}
	}
	sort.SliceStable(found, func(a, b int) bool { return scores[found[a]] > scores[found[b]] })
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	// Snippets only for the hits returned: finding one scans the section.
	hits := make([]Hit, 0, len(found))
	for _, i := range found {
		e := &ix.entries[i]
		hits = append(hits, Hit{URI: e.guide.URI(), Title: e.guide.Title, Section: e.section.Heading, Snippet: e.snippet(words), Score: scores[i]})
	}
	return hits
}

// maxCount is how many times a word counts in one section's text.
const maxCount = 3

// countText adds to scores[i] the times w occurs in section i's text, at
// most maxCount each. It scans the whole corpus once, jumping between
// occurrences of w's rarest byte: strings.Index steps through every
// occurrence of a word's first byte, and in English text that is a common
// letter, which made this scan most of search_docs' cost.
func (ix *searchIdx) countText(w string, scores []int) {
	k := 0 // the offset in w of its rarest byte in the corpus
	for j := 1; j < len(w); j++ {
		if ix.freq[w[j]] < ix.freq[w[k]] {
			k = j
		}
	}
	sec, seen, pos := 0, 0, 0
	for pos+len(w) <= len(ix.corpus) {
		j := strings.IndexByte(ix.corpus[pos+k:], w[k])
		if j < 0 {
			return
		}
		at := pos + j // where w would start
		if at+len(w) > len(ix.corpus) {
			return
		}
		if ix.corpus[at:at+len(w)] != w {
			pos = at + 1
			continue
		}
		for ix.ends[sec] <= at {
			sec, seen = sec+1, 0
		}
		scores[sec]++
		seen++
		pos = at + len(w)
		if seen == maxCount { // this section is done: skip to the next
			pos = ix.ends[sec]
		}
	}
}

// indexEntry is one guide section as Search reads it, lower-cased once:
// lower-casing every guide on every call was most of search_docs' cost.
type indexEntry struct {
	guide      *Guide
	section    *Section
	head, text string
}

// searchIdx is every section, and their lower-cased texts joined into one
// corpus with a NUL after each (no word spans two); ends[i] is the offset
// just past section i's NUL.
type searchIdx struct {
	entries []indexEntry
	corpus  string
	ends    []int
	freq    [256]int // how often each byte occurs in corpus
}

var searchIndex = sync.OnceValue(func() *searchIdx {
	ix := &searchIdx{}
	var corpus strings.Builder
	all := Guides()
	for i := range all {
		for j := range all[i].Sections {
			g, s := &all[i], &all[i].Sections[j]
			e := indexEntry{guide: g, section: s, head: strings.ToLower(g.Title + " " + s.Heading), text: strings.ToLower(s.Text)}
			ix.entries = append(ix.entries, e)
			corpus.WriteString(e.text)
			corpus.WriteByte(0)
			ix.ends = append(ix.ends, corpus.Len())
		}
	}
	ix.corpus = corpus.String()
	for i := 0; i < len(ix.corpus); i++ {
		ix.freq[ix.corpus[i]]++
	}
	return ix
})

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
