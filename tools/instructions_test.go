package tools_test

import (
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInstructionsFollowTheConfiguration: the server's instructions name
// only what the configuration lists, so a read-only server never tells a
// model to create a customer, and a sandbox says it is one.
func TestInstructionsFollowTheConfiguration(t *testing.T) {
	deps := &tools.Deps{SearchDocs: fakeSearch}
	pick := func(o tools.Options) []tools.Tool {
		chosen, err := tools.Select(tools.Inventory(deps), o)
		require.NoError(t, err)
		return chosen
	}
	full := tools.Instructions(pick(tools.Options{}), false)
	assert.Contains(t, full, "create_auth_link")
	assert.Contains(t, full, "Purges and deletes are not available")
	ro := tools.Instructions(pick(tools.Options{ReadOnly: true}), false)
	assert.Contains(t, ro, "read-only")
	assert.NotContains(t, ro, "create_user")
	assert.NotContains(t, ro, "refresh_connection")
	destructive := tools.Instructions(pick(tools.Options{AllowDestructive: true}), true)
	assert.Contains(t, destructive, "two calls")
	assert.Contains(t, destructive, "offline sandbox")
	reports := tools.Instructions(pick(tools.Options{Toolsets: []string{"reports", "data"}}), false)
	assert.NotContains(t, reports, "diagnose_connection")
}
