package guard_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
)

// TestStoppingWritesUnknownForWritesInFlight: an attempt with no outcome
// yet is written down as unknown when the process stops; one with its
// outcome is not.
func TestStoppingWritesUnknownForWritesInFlight(t *testing.T) {
	var buf bytes.Buffer
	a := guard.NewAudit(&buf)
	a.Record(guard.Entry{Tool: "create_user", Decision: "attempt", Attempt: "a-1"})
	a.Record(guard.Entry{Tool: "create_user", Decision: "created", UserID: "u-1", Attempt: "a-1"})
	a.Record(guard.Entry{Tool: "refresh_connection", Decision: "attempt", Attempt: "a-2", ConnectionID: "c-2"})
	assert.Equal(t, 1, a.Abandon())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Len(t, lines, 4)
	assert.Contains(t, lines[3], `"decision":"unknown"`)
	assert.Contains(t, lines[3], `"attempt":"a-2"`)
	assert.Contains(t, lines[3], `"connectionId":"c-2"`)
	assert.Equal(t, 0, a.Abandon(), "each write once")
}
