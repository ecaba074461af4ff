package basiq

import (
	"errors"
	"fmt"

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
