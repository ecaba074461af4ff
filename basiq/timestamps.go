package basiq

import (
	"fmt"
	"strconv"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

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
