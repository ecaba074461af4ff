package tools_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexAddTakesTheTeamsOwnList: "basiq-mcp index add" puts customers
// in the index by id (a CSV's first column, a header and comments
// skipped) without asking Basiq; ids already there are not added twice,
// and a list with one unreadable id adds nothing.
func TestIndexAddTakesTheTeamsOwnList(t *testing.T) {
	h := newHarness(t, tools.Options{})
	run := func(input string) (int, string, string) {
		var out, errs bytes.Buffer
		code := tools.IndexCommand(h.deps, []string{"add"}, strings.NewReader(input), &out, &errs)
		return code, out.String(), errs.String()
	}
	known := func() int {
		_, _, n, err := h.deps.Users.Search("", 10)
		require.NoError(t, err)
		return n
	}
	before, calls := known(), h.sim.Calls("GET /users/{userId}")+h.sim.Calls("GET /users")

	code, _, errs := run("user_id,email\nab12cd34,a@x.io\nnot an id!,b@x.io\n")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "nothing was added: 1 lines do not hold a Basiq user id (line 3)")
	assert.Equal(t, before, known(), "nothing half-recorded")

	code, out, _ := run("user_id,email\n# the book\nab12cd34,a@x.io\n\"ef56ab78\",b@x.io\n\nab12cd34\n")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "2 customers added to the index (0 already in it)")
	assert.Equal(t, before+2, known())

	_, out, _ = run("ab12cd34\nef56ab78\n")
	assert.Contains(t, out, "0 customers added to the index (2 already in it)")
	assert.Equal(t, calls, h.sim.Calls("GET /users/{userId}")+h.sim.Calls("GET /users"), "Basiq was not asked")
}
