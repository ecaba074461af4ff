package tools_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/invopop/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOutputSchemasAreInvopopsBytes: the output schemas written by hand
// (appendLean) are the bytes encoding/json gives invopop's Schema for
// the same schema, for every tool.
func TestOutputSchemasAreInvopopsBytes(t *testing.T) {
	all := tools.Inventory(&tools.Deps{SearchDocs: func(string, int) []tools.DocHit { return nil },
		SandboxConsent: func(context.Context, string, tools.SandboxLogin) (string, []string, error) { return "", nil, nil }})
	require.NotEmpty(t, all)
	for _, tl := range all {
		raw := tl.Def.RawOutputSchema
		var s jsonschema.Schema
		require.NoError(t, json.Unmarshal(raw, &s), tl.Def.Name)
		again, err := json.Marshal(&s)
		require.NoError(t, err)
		assert.Equal(t, string(again), string(raw), tl.Def.Name)
	}
}
