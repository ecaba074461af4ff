package tools_test

import (
	"path/filepath"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type usersPage struct {
	Users    []struct{ ID, Name, Email, Mobile string }
	Total    int
	Searched struct {
		Source   string
		Count    int
		Complete bool
	}
	Note string
}

// TestFindingCustomersWithoutGetUsers: Basiq's published API has no GET
// /users. list_users then searches the customers this deployment created or
// read, by part of a name, email or mobile, says so, and the directory
// survives a restart; delete_user forgets the customer.
func TestFindingCustomersWithoutGetUsers(t *testing.T) {
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.002), basiqtest.WithoutUserList())
	t.Cleanup(sim.Close)
	state := filepath.Join(t.TempDir(), "guard.db")
	opts := tools.Options{Toolsets: []string{"all"}, AllowDestructive: true}
	h := harnessAt(t, sim.URL, opts, guard.DefaultPolicy(), state)

	var page usersPage
	h.okValid(t, "list_users", obj{"query": "richard"}, &page)
	assert.Equal(t, "this-server", page.Searched.Source)
	assert.Zero(t, page.Searched.Count)
	assert.Contains(t, page.Note, "ask for their user id", "an empty answer is not 'no such customer'")

	var richard, erlich views.User
	h.okValid(t, "create_user", obj{"email": "Richard@PiedPiper.com", "first_name": "Richard", "last_name": "Hendricks", "mobile": "+61412345678"}, &richard)
	h.okValid(t, "create_user", obj{"email": "erlich@aviato.com", "first_name": "Erlich", "last_name": "Bachman"}, &erlich)
	seeded := sim.Connections()[0].UserID
	h.okValid(t, "get_user", obj{"user_id": seeded}, &views.User{})

	for _, q := range []string{"richard@", "RICHARD", "hendr", "0412 345", "+614123"} {
		h.okValid(t, "list_users", obj{"query": q}, &page)
		if assert.Len(t, page.Users, 1, q) {
			assert.Equal(t, richard.ID, page.Users[0].ID, q)
		}
		assert.Equal(t, 3, page.Searched.Count, "created and read customers are known")
	}

	restarted := harnessAt(t, sim.URL, opts, guard.DefaultPolicy(), state)
	restarted.okValid(t, "list_users", obj{"query": "aviato"}, &page)
	require.Len(t, page.Users, 1, "the directory survives a restart")
	assert.Equal(t, erlich.ID, page.Users[0].ID)

	var preview struct {
		ConfirmationToken string `json:"confirmation_token"`
	}
	restarted.okValid(t, "delete_user", obj{"user_id": erlich.ID}, &preview)
	restarted.okValid(t, "delete_user", obj{"user_id": erlich.ID, "confirmation_token": preview.ConfirmationToken}, &struct{}{})
	restarted.okValid(t, "list_users", obj{"query": "aviato"}, &page)
	assert.Empty(t, page.Users, "delete_user forgets the customer")
	assert.Equal(t, 2, page.Searched.Count)
}

// TestUserSearchNeverSaysNotFoundAfterACutOffScan: where Basiq's legacy list
// exists but is longer than the scan, an empty answer says it was cut off.
func TestUserSearchNeverSaysNotFoundAfterACutOffScan(t *testing.T) {
	h := newHarness(t, tools.Options{}, basiqtest.WithUsers(30))
	var page usersPage
	h.okValid(t, "list_users", obj{"query": "nobody-by-this-name"}, &page)
	assert.Equal(t, "basiq", page.Searched.Source)
	assert.True(t, page.Searched.Complete)
	assert.Contains(t, page.Note, "No customer's name, email or mobile contains")
}
