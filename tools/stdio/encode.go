package stdio

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// Encode returns resp as one line of JSON, as Serve writes it. A tool result, the answer to
// nearly every call, is written here directly: mcp-go's own encoding puts
// it in a map, encodes that, and then has encoding/json compact the whole
// of it again, a quarter of a stdio call's CPU. The keys are in the order
// mcp-go's map gives them; structuredContent already encoded (our tools'
// results are) is copied as it is. Anything else, and a result with fields
// this does not write, goes through encoding/json.
func Encode(resp mcp.JSONRPCMessage) ([]byte, error) {
	if r, ok := resp.(mcp.JSONRPCResponse); ok {
		if res, ok := toolResult(r.Result); ok {
			if b, ok := encodeToolResponse(r.ID, res); ok {
				return b, nil
			}
		}
	}
	return json.Marshal(resp)
}

func toolResult(v any) (*mcp.CallToolResult, bool) {
	switch r := v.(type) {
	case *mcp.CallToolResult:
		return r, r != nil
	case mcp.CallToolResult:
		return &r, true
	}
	return nil, false
}

// encodeToolResponse writes a response carrying a tool result, or reports
// false for a result with parts it leaves to encoding/json.
func encodeToolResponse(id mcp.RequestId, r *mcp.CallToolResult) ([]byte, bool) {
	if r.Meta != nil || len(r.InputRequests) > 0 || r.RequestState != "" || len(r.RawStructuredContent) > 0 {
		return nil, false
	}
	structured, ok := r.StructuredContent.(json.RawMessage)
	if r.StructuredContent != nil && (!ok || len(bytes.TrimSpace(structured)) == 0) {
		return nil, false
	}
	rawID, err := id.MarshalJSON()
	if err != nil {
		return nil, false
	}
	// Both copies, the text's quotes and backslashes escaped: one
	// allocation, not a doubling midway.
	size := 96 + len(rawID) + 2*len(structured) + bytes.Count(structured, []byte{'"'}) + bytes.Count(structured, []byte{'\\'})
	b := make([]byte, 0, size)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, rawID...)
	b = append(b, `,"result":{"content":[`...)
	for i, c := range r.Content {
		if i > 0 {
			b = append(b, ',')
		}
		if t, ok := c.(mcp.TextContent); ok && t.Annotations == nil && t.Meta == nil && t.Type == "text" && structured != nil && t.Text == string(structured) && utf8.Valid(structured) {
			b = append(b, `{"type":"text","text":"`...)
			b = appendJSONAsString(b, structured)
			b = append(b, `"}`...)
			continue
		}
		item, err := json.Marshal(c)
		if err != nil {
			return nil, false
		}
		b = append(b, item...)
	}
	b = append(b, ']')
	if r.IsError {
		b = append(b, `,"isError":true`...)
	}
	if r.ResultType != "" {
		t, err := json.Marshal(string(r.ResultType))
		if err != nil {
			return nil, false
		}
		b = append(b, `,"resultType":`...)
		b = append(b, t...)
	}
	if structured != nil {
		b = append(b, `,"structuredContent":`...)
		b = append(b, bytes.TrimSpace(structured)...)
	}
	return append(b, "}}"...), true
}

// appendJSONAsString appends JSON text as the body of a JSON string. In
// JSON produced by encoding/json only quotes and backslashes need a
// backslash (control characters inside its strings are escaped already),
// so runs are copied whole where encoding/json looks at every character
// again; a control character (whitespace between tokens) is escaped as
// encoding/json escapes it. The caller has checked the text is UTF-8. The
// text of our tools' results is the structured content itself, so this
// is the larger half of every answer.
func appendJSONAsString(b, text []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i, c := range text {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, text[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(b, text[start:]...)
}
