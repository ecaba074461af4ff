// Package hosting_test drives the built basiq-mcp binary the way a hosted
// deployment runs it: metrics and readiness, audit sinks, OAuth against an
// issuer of our own and against oidc-provider, scopes, customer binding and
// per-caller quotas.
package hosting_test

import (
	"os"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
)

// binary is the basiq-mcp command built for these tests; stateDir keeps
// their guard state apart from the user's own.
var binary, stateDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "basiq-mcp-hosting")
	if err != nil {
		panic(err)
	}
	if binary, err = mcptest.BuildBinary("../..", dir); err != nil {
		panic(err)
	}
	stateDir = dir + "/state"
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func sandboxEnv(extra ...string) []string { return mcptest.SandboxEnv(stateDir, extra...) }
