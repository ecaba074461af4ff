package basiq

import (
	"context"
	"net/url"
)

// CreateUser creates a user (POST /users). Basiq does not deduplicate: every
// call makes a new user. Email or mobile (+61… format) is required.
func (c *Client) CreateUser(ctx context.Context, p UserParams) (*User, error) {
	if p.Email == "" && p.Mobile == "" {
		return nil, inputErrorf("one of email or mobile is required")
	}
	var u User
	if _, err := c.postJSON(ctx, "/users", p, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// GetUser fetches a user with their connection and account references.
func (c *Client) GetUser(ctx context.Context, userID string) (*User, error) {
	path, err := idPath("users", ":user id", userID)
	if err != nil {
		return nil, err
	}
	var u User
	if err := c.getJSON(ctx, path, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UpdateUser changes the non-empty fields of p (Basiq updates with POST).
func (c *Client) UpdateUser(ctx context.Context, userID string, p UserParams) (*User, error) {
	path, err := idPath("users", ":user id", userID)
	if err != nil {
		return nil, err
	}
	if p == (UserParams{}) {
		return nil, inputErrorf("nothing to update")
	}
	var u User
	if _, err := c.postJSON(ctx, path, p, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// DeleteUser permanently removes a user with all connections and data.
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	path, err := idPath("users", ":user id", userID)
	if err != nil {
		return err
	}
	return c.deletePath(ctx, path)
}

// ListUsers fetches one page of GET /users. Basiq documents this endpoint
// only on a legacy page and offers no server-side filter.
func (c *Client) ListUsers(ctx context.Context, p PageOptions) (*List[User], error) {
	return listPage[User](ctx, c, "/users", url.Values{}, p)
}

// AllUsers follows GET /users page by page, up to maxItems users (0: no
// item bound) and DefaultMaxPages pages.
func (c *Client) AllUsers(ctx context.Context, maxItems int) ([]User, bool, error) {
	return collect[User](ctx, c, "/users", url.Values{}, 0, maxItems, 0)
}

// CreateAuthLink creates the consent link for a user (201). It replaces any
// earlier link. mobile, when set, receives the SMS code instead of the
// user's own mobile.
func (c *Client) CreateAuthLink(ctx context.Context, userID, mobile string) (*AuthLink, error) {
	path, err := idPath("users", ":user id", userID, "auth_link")
	if err != nil {
		return nil, err
	}
	var body any = struct{}{}
	if mobile != "" {
		body = map[string]string{"mobile": mobile}
	}
	var a AuthLink
	if _, err := c.postJSON(ctx, path, body, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// GetAuthLink fetches the user's latest consent link. An expired or deleted
// link is a 410 (see IsGone).
func (c *Client) GetAuthLink(ctx context.Context, userID string) (*AuthLink, error) {
	path, err := idPath("users", ":user id", userID, "auth_link")
	if err != nil {
		return nil, err
	}
	var a AuthLink
	if err := c.getJSON(ctx, path, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// DeleteAuthLink invalidates the user's consent link.
func (c *Client) DeleteAuthLink(ctx context.Context, userID string) error {
	path, err := idPath("users", ":user id", userID, "auth_link")
	if err != nil {
		return err
	}
	return c.deletePath(ctx, path)
}

// ListConsents lists a user's consents (active, expired and revoked).
func (c *Client) ListConsents(ctx context.Context, userID string) (*List[Consent], error) {
	path, err := idPath("users", ":user id", userID, "consents")
	if err != nil {
		return nil, err
	}
	return listPage[Consent](ctx, c, path, url.Values{}, PageOptions{})
}

// DeleteConsent revokes a consent. It cannot be undone.
func (c *Client) DeleteConsent(ctx context.Context, userID, consentID string) error {
	path, err := idPath("users", ":user id", userID, "consents", ":consent id", consentID)
	if err != nil {
		return err
	}
	return c.deletePath(ctx, path)
}
