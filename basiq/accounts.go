package basiq

import "context"

// ListAccountsOptions narrows GET /users/{id}/accounts.
type ListAccountsOptions struct {
	ConnectionID  string
	InstitutionID string
}

// ListAccounts lists a user's accounts.
func (c *Client) ListAccounts(ctx context.Context, userID string, o ListAccountsOptions) (*List[Account], error) {
	path, err := idPath("users", ":user id", userID, "accounts")
	if err != nil {
		return nil, err
	}
	var f Filter
	if o.ConnectionID != "" {
		f = append(f, Eq("connection.id", o.ConnectionID))
	}
	if o.InstitutionID != "" {
		f = append(f, Eq("institution.id", o.InstitutionID))
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, err
	}
	return listPage[Account](ctx, c, path, q, PageOptions{})
}

// GetAccount fetches one account.
func (c *Client) GetAccount(ctx context.Context, userID, accountID string) (*Account, error) {
	path, err := idPath("users", ":user id", userID, "accounts", ":account id", accountID)
	if err != nil {
		return nil, err
	}
	var a Account
	if err := c.getJSON(ctx, path, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}
