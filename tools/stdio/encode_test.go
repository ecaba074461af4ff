package stdio

import (
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestToolAnswersEncodeAsMcpGoDoes: every response encode writes itself
// decodes to what encoding/json makes of it through mcp-go's own
// MarshalJSON, for the results our tools give (text and the same JSON as
// structured content, errors, a result type) with text that needs
// escaping; the rest fall back to encoding/json.
func TestToolAnswersEncodeAsMcpGoDoes(t *testing.T) {
	body := `{"id":"c-1","name":"<Bank & Co> \"quoted\"","note":"line\u2028sep","n":[1,2.5e3,null,true]}`
	withText := func(text string) *mcp.CallToolResult {
		return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}, StructuredContent: json.RawMessage(body)}
	}
	pretty := "{\n\t\"a\": \"x\\\\y\",\r\n \"b\": [1, 2]}"
	typed := withText(body)
	typed.ResultType = "complete"
	meta := withText(body)
	meta.Meta = &mcp.Meta{AdditionalFields: map[string]any{"k": "v"}}
	mapped := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("x")}, StructuredContent: map[string]any{"a": 1}}
	cases := map[string]struct {
		resp mcp.JSONRPCMessage
		ours bool
	}{
		"tool result":         {response(7, withText(body)), true},
		"string id, by value": {response("a\"b", *withText("tab\there, invalid \xff utf-8")), true},
		"pretty structured":   {response(9, &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(pretty)}, StructuredContent: json.RawMessage(pretty)}), true},
		"tool error":          {response(1, mcp.NewToolResultError("bad <input>")), true},
		"result type":         {response(2, typed), true},
		"no content":          {response(3, &mcp.CallToolResult{}), true},
		"with _meta":          {response(4, meta), false},
		"structured as a map": {response(5, mapped), false},
		"not a tool result":   {response(6, mcp.EmptyResult{}), false},
		"an error":            {mcp.NewJSONRPCError(mcp.NewRequestId(8), mcp.INVALID_PARAMS, "no", nil), false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(c.resp)
			require.NoError(t, err)
			got, err := Encode(c.resp)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
			if r, ok := c.resp.(mcp.JSONRPCResponse); ok {
				ours := false
				if res, isTool := toolResult(r.Result); isTool {
					_, ours = encodeToolResponse(r.ID, res)
				}
				assert.Equal(t, c.ours, ours, "written by encode itself")
			}
		})
	}
}

func response(id any, result any) mcp.JSONRPCResponse {
	return mcp.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id), Result: result}
}
