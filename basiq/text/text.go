// Package text holds the few string rules every part of basiq-mcp shares:
// cutting text to a length without splitting a character, cleaning
// third-party text before a model reads it, and taking a first sentence.
// It is standard library only, so the client can use it too.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Truncate returns s cut to at most n characters (runes, never bytes, so a
// multi-byte character is never split), with "…" added when it was cut.
func Truncate(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for i = range s {
		if k == n {
			break
		}
		k++
	}
	return s[:i] + "…"
}

// Clean makes third-party text (transaction descriptions, names, Basiq's
// own error text) safe to show a model: control, format (bidi, zero-width)
// and other invisible characters are removed, runs of white space folded
// to one space, and the length capped at limit characters.
func Clean(s string, limit int) string {
	if alreadyClean(s, limit) {
		return s // most bank text: no copy, and no rune tables per character
	}
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) && !unicode.IsSpace(r) || r == utf8.RuneError {
			continue
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		if n >= limit {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// alreadyClean reports whether Clean would give s back as it is: printable
// ASCII, no space at either end or beside another, at most limit long.
func alreadyClean(s string, limit int) bool {
	if len(s) > limit || s != "" && (s[0] == ' ' || s[len(s)-1] == ' ') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == ' ' && s[i-1] == ' ' {
			return false
		}
	}
	return true
}

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = []string{"e.g.", "i.e.", "etc.", "vs."}

// FirstSentence returns s up to the end of its first sentence: a full stop
// followed by a space, not one that ends an abbreviation such as "e.g.".
func FirstSentence(s string) string {
	from := 0
	for {
		i := strings.Index(s[from:], ". ")
		if i < 0 {
			return s
		}
		end := from + i + 1
		if !endsWithAbbreviation(s[:end]) {
			return s[:end]
		}
		from = end
	}
}

func endsWithAbbreviation(s string) bool {
	lower := strings.ToLower(s)
	for _, a := range abbreviations {
		if strings.HasSuffix(lower, a) {
			return true
		}
	}
	return false
}
