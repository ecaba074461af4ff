package tools

import (
	"context"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// userIDParam is the user a tool acts on. The pattern admits Basiq ids
// (UUIDs, hex, AU00000…) and nothing that could change a URL path.
type userIDParam struct {
	UserID string `json:"user_id" jsonschema:"required,pattern=id"`
}

// getUserTool is the get_user tool.
var getUserTool = spec[userIDParam, views.User]{name: "get_user", title: "Get user", toolset: SetUsers, hints: readHints, run: getUser,
	description: "Get a user: contact details, connection ids and account count."}

func getUser(ctx context.Context, d *call, p userIDParam) (views.User, error) {
	u, err := d.Client.GetUser(ctx, p.UserID)
	if err != nil {
		return views.User{}, err
	}
	d.remember(ctx, u)
	return views.FromUser(u), nil
}

type createUserParams struct {
	idemParam
	Email      string `json:"email,omitempty" jsonschema:"maxLength=254"`
	Mobile     string `json:"mobile,omitempty" jsonschema:"pattern=^\\+?[0-9]+$,minLength=8,maxLength=16" jsonschema_description:"e.g. +61400111222"`
	FirstName  string `json:"first_name,omitempty" jsonschema:"maxLength=100"`
	MiddleName string `json:"middle_name,omitempty" jsonschema:"maxLength=100"`
	LastName   string `json:"last_name,omitempty" jsonschema:"maxLength=100"`
}

// createUserTool is the create_user tool.
var createUserTool = spec[createUserParams, views.User]{name: "create_user", reach: guard.ReachNew, title: "Create user", toolset: SetUsers, hints: writeHints, run: createUser,
	description: "Create a Basiq user (email or mobile; a consent link needs a mobile). Every call makes a new user: search with list_users first."}

func createUser(ctx context.Context, d *call, p createUserParams) (views.User, error) {
	if p.Email == "" && p.Mobile == "" {
		return views.User{}, badArg("give \"email\" or \"mobile\" (or both): Basiq needs one to create a user")
	}
	key := p.IdempotencyKey
	p.IdempotencyKey = ""
	return once(ctx, d, key, p, func(ctx context.Context) (views.User, error) {
		u, err := d.Client.CreateUser(ctx, basiq.UserParams{Email: p.Email, Mobile: p.Mobile, FirstName: p.FirstName, MiddleName: p.MiddleName, LastName: p.LastName})
		if err != nil {
			return views.User{}, err
		}
		d.remember(ctx, u)
		// The outcome is written last, next to the record that settles the
		// key, so a process killed between the two leaves the least room.
		d.audit(guard.Entry{Tool: "create_user", UserID: u.ID, Decision: "created"})
		return views.FromUser(u), nil
	}, func(ctx context.Context, since time.Time) (views.User, bool, error) {
		return findCreatedUser(ctx, d, p, since)
	})
}

// findCreatedUser looks, after a create whose answer was lost, for the user
// it made: one with the same email or mobile created since then, in Basiq's
// user list where Basiq offers one.
func findCreatedUser(ctx context.Context, d *call, p createUserParams, since time.Time) (views.User, bool, error) {
	users, _, err := d.Client.AllUsers(ctx, maxUsersScanned)
	if err != nil {
		return views.User{}, false, err
	}
	for i := range users {
		u := &users[i]
		same := p.Email != "" && strings.EqualFold(u.Email, p.Email) || p.Email == "" && p.Mobile != "" && u.Mobile == p.Mobile
		if same && !u.CreatedTime.Before(since) {
			d.remember(ctx, u)
			return views.FromUser(u), true, nil
		}
	}
	return views.User{}, false, nil
}

type createAuthLinkParams struct {
	userIDParam
	idemParam
	Mobile string `json:"mobile,omitempty" jsonschema:"pattern=^\\+?[0-9]+$,minLength=8,maxLength=16" jsonschema_description:"Send the SMS code here instead, e.g. +61400111222."`
}

// AuthLinkView is a consent link to give to the customer.
type AuthLinkView struct {
	UserID    string `json:"user_id"`
	URL       string `json:"url" jsonschema_description:"the link to send to the customer; it replaces any earlier link"`
	ExpiresAt string `json:"expires_at"`
	Mobile    string `json:"mobile,omitempty" jsonschema_description:"masked; receives the SMS code"`
	NextStep  string `json:"next_step"`
}

func authLinkView(a *basiq.AuthLink, userID string) AuthLinkView {
	return AuthLinkView{UserID: userID, URL: a.PublicURL(), ExpiresAt: views.Stamp(a.ExpiresAt), Mobile: views.Mask(a.Mobile),
		NextStep: "Send the link to the customer. When they finish, their banks appear in list_connections and the connect jobs in list_user_jobs; follow them with get_job and wait_seconds."}
}

// createAuthLinkTool is the create_auth_link tool.
var createAuthLinkTool = spec[createAuthLinkParams, AuthLinkView]{name: "create_auth_link", title: "Create consent link", toolset: SetUsers, hints: writeHints, run: createAuthLink,
	description: "Create the consent link the customer opens to connect banks or re-consent; give them the url. It replaces any earlier link."}

func createAuthLink(ctx context.Context, d *call, p createAuthLinkParams) (AuthLinkView, error) {
	if answer := opened(d.req); answer != nil { // the human was offered the page: the link stands
		return afterOffer(ctx, d, p, answer)
	}
	key := p.IdempotencyKey
	p.IdempotencyKey = ""
	v, err := once(ctx, d, key, p, func(ctx context.Context) (AuthLinkView, error) {
		a, err := d.Client.CreateAuthLink(ctx, p.UserID, p.Mobile)
		if err != nil {
			return AuthLinkView{}, err
		}
		d.audit(guard.Entry{Tool: "create_auth_link", UserID: p.UserID, Decision: "created"})
		return authLinkView(a, p.UserID), nil
	}, func(ctx context.Context, _ time.Time) (AuthLinkView, bool, error) { return findAuthLink(ctx, d, p) })
	if mobileMissing(err) { // Basiq's words name its HTTP body; these name the tool's argument
		return v, badArg("user %s has no mobile number, and the consent link sends its code by SMS: call create_auth_link again with \"mobile\" (e.g. +61400111222)", p.UserID)
	}
	if err == nil && canOpenURL(ctx) && d.offerable(v.URL) {
		d.offerConsentPage(v)
	}
	return v, err
}

// findAuthLink looks, after a create whose answer was lost, for the link
// it made: only the latest link works, so the current one is the answer
// either way.
func findAuthLink(ctx context.Context, d *call, p createAuthLinkParams) (AuthLinkView, bool, error) {
	a, err := d.Client.GetAuthLink(ctx, p.UserID)
	if basiq.IsNotFound(err) || basiq.IsGone(err) {
		return AuthLinkView{}, false, nil // no link now: nothing to answer with
	}
	if err != nil {
		return AuthLinkView{}, false, err
	}
	return authLinkView(a, p.UserID), true, nil
}

// getAuthLinkTool is the get_auth_link tool.
var getAuthLinkTool = spec[userIDParam, AuthLinkView]{name: "get_auth_link", title: "Get consent link", toolset: SetUsers, hints: readHints, run: getAuthLink,
	description: "The user's current consent link; an expired one is an error (create a new one)."}

func getAuthLink(ctx context.Context, d *call, p userIDParam) (AuthLinkView, error) {
	a, err := d.Client.GetAuthLink(ctx, p.UserID)
	if err != nil {
		return AuthLinkView{}, err
	}
	return authLinkView(a, p.UserID), nil
}

// mobileMissing reports whether Basiq refused a consent link for want of a
// mobile number (a 400 naming the mobile parameter as missing), which the
// caller fixes with the tool's own mobile argument.
func mobileMissing(err error) bool {
	e, ok := basiq.AsError(err)
	if !ok || e.StatusCode != 400 {
		return false
	}
	for _, item := range e.Errors {
		if item.Source != nil && item.Source.Parameter == "mobile" && item.Code != "parameter-not-valid" {
			return true
		}
	}
	return false
}
