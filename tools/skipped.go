package tools

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// skippedNotes collects, for one call, the records Basiq returned that could
// not be read. The adapter adds them to the result as "skipped", so a model
// knows a list is short and why, without every output schema declaring it.
type skippedNotes struct {
	mu    sync.Mutex
	lines []string
}

// maxSkippedLines bounds what one result says about unreadable records.
const maxSkippedLines = 5

// noteSkipped records a page's unreadable records, if any.
func noteSkipped[T any](d *call, what string, l *basiq.List[T]) {
	n := &d.skipped
	if l == nil || len(l.Skipped) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, s := range l.Skipped {
		if len(n.lines) == maxSkippedLines {
			n.lines = append(n.lines, "more records were skipped")
			return
		}
		id := s.ID
		if id == "" {
			id = fmt.Sprintf("#%d", s.Index)
		}
		n.lines = append(n.lines, fmt.Sprintf("%s %s could not be read and is left out: %s", what, id, text.Clean(s.Reason, 160)))
	}
}

// withSkipped adds the collected notes to an encoded result object.
func withSkipped(body []byte, n *skippedNotes) []byte {
	if len(n.lines) == 0 {
		return body
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return body
	}
	obj["skipped"] = n.lines
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}
