package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// RunCLI runs "tools" or "call" through an in-process MCP client on s, so
// people and scripts see exactly what a model sees, and "webhooks" and
// "index" on d.
func RunCLI(ctx context.Context, s *server.MCPServer, d *Deps, cmd string, rest []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch cmd {
	case "webhooks":
		return WebhooksCommand(ctx, d, rest, stdout, stderr)
	case "index":
		return IndexCommand(d, rest, stdin, stdout, stderr)
	}
	mc, err := client.NewInProcessClient(s)
	if err == nil {
		err = mc.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	defer mc.Close()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "basiq-mcp-cli", Version: "1"}
	if _, err := mc.Initialize(ctx, init); err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	if cmd == "tools" {
		return PrintTools(ctx, mc, stdout, stderr)
	}
	return CallFromCLI(ctx, mc, rest, stdout, stderr)
}

// PrintTools lists the server's tools, one line each, for people.
func PrintTools(ctx context.Context, mc *client.Client, stdout, stderr io.Writer) int {
	res, err := mc.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	for _, t := range res.Tools {
		fmt.Fprintf(stdout, "%-24s %s\n", t.Name, text.FirstSentence(t.Description))
	}
	return 0
}

// CallFromCLI calls one tool from command-line arguments (name, JSON
// object) and prints its text result; a tool error exits 1, bad usage 2.
func CallFromCLI(ctx context.Context, mc *client.Client, rest []string, stdout, stderr io.Writer) int {
	if len(rest) == 0 || len(rest) > 2 {
		fmt.Fprintln(stderr, `usage: basiq-mcp call TOOL '{"argument":"value"}'`)
		return 2
	}
	args := map[string]any{}
	if len(rest) == 2 {
		if err := json.Unmarshal([]byte(rest[1]), &args); err != nil {
			fmt.Fprintf(stderr, "basiq-mcp: the arguments must be one JSON object: %v\n", err)
			return 2
		}
	}
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = rest[0], args
	res, err := mc.CallTool(ctx, req)
	if err != nil {
		fmt.Fprintln(stderr, "basiq-mcp:", err)
		return 1
	}
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			fmt.Fprintln(stdout, tc.Text)
		}
	}
	if res.IsError {
		return 1
	}
	return 0
}
