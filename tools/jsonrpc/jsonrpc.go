// Package jsonrpc gives prompt, resource and completion handlers the
// JSON-RPC error codes MCP names for their failures: -32602 for arguments a
// client got wrong (or a customer its token may not reach), and the
// resource-not-found code for a URI that names nothing. mcp-go reports any
// other handler error as -32603; these errors reach the client with their
// code through mcp-go's server.NewHandlerError.
//
// It is a leaf, so prompts and resources can use it without importing tools.
package jsonrpc

import (
	"context"
	"errors"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Codes this package sets.
const (
	// CodeInvalidParams is JSON-RPC's invalid params.
	CodeInvalidParams = mcp.INVALID_PARAMS
	// CodeResourceNotFound is MCP's resource-not-found code before protocol
	// 2026-07-28, which reports a missing resource as invalid params.
	CodeResourceNotFound = mcp.RESOURCE_NOT_FOUND
)

// coded is an error with the JSON-RPC code it is answered with.
type coded struct {
	code   int
	prefix string
	err    error
}

func (c *coded) Error() string { return c.prefix + c.err.Error() }
func (c *coded) Unwrap() error { return c.err }

// JSONRPCError is what mcp-go answers for it.
func (c *coded) JSONRPCError() mcp.JSONRPCError {
	return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, Error: mcp.JSONRPCErrorDetails{Code: c.code, Message: c.Error()}}
}

// InvalidParams marks err as the client's bad arguments (-32602); its
// message is "invalid params: " and err's text.
func InvalidParams(err error) error {
	return server.NewHandlerError(&coded{code: CodeInvalidParams, prefix: "invalid params: ", err: err})
}

// NotFound marks err as a resource that does not exist: -32002 before
// protocol 2026-07-28, -32602 from it (the request's version decides).
func NotFound(ctx context.Context, err error) error {
	code := CodeResourceNotFound
	if mcp.IsModernProtocol(server.RequestProtocolVersion(ctx)) {
		code = CodeInvalidParams
	}
	return server.NewHandlerError(&coded{code: code, prefix: "resource not found: ", err: err})
}

// Code returns the JSON-RPC code err carries, or 0 for an error this
// package did not make (mcp-go answers those -32603).
func Code(err error) int {
	var c *coded
	if errors.As(err, &c) {
		return c.code
	}
	return 0
}
