package tools

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type listUsersParams struct {
	Query  string `json:"query,omitempty" jsonschema:"maxLength=254" jsonschema_description:"e.g. 'richard@' or '0412'"`
	Limit  int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100"` // 10 when left out
	Cursor string `json:"cursor,omitempty" jsonschema:"maxLength=200" jsonschema_description:"next_cursor of the previous page."`
}

type userSummary struct {
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	Email          string `json:"email,omitempty"`
	Mobile         string `json:"mobile,omitempty"`
	Created        string `json:"created,omitempty"`
	Connections    int    `json:"connections"`
	NeedsAttention int    `json:"needs_attention"`
	Attention      string `json:"attention,omitempty"`
	Accounts       int    `json:"accounts"`
	// Unread says why this customer's connections or accounts could not be
	// read; the counts above are then unknown, not zero.
	Unread string `json:"unread,omitempty"`
	// AsOf is when Basiq last showed the counts above: a queue reads a
	// recent triage from the store instead of asking Basiq again.
	AsOf string `json:"as_of,omitempty"`
	// banks are the institutions of the connections needing attention.
	banks []string
}

// searchScope says which customers a search looked at, so that an empty
// answer is never mistaken for "no such customer".
type searchScope struct {
	Source   string `json:"source" jsonschema:"enum=basiq,enum=this-server"`
	Count    int    `json:"count" jsonschema_description:"customers searched"`
	Complete bool   `json:"complete" jsonschema_description:"false: the search was cut off, others may match"`
}

type listUsersResult struct {
	Users      []userSummary `json:"users"`
	Total      int           `json:"total" jsonschema_description:"customers matching"`
	Searched   searchScope   `json:"searched"`
	Note       string        `json:"note,omitempty"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// maxUsersScanned bounds how many users list_users reads from Basiq's
// legacy GET /users, which has no server-side filter.
const maxUsersScanned = 5000

// listUsersTool is the list_users tool.
var listUsersTool = spec[listUsersParams, listUsersResult]{name: "list_users", reach: guard.ReachFiltered, title: "List users", toolset: SetUsers, hints: readHints, run: listUsers,
	description: "Find customers by part of a name, email or mobile; use it before create_user to avoid duplicates."}

func listUsers(ctx context.Context, d *call, p listUsersParams) (listUsersResult, error) {
	offset, err := offsetCursor(p.Cursor)
	if err != nil {
		return listUsersResult{}, err
	}
	match, scope, err := findUsers(ctx, d, p.Query)
	if err != nil {
		return listUsersResult{}, err
	}
	match = slices.DeleteFunc(match, func(u userSummary) bool { return !mayReach(ctx, u.ID) })
	limit := p.Limit
	if limit == 0 {
		limit = 10
	}
	res := listUsersResult{Users: []userSummary{}, Total: len(match), Searched: scope, Note: searchNote(p.Query, len(match), scope)}
	end := min(offset+limit, len(match))
	if offset < end {
		res.Users = match[offset:end]
		if err := triage(ctx, d, res.Users); err != nil {
			return listUsersResult{}, err
		}
	}
	if end < len(match) {
		res.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("o=" + strconv.Itoa(end)))
	}
	return res, nil
}

// findUsers searches Basiq's user list where Basiq offers one, and the
// customers this deployment knows where it does not (or where Basiq's list
// was too long to read whole).
func findUsers(ctx context.Context, d *call, query string) ([]userSummary, searchScope, error) {
	all, truncated, err := d.Client.AllUsers(ctx, maxUsersScanned)
	if err != nil && !userListMissing(err) {
		return nil, searchScope{}, err
	}
	var match []userSummary
	seen := map[string]bool{}
	scope := searchScope{Source: "basiq", Count: len(all), Complete: !truncated}
	for _, u := range all {
		name := strings.TrimSpace(u.FirstName + " " + u.LastName)
		if guard.Matches(query, name, u.Email, u.Mobile) {
			match = append(match, userSummary{ID: u.ID, Name: text.Clean(name, 80), Email: u.Email, Mobile: u.Mobile, Created: views.Stamp(u.CreatedTime)})
			seen[strings.ToLower(u.ID)] = true
		}
	}
	if err == nil && !truncated || d.Users == nil {
		if err != nil {
			return nil, scope, badArg("Basiq offers no user list to this server (GET /users answered %s) and this server keeps no directory; ask for the customer's user id", statusOf(err))
		}
		return match, scope, nil
	}
	known, _, count, derr := d.Users.Search(query, maxUsersScanned)
	if derr != nil {
		return nil, scope, fmt.Errorf("the customer directory could not be read: %w", derr)
	}
	if err != nil {
		scope = searchScope{Source: "this-server", Count: count, Complete: true}
	}
	for _, u := range known {
		if !seen[strings.ToLower(u.ID)] {
			match = append(match, userSummary{ID: u.ID, Name: text.Clean(u.Name, 80), Email: u.Email, Mobile: u.Mobile})
		}
	}
	return match, scope, nil
}

// userListMissing: Basiq's published 3.0 API has no GET /users (only a
// legacy page documents it), so 404, 405 and 403 mean "not offered here".
func userListMissing(err error) bool {
	e, ok := basiq.AsError(err)
	if !ok {
		return false
	}
	if _, _, limited := basiq.IsLimited(err); limited {
		return false
	}
	switch e.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusForbidden:
		return true
	}
	return false
}

func statusOf(err error) string {
	if e, ok := basiq.AsError(err); ok {
		return strconv.Itoa(e.StatusCode)
	}
	return "an error"
}

// searchNote says what an answer means, above all an empty one.
func searchNote(query string, matched int, s searchScope) string {
	switch {
	case s.Source == "this-server":
		return fmt.Sprintf("Basiq's API has no user search, so this searched the %d customers this server has created or read. A customer created elsewhere is not among them: ask for their user id.", s.Count)
	case matched == 0 && !s.Complete:
		return fmt.Sprintf("No match among the first %d of Basiq's users, and the list was cut off there: the customer may still exist. Ask for their user id.", s.Count)
	case matched == 0 && query != "":
		return fmt.Sprintf("No customer's name, email or mobile contains %q among all %d.", text.Clean(query, 60), s.Count)
	}
	return ""
}

// offsetCursor reads a list_users cursor.
func offsetCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), "o="))
	if err != nil || convErr != nil || n < 0 || !strings.HasPrefix(string(raw), "o=") {
		return 0, badArg("argument \"cursor\" is not a cursor this server issued; omit it to start from the first page")
	}
	return n, nil
}

// knownUser is what the directory keeps of a Basiq user.
func knownUser(u *basiq.User) guard.KnownUser {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Name
	}
	return guard.KnownUser{ID: u.ID, Name: name, Email: u.Email, Mobile: u.Mobile}
}

// rememberAll adds a listing's customers to the directory, in one write.
func (d *Deps) rememberAll(ctx context.Context, users []basiq.User) {
	if d.Users == nil {
		return
	}
	known := make([]guard.KnownUser, len(users))
	for i := range users {
		known[i] = knownUser(&users[i])
	}
	if err := d.Users.RememberAll(known); err != nil {
		d.Log.WarnContext(ctx, "customer directory", "error", err)
	}
}

// remember adds a customer to the directory; a failure is logged, never
// allowed to fail the read that found them.
func (d *Deps) remember(ctx context.Context, u *basiq.User) {
	if d.Users == nil || u == nil {
		return
	}
	if err := d.Users.Remember(knownUser(u)); err != nil {
		d.Log.WarnContext(ctx, "customer directory", "error", err)
	}
}
