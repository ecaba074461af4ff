package tools

import (
	"bytes"
	"encoding/json"
	"sync"
	"unsafe"

	"github.com/mark3labs/mcp-go/mcp"
)

// encodeBuffers are the scratch buffers results are encoded into: a
// result is copied out once at its exact size, so the buffer's growth is
// paid once per process, not once per call.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one huge result from pinning its buffer for good.
const maxPooledBuffer = 1 << 20

// resultOf is a tool's answer: its value as JSON, both as the text content
// and as the structured content, with any skipped records noted.
func resultOf(v any, skipped *skippedNotes) (*mcp.CallToolResult, error) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			encodeBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	body := string(withSkipped(bytes.TrimSpace(buf.Bytes()), skipped))
	// The text and the structured content are the same JSON, so they share
	// one copy: the bytes are a view of the string, and nothing writes to
	// a result's structured content once it is built (the encoders only
	// read it), so the string stays as immutable as Go requires.
	structured := json.RawMessage(unsafe.Slice(unsafe.StringData(body), len(body)))
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(body)}, StructuredContent: structured}, nil
}
