package tools

import "context"

type consentView struct {
	ID          string   `json:"id"`
	Status      string   `json:"status" jsonschema:"description=active, expired or revoked"`
	Created     string   `json:"created,omitempty"`
	Expires     string   `json:"expires,omitempty"`
	Revoked     string   `json:"revoked,omitempty"`
	Permissions []string `json:"permissions" jsonschema:"description=the data scopes the customer agreed to"`
}

type listConsentsResult struct {
	Consents []consentView `json:"consents"`
}

func listConsents(ctx context.Context, d *Deps, p userIDParam) (listConsentsResult, error) {
	l, err := d.Client.ListConsents(ctx, p.UserID)
	if err != nil {
		return listConsentsResult{}, err
	}
	res := listConsentsResult{Consents: []consentView{}}
	for _, c := range l.Data {
		v := consentView{ID: c.ID, Status: c.Status, Created: stamp(c.Created), Expires: stamp(c.ExpiryDate), Revoked: stamp(c.Revoked), Permissions: []string{}}
		for _, perm := range c.Data.Permissions {
			if perm.Consented {
				v.Permissions = append(v.Permissions, perm.Scope)
			}
		}
		res.Consents = append(res.Consents, v)
	}
	return res, nil
}

// doneResult reports a finished destructive action.
type doneResult struct {
	Done    bool   `json:"done"`
	Message string `json:"message"`
}

func purgeConnection(ctx context.Context, d *Deps, p connectionParams) (doneResult, error) {
	if err := d.Client.PurgeConnection(ctx, p.UserID, p.ConnectionID); err != nil {
		return doneResult{}, err
	}
	return doneResult{true, "All accounts and transactions of connection " + p.ConnectionID + " were deleted; the connection remains and a refresh fetches the data again."}, nil
}

func deleteConnection(ctx context.Context, d *Deps, p connectionParams) (doneResult, error) {
	if err := d.Client.DeleteConnection(ctx, p.UserID, p.ConnectionID); err != nil {
		return doneResult{}, err
	}
	return doneResult{true, "Connection " + p.ConnectionID + " was deleted. Data it already fetched remains until purged or the user is deleted."}, nil
}

func deleteUser(ctx context.Context, d *Deps, p userIDParam) (doneResult, error) {
	if err := d.Client.DeleteUser(ctx, p.UserID); err != nil {
		return doneResult{}, err
	}
	return doneResult{true, "User " + p.UserID + " and all their connections and data were deleted permanently."}, nil
}

func deleteAuthLink(ctx context.Context, d *Deps, p userIDParam) (doneResult, error) {
	if err := d.Client.DeleteAuthLink(ctx, p.UserID); err != nil {
		return doneResult{}, err
	}
	return doneResult{true, "The consent link of user " + p.UserID + " no longer works."}, nil
}
