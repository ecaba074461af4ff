// Package rpcerr gives prompt and resource handlers the JSON-RPC error codes
// MCP names for their failures: -32602 for arguments a client got wrong and
// the resource-not-found code for a URI that names nothing.
//
// mcp-go (v1.2.1) reports every error a prompt or resource handler returns as
// -32603, internal error, and offers no option to choose the code. So a
// handler returns one of this package's errors, whose message starts with a
// fixed phrase, and Writer and Handler, wrapped around each transport's
// output, change that one response's code. The code sits before the message
// in mcp-go's encoding and the new code is as long as the old one, so the
// change is made in place: the length of a response never changes, and
// nothing but an error object whose message starts with the phrase can match
// (inside a JSON string every quote is escaped).
//
// The package is stdlib only and a leaf, so prompts and resources can use it
// without importing tools.
package rpcerr

import (
	"bytes"
	"io"
	"net/http"
)

// JSON-RPC and MCP error codes this package sets.
const (
	// CodeInvalidParams is JSON-RPC's invalid params.
	CodeInvalidParams = -32602
	// CodeResourceNotFound is MCP's resource-not-found code before protocol
	// 2026-07-28, which reports a missing resource as invalid params.
	CodeResourceNotFound = -32002
)

const (
	invalidPhrase  = "invalid params: "
	notFoundPhrase = "resource not found: "
)

// InvalidParams marks err as the client's bad arguments (-32602). Its message
// is "invalid params: " and err's text.
func InvalidParams(err error) error {
	return &marked{phrase: invalidPhrase, err: err}
}

// NotFound marks err as a resource that does not exist. modern is true for a
// request made with protocol 2026-07-28 or later, which reports it as
// invalid params (-32602); earlier protocols get -32002.
func NotFound(err error, modern bool) error {
	if modern {
		return InvalidParams(&marked{phrase: notFoundPhrase, err: err})
	}
	return &marked{phrase: notFoundPhrase, err: err}
}

// marked is an error whose message leads with a phrase the output filter
// recognises; errors.Is and errors.As see through it.
type marked struct {
	phrase string
	err    error
}

func (m *marked) Error() string { return m.phrase + m.err.Error() }
func (m *marked) Unwrap() error { return m.err }

// rewrites are the byte sequences mcp-go writes for a handler error carrying
// each phrase, and what they become. Every pair is of equal length.
var rewrites = [...]struct{ from, to []byte }{
	{[]byte(`{"code":-32603,"message":"` + invalidPhrase), []byte(`{"code":-32602,"message":"` + invalidPhrase)},
	{[]byte(`{"code":-32603,"message":"` + notFoundPhrase), []byte(`{"code":-32002,"message":"` + notFoundPhrase)},
}

// internalCode is the common start of every sequence in rewrites: a response
// without it is passed on untouched and uncopied.
var internalCode = []byte(`{"code":-32603,"message":"`)

// fix returns p with each marked error's code corrected, copying p only when
// something changes (a Writer must not modify the caller's slice).
func fix(p []byte) []byte {
	if !bytes.Contains(p, internalCode) {
		return p
	}
	out, copied := p, false
	for _, r := range rewrites {
		for i := bytes.Index(out, r.from); i >= 0; i = bytes.Index(out, r.from) {
			if !copied {
				out, copied = bytes.Clone(p), true
			}
			copy(out[i:], r.to)
		}
	}
	return out
}

// Writer wraps a transport's output stream (stdio) so marked errors carry
// their codes. mcp-go writes each message with one Write call.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(fix(p))
	return min(n, len(p)), err
}

// Handler wraps an HTTP transport (streamable HTTP, or SSE with its event
// stream) so marked errors carry their codes, in plain JSON bodies and in
// server-sent events alike.
func Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&responseWriter{ResponseWriter: w}, r)
	})
}

// responseWriter fixes each Write and keeps flushing and the rest of the
// http.ResponseController surface reachable through Unwrap.
type responseWriter struct{ http.ResponseWriter }

func (w *responseWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(fix(p))
	return min(n, len(p)), err
}

// Flush passes a flush on, as SSE streams need one after every event.
func (w *responseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
