package tools_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/require"
)

// TestReadmeListsEveryTool keeps README's tool table generated from the
// inventory, so the documentation and the server cannot disagree.
func TestReadmeListsEveryTool(t *testing.T) {
	var b strings.Builder
	b.WriteString("| tool | what it does | kind | toolset |\n|---|---|---|---|\n")
	sandbox := func(context.Context, string, tools.SandboxLogin) (string, []string, error) { return "", nil, nil }
	for _, tl := range tools.Inventory(&tools.Deps{Log: slog.New(slog.DiscardHandler), SearchDocs: fakeSearch, SandboxConsent: sandbox}) {
		kind := "read"
		switch {
		case tl.Def.Name == "complete_sandbox_consent":
			kind = "write (offline simulator only)"
		case tl.Destructive:
			kind = "destructive (off by default)"
		case !tl.ReadOnly:
			kind = "write"
		}
		desc := tl.Def.Description
		if i := strings.Index(desc, ". "); i > 0 {
			desc = desc[:i+1]
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", tl.Def.Name, desc, kind, tl.Toolset)
	}
	const start, end = "<!-- tools:start -->\n", "<!-- tools:end -->"
	path := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(readme)
	i, j := strings.Index(s, start), strings.Index(s, end)
	require.True(t, i >= 0 && j > i, "README has the tools markers")
	if *update {
		s = s[:i+len(start)] + b.String() + s[j:]
		require.NoError(t, os.WriteFile(path, []byte(s), 0o644))
	}
	require.Equal(t, b.String(), s[i+len(start):j], "README's tool table is stale: go test ./tools -update")
}
