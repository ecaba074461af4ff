package stdio

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// DirectTool names the handler of a tool the loop may call itself, or
// false for one only the server may dispatch. A call of it then skips
// mcp-go's decoding of the message, which reads it four times over (the
// envelope, the id, the request, the arguments) and checks its member
// names: half the CPU of a cheap call, measured.
type DirectTool func(ctx context.Context, name string) (server.ToolHandlerFunc, bool)

// callDirect answers a plain tools/call without the server's decoding:
// JSON-RPC 2.0, a plain id, params of only a name and arguments (so no
// _meta: no progress token, no 2026-07-28 request, no task), from ctx's
// session, initialized, at a protocol version with sessions (version, as
// the transport knows it; "" where it does not say, which mcp-go takes as
// one), with no tools of its own, and no hooks that would see the call. It
// reports false for anything else, and for a call the handler cannot
// finish here (an error, a question for the human): the server then
// handles the message whole.
func callDirect(ctx context.Context, s *server.MCPServer, direct DirectTool, env envelope, msg []byte, header http.Header, version string) (mcp.JSONRPCMessage, bool) {
	if direct == nil || env.Method != string(mcp.MethodToolsCall) || env.jsonrpc != mcp.JSONRPC_VERSION || env.odd ||
		(version != "" && (!mcp.IsValidProtocolVersion(version) || version >= mcp.ProtocolVersion20260728)) {
		return nil, false
	}
	id, hookID, ok := plainID(env.ID)
	if !ok {
		return nil, false
	}
	name, args, ok := callParams(env.params)
	if !ok || !plainSession(ctx, name) || !hooksAllow(ctx, s, hookID, msg) {
		return nil, false
	}
	handler, ok := direct(ctx, name)
	if !ok {
		return nil, false
	}
	if header == nil {
		header = http.Header{}
	}
	req := mcp.CallToolRequest{Header: header}
	req.Method, req.Params.Name = string(mcp.MethodToolsCall), name
	if args != nil {
		m, ok := argumentsMap(args)
		if !ok {
			return nil, false
		}
		req.Params.Arguments, req.Params.RawArguments = m, args
	}
	res, err := handler(ctx, req)
	if err != nil || res == nil || len(res.InputRequests) > 0 || res.RequestState != "" {
		return nil, false
	}
	return mcp.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Result: res}, true
}

// argumentsMap is the arguments object as json.Unmarshal gives it in a
// map, which the tool middleware reads ids from; a plainly written string
// (nearly every argument) is taken as it is, not decoded.
func argumentsMap(args json.RawMessage) (map[string]any, bool) {
	m := map[string]any{}
	if members(args, func(key string, value []byte) bool {
		if plainString(value) {
			m[key] = string(value[1 : len(value)-1])
			return true
		}
		var v any
		if json.Unmarshal(value, &v) != nil {
			return false
		}
		m[key] = v
		return true
	}) {
		return m, true
	}
	m = nil
	return m, json.Unmarshal(args, &m) == nil
}

// Message is a message as a transport follows it, read once (route): its
// method, its id as a key (IDKey; "" for a notification), and its bytes.
type Message struct {
	Method, ID string
	env        envelope
	raw        []byte
}

// ReadMessage reads what a transport needs of msg to follow it, or false
// for what is not one well-formed object.
func ReadMessage(msg []byte) (Message, bool) {
	env, ok := route(msg)
	if !ok {
		return Message{}, false
	}
	m := Message{Method: env.Method, env: env, raw: msg}
	if len(env.ID) > 0 && string(env.ID) != "null" {
		m.ID = IDKey(env.ID)
	}
	return m, true
}

// AnswerDirect is the answer to a plain call of a direct tool (see
// callDirect), made without mcp-go and encoded as Encode does, or false
// when the server must answer m. The streamable HTTP edge uses it with
// the request's headers and protocol version; ctx carries the session.
func AnswerDirect(ctx context.Context, s *server.MCPServer, direct DirectTool, m Message, header http.Header, version string) ([]byte, bool) {
	resp, ok := callDirect(ctx, s, direct, m.env, m.raw, header, version)
	if !ok {
		return nil, false
	}
	b, err := Encode(resp)
	return b, err == nil
}

// hooksAllow runs the hooks mcp-go runs on every request before its
// method (a refusal is left to the server to answer), and refuses when
// hooks are set that would see a tool call or its outcome.
func hooksAllow(ctx context.Context, s *server.MCPServer, id any, msg []byte) bool {
	h := s.GetHooks()
	if h == nil {
		return true
	}
	if len(h.OnBeforeAny)+len(h.OnSuccess)+len(h.OnBeforeCallTool)+len(h.OnAfterCallTool) > 0 {
		return false
	}
	for _, f := range h.OnRequestInitialization {
		if f(ctx, id, json.RawMessage(msg)) != nil {
			return false
		}
	}
	return true
}

// plainSession reports whether ctx's session is initialized and has no
// tool of its own by this name (mcp-go looks there first).
func plainSession(ctx context.Context, name string) bool {
	sess := server.ClientSessionFromContext(ctx)
	if sess == nil || !sess.Initialized() {
		return false
	}
	if st, ok := sess.(server.SessionWithTools); ok {
		if _, own := st.GetSessionTools()[name]; own {
			return false
		}
	}
	return true
}

// Answer is what Serve writes for one request line, without the
// transport: a plain call of a direct tool made here, anything else by s.
// ctx carries the session, as Serve's does. (The bench measures the MCP
// layer alone with it.)
func Answer(ctx context.Context, s *server.MCPServer, direct DirectTool, line []byte) ([]byte, error) {
	var resp mcp.JSONRPCMessage
	env, ok := route(line)
	if ok {
		resp, ok = callDirect(ctx, s, direct, env, line, nil, sessionVersion(ctx))
	}
	if !ok {
		resp = s.HandleMessage(ctx, line)
	}
	return Encode(resp)
}

// sessionVersion is the protocol version ctx's session negotiated; a
// session that does not say counts as one of 2026-07-28, which the direct
// path leaves to the server.
func sessionVersion(ctx context.Context) string {
	if v, ok := server.ClientSessionFromContext(ctx).(server.SessionWithProtocolVersion); ok && v.ProtocolVersion() != "" {
		return v.ProtocolVersion()
	}
	return mcp.ProtocolVersion20260728
}

// plainID reads an id written as a small whole number (0 or no leading
// zero, at most 15 digits, which mcp-go writes back the same) or a plain
// string: the id to answer with, and the value mcp-go gives its hooks.
func plainID(raw json.RawMessage) (mcp.RequestId, any, bool) {
	if plainString(raw) {
		s := string(raw[1 : len(raw)-1])
		return mcp.NewRequestId(s), s, true
	}
	if len(raw) == 0 || len(raw) > 15 || (raw[0] == '0' && len(raw) > 1) {
		return mcp.RequestId{}, nil, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return mcp.RequestId{}, nil, false
	}
	return mcp.NewRequestId(n), float64(n), true
}

// callParams reads params made of a plainly written name and, optionally,
// an arguments object; any other member leaves the call to the server.
func callParams(params json.RawMessage) (name string, args json.RawMessage, ok bool) {
	ok = members(params, func(key string, value []byte) bool {
		switch {
		case key == "name" && plainString(value):
			name = string(value[1 : len(value)-1])
		case key == "arguments" && len(value) > 0 && value[0] == '{':
			args = json.RawMessage(value)
		default:
			return false
		}
		return true
	})
	return name, args, ok && name != ""
}
