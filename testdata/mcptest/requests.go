package mcptest

import "github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"

// QueueRequests counts, at the simulator, every request a support queue
// can make of Basiq: the token, the user list, each customer's four reads
// and the banks' status.
func QueueRequests(sim *basiqtest.Server) int {
	n := 0
	for _, p := range []string{"POST /token", "GET /users", "GET /users/{userId}/connections", "GET /users/{userId}/jobs",
		"GET /users/{userId}/consents", "GET /users/{userId}/accounts", "GET /connectors"} {
		n += sim.Calls(p)
	}
	return n
}
