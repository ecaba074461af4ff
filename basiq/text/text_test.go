package text

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestTruncateNeverSplitsACharacter(t *testing.T) {
	s := "Café ☕ Sydney"
	for n := range utf8.RuneCountInString(s) + 2 {
		got := Truncate(s, n)
		assert.True(t, utf8.ValidString(got), "n=%d: %q", n, got)
	}
	assert.Equal(t, "Caf…", Truncate(s, 3))
	assert.Equal(t, "Café…", Truncate(s, 4))
	assert.Equal(t, s, Truncate(s, 100))
}

func TestCleanRemovesWhatAModelShouldNotSee(t *testing.T) {
	assert.Equal(t, "PAYMENT evil", Clean("PAYMENT\u202e \u200bevil\x07", 80))
	assert.Equal(t, "a b", Clean("  a \n\t b  ", 80))
	assert.Equal(t, "abc…", Clean("abcdef", 3))
	assert.True(t, utf8.ValidString(Clean("ab\xffcd", 80)))
}

func TestFirstSentenceSkipsAbbreviations(t *testing.T) {
	assert.Equal(t, "A title of at most 50 characters, e.g. 'Ada Lovelace 2026'.",
		FirstSentence("A title of at most 50 characters, e.g. 'Ada Lovelace 2026'. Shown in lists."))
	assert.Equal(t, "One.", FirstSentence("One. Two."))
	assert.Equal(t, "No stop", FirstSentence("No stop"))
}

// TestCleanTextIsGivenBackAsItIs: text the fast path returns unchanged is
// exactly what the character-by-character clean makes of it, for every
// string of up to four characters from an alphabet of the edge cases.
func TestCleanTextIsGivenBackAsItIs(t *testing.T) {
	alphabet := []string{"a", " ", "~", "\x7f", "\t", "é", "\u200b", "\x00"}
	var each func(prefix string, left int)
	each = func(prefix string, left int) {
		for _, limit := range []int{0, 1, 3, 4, 10} {
			want := cleanByRune(prefix, limit)
			assert.Equal(t, want, Clean(prefix, limit), "%q limit %d", prefix, limit)
		}
		if left == 0 {
			return
		}
		for _, c := range alphabet {
			each(prefix+c, left-1)
		}
	}
	each("", 4)
}

// cleanByRune is Clean without its fast path.
func cleanByRune(s string, limit int) string {
	return Clean(s+"\u200b", limit) // a zero-width space is never clean, and is removed
}
