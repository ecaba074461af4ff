package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// confirmID names the question in the multi round trip.
const confirmID = "confirm_target"

// canElicit reports whether the client said it can ask its user questions
// and this call can put one to it.
func canElicit(ctx context.Context) bool { return askable(ctx) != nil }

// askable is the elicitation the client declared, or nil when it declared
// none or its session cannot carry a question. A client on 2026-07-28 gets
// the question in the call's result; to an older one mcp-go sends it as an
// elicitation/create request in the middle of the call, which only a
// session that can send requests carries (stdio and streamable HTTP can;
// legacy SSE cannot, and the call would end in a protocol error).
func askable(ctx context.Context) *mcp.ElicitationCapability {
	sess := server.ClientSessionFromContext(ctx)
	s, ok := sess.(server.SessionWithClientInfo)
	if !ok {
		return nil
	}
	declared := s.GetClientCapabilities().Elicitation
	if _, asks := sess.(server.SessionWithElicitation); !asks && !mcp.IsModernProtocol(server.RequestProtocolVersion(ctx)) {
		return nil
	}
	return declared
}

// askHuman asks the client's user to type the target's id. The request
// state is the sealed confirmation: it comes back with the answer, and the
// model cannot forge one.
func (d *call) askHuman(action, target, lose, sealed string) {
	id := target[strings.LastIndex(target, "/")+1:]
	params := mcp.ElicitationParams{Mode: mcp.ElicitationModeForm,
		Message: fmt.Sprintf("%s will delete %s. This cannot be undone. To go ahead, type %s.", action, lose, id),
		RequestedSchema: map[string]any{"type": "object", "required": []string{"id"},
			"properties": map[string]any{"id": map[string]any{"type": "string", "title": "Type " + id + " to confirm"}}}}
	d.ask = server.NewInputRequestBuilder(sealed).Elicit(confirmID, params).ToolResult()
}

// elicited returns the human's answer, on the retry of a multi round trip.
func elicited(req *mcp.CallToolRequest) *mcp.ElicitationResult {
	if req == nil {
		return nil
	}
	return server.ElicitationResponse(req.Params.InputResponses, confirmID)
}

// answerMismatch says why the answer does not confirm target, or "".
func answerMismatch(answer *mcp.ElicitationResult, target string) string {
	if answer.Action != mcp.ElicitationResponseActionAccept {
		return "The human did not confirm (" + string(answer.Action) + ")."
	}
	content, _ := answer.Content.(map[string]any)
	typed, _ := content["id"].(string)
	if want := target[strings.LastIndex(target, "/")+1:]; strings.TrimSpace(typed) != want {
		return fmt.Sprintf("The human typed %q, not %q.", text.Truncate(typed, 40), want)
	}
	return ""
}
