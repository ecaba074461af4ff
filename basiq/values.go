package basiq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// InputError is an argument the client refused before sending anything: a
// malformed id, filter, page size or date range. Nothing reached Basiq.
type InputError struct{ msg string }

func (e *InputError) Error() string { return "basiq: " + e.msg }

// inputErrorf builds an *InputError.
func inputErrorf(format string, a ...any) error { return &InputError{fmt.Sprintf(format, a...)} }

// IsInputError reports whether err is an argument refused before sending.
func IsInputError(err error) bool {
	var e *InputError
	return errors.As(err, &e)
}

// IDPattern is the JSON Schema pattern advertised for an id: the characters
// ValidateID allows. ValidateID is the check itself; it also wants a letter
// or digit first and at most 128 characters.
const IDPattern = `^[\w.-]+$`

// ValidateID checks that id is safe to place in a URL path segment. Basiq ids
// are UUIDs, short hex strings, connector ids such as AU00000, report type ids
// such as CON_AFFOR_01 and event type ids such as user.created; anything else,
// notably "../token" or "a/b", is refused before a request is built.
func ValidateID(kind, id string) error {
	if id == "" {
		return inputErrorf("%s is required", kind)
	}
	if len(id) > 128 {
		return inputErrorf("%s is too long (%d characters, at most 128)", kind, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return inputErrorf("%s %q is not valid: it must start with a letter or digit", kind, text.Truncate(id, 40))
		}
		if !alnum && c != '-' && c != '_' && c != '.' {
			return inputErrorf("%s %q is not valid: only letters, digits, '-', '_' and '.' are allowed", kind, text.Truncate(id, 40))
		}
	}
	return nil
}

// Time is a Basiq timestamp. Basiq mostly sends RFC 3339 in UTC, but some
// responses carry milliseconds, no zone, or just a date; all are accepted.
// An empty string or null decodes to the zero Time.
type Time struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime parses a Basiq timestamp in any of the accepted forms. A value
// without a zone is taken as UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("basiq: unrecognised timestamp %q", text.Truncate(s, 40))
}

// UnmarshalJSON accepts a JSON string in any accepted form, "" or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		t.Time = time.Time{}
		return nil
	}
	unq, err := strconv.Unquote(s)
	if err != nil {
		return fmt.Errorf("basiq: timestamp is not a string: %s", text.Truncate(s, 40))
	}
	parsed, err := ParseTime(unq)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// MarshalJSON writes RFC 3339 in UTC, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(t.UTC().Format(time.RFC3339))), nil
}

// ErrBadAmount is returned by ParseAmount for anything that is not a plain
// decimal number with at most two fraction digits.
var ErrBadAmount = errors.New("basiq: not a decimal amount")

// ParseAmount converts a Basiq decimal string such as "-12.95" into cents,
// without going through floating point.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:] // one sign at most
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || hasFrac && (frac == "" || len(frac) > 2) {
		return 0, ErrBadAmount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, ErrBadAmount
	}
	f, err := strconv.ParseUint(frac, 10, 64)
	if err != nil {
		return 0, ErrBadAmount
	}
	cents := int64(w*100 + f)
	if neg {
		cents = -cents
	}
	return cents, nil
}

// FormatAmount writes cents as a decimal string with two fraction digits.
func FormatAmount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
