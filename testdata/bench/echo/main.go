// Command echo is the bench's floor: a bare mcp-go server with one echo
// tool and nothing else (no middleware, logging, schemas beyond the input,
// or guard state), serving stdio or streamable HTTP. What basiq-mcp spends
// per call beyond it is what our own code costs.
//
//	go build -o /tmp/echo ./testdata/bench/echo && /tmp/echo -transport http
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	transport := flag.String("transport", "stdio", "stdio or http")
	flag.Parse()
	s := server.NewMCPServer("echo", "1", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo", mcp.WithDescription("Echo the message."), mcp.WithString("message", mcp.Required())),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(req.GetString("message", "")), nil
		})
	if *transport == "stdio" {
		if err := server.NewStdioServer(s).Listen(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
		}
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "echo listening url=http://%s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.Handle("/mcp", server.NewStreamableHTTPServer(s))
	fmt.Fprintln(os.Stderr, http.Serve(ln, mux))
}
