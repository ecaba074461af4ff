package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// DirectTool is, for the stdio transport, the handler of a tool it may
// call itself, without mcp-go decoding the request again: a read-only tool
// the configuration lists and the server's filter passes for ctx. Its
// registered handler is the whole call (Register puts the middleware
// around it). Only reads, because a call the transport cannot finish
// itself (a handler's error, a question for the human) is run again
// through the server, and only a read may run twice. mcp-go's own input
// and output schema validation and result size limit are not set here
// (main.go); with one set, the direct path would have to check it too.
func (d *Deps) DirectTool(s *server.MCPServer) func(ctx context.Context, name string) (server.ToolHandlerFunc, bool) {
	v := d.visible
	return func(ctx context.Context, name string) (server.ToolHandlerFunc, bool) {
		if v == nil {
			return nil, false
		}
		t, ok := v.tools[name]
		if !ok || !t.ReadOnly || v.hidden[name] != "" {
			return nil, false
		}
		st := s.GetTool(name)
		if st == nil || st.Handler == nil || st.Tool.Execution != nil || len(v.filter(ctx, []mcp.Tool{st.Tool})) != 1 {
			return nil, false
		}
		return st.Handler, true
	}
}
