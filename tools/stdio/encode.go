package stdio

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// encode returns resp as one line of JSON. A tool result, the answer to
// nearly every call, is written here directly: mcp-go's own encoding puts
// it in a map, encodes that, and then has encoding/json compact the whole
// of it again, a quarter of a stdio call's CPU. The keys are in the order
// mcp-go's map gives them; structuredContent already encoded (our tools'
// results are) is copied as it is. Anything else, and a result with fields
// this does not write, goes through encoding/json.
func encode(resp mcp.JSONRPCMessage) ([]byte, error) {
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
	size := 64 + len(rawID) + 2*len(structured)
	b := make([]byte, 0, size)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, rawID...)
	b = append(b, `,"result":{"content":[`...)
	for i, c := range r.Content {
		item, err := json.Marshal(c)
		if err != nil {
			return nil, false
		}
		if i > 0 {
			b = append(b, ',')
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
