package tools

import (
	"context"
	"strings"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// userIDParam is the user a tool acts on. The pattern admits Basiq ids
// (UUIDs, hex, AU00000…) and nothing that could change a URL path.
type userIDParam struct {
	UserID string `json:"user_id" jsonschema:"required,pattern=id"`
}

// UserView is a Basiq user with references to their connections.
type UserView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name,omitempty"`
	Email         string   `json:"email,omitempty"`
	Mobile        string   `json:"mobile,omitempty"`
	BusinessName  string   `json:"business_name,omitempty"`
	ConnectionIDs []string `json:"connection_ids"`
	AccountCount  int      `json:"account_count"`
}

func userView(u *basiq.User) UserView {
	v := UserView{ID: u.ID, Name: text.Clean(strings.TrimSpace(u.FirstName+" "+u.LastName), 80), Email: u.Email, Mobile: u.Mobile,
		BusinessName: text.Clean(u.BusinessName, 80), ConnectionIDs: []string{}}
	if u.Connections != nil {
		for _, c := range u.Connections.Data {
			v.ConnectionIDs = append(v.ConnectionIDs, c.ID)
		}
	}
	if u.Accounts != nil {
		v.AccountCount = len(u.Accounts.Data)
	}
	return v
}

func getUser(ctx context.Context, d *Deps, p userIDParam) (UserView, error) {
	u, err := d.Client.GetUser(ctx, p.UserID)
	if err != nil {
		return UserView{}, err
	}
	d.remember(ctx, u)
	return userView(u), nil
}

type createUserParams struct {
	idemParam
	Email      string `json:"email,omitempty" jsonschema:"maxLength=254"`
	Mobile     string `json:"mobile,omitempty" jsonschema:"pattern=^\\+?[0-9]+$,minLength=8,maxLength=16" jsonschema_description:"e.g. +61400111222"`
	FirstName  string `json:"first_name,omitempty" jsonschema:"maxLength=100"`
	MiddleName string `json:"middle_name,omitempty" jsonschema:"maxLength=100"`
	LastName   string `json:"last_name,omitempty" jsonschema:"maxLength=100"`
}

func createUser(ctx context.Context, d *Deps, p createUserParams) (UserView, error) {
	if p.Email == "" && p.Mobile == "" {
		return UserView{}, badArg("give \"email\" or \"mobile\" (or both): Basiq needs one to create a user")
	}
	key := p.IdempotencyKey
	p.IdempotencyKey = ""
	return once(d, "create_user", key, p, func() (UserView, error) {
		u, err := d.Client.CreateUser(ctx, basiq.UserParams{Email: p.Email, Mobile: p.Mobile, FirstName: p.FirstName, MiddleName: p.MiddleName, LastName: p.LastName})
		if err != nil {
			return UserView{}, err
		}
		d.audit(guard.Entry{Tool: "create_user", UserID: u.ID, Decision: "created"})
		d.remember(ctx, u)
		return userView(u), nil
	})
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
	return AuthLinkView{UserID: userID, URL: a.PublicURL(), ExpiresAt: stamp(a.ExpiresAt), Mobile: mask(a.Mobile),
		NextStep: "Send the link to the customer. When they finish, their banks appear in list_connections and the connect jobs in list_user_jobs; follow them with get_job and wait_seconds."}
}

func createAuthLink(ctx context.Context, d *Deps, p createAuthLinkParams) (AuthLinkView, error) {
	key := p.IdempotencyKey
	p.IdempotencyKey = ""
	return once(d, "create_auth_link", key, p, func() (AuthLinkView, error) {
		a, err := d.Client.CreateAuthLink(ctx, p.UserID, p.Mobile)
		if err != nil {
			return AuthLinkView{}, err
		}
		d.audit(guard.Entry{Tool: "create_auth_link", UserID: p.UserID, Decision: "created"})
		return authLinkView(a, p.UserID), nil
	})
}

func getAuthLink(ctx context.Context, d *Deps, p userIDParam) (AuthLinkView, error) {
	a, err := d.Client.GetAuthLink(ctx, p.UserID)
	if err != nil {
		return AuthLinkView{}, err
	}
	return authLinkView(a, p.UserID), nil
}
