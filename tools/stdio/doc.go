// Package stdio is the stdio transport: a read loop of its own over
// mcp-go's MCPServer.HandleMessage (Serve), the one client's session, and
// stdin read through the runtime's poller (Pollable). It exists for speed:
// mcp-go's own stdio server decoded each message several times and paid a
// goroutine and a write per line; this one decodes the envelope once,
// runs a request on the goroutine that read it while nothing else waits
// (runHere), and shares writes among answers that are ready together.
package stdio
