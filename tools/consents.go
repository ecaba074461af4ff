package tools

import (
	"context"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/views"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

type consentView struct {
	ID          string   `json:"id"`
	Status      string   `json:"status" jsonschema_description:"active, expired or revoked"`
	Created     string   `json:"created,omitempty"`
	Expires     string   `json:"expires,omitempty"`
	Revoked     string   `json:"revoked,omitempty"`
	Permissions []string `json:"permissions" jsonschema_description:"the data scopes the customer agreed to"`
}

type listConsentsResult struct {
	Consents []consentView `json:"consents"`
}

// listConsentsTool is the list_consents tool.
var listConsentsTool = spec[userIDParam, listConsentsResult]{name: "list_consents", title: "List consents", toolset: SetConsents, hints: readHints, run: listConsents,
	description: "A user's consents: status (active, expired, revoked), expiry and data scopes."}

func listConsents(ctx context.Context, d *call, p userIDParam) (listConsentsResult, error) {
	read := time.Now()
	l, err := d.Client.ListConsents(ctx, p.UserID)
	if err != nil {
		return listConsentsResult{}, err
	}
	d.updateIndex(ctx, p.UserID, read, func(t *guard.Triage) { t.Consents = consentStates(l.Data) })
	noteSkipped(d, "consent", l)
	res := listConsentsResult{Consents: []consentView{}}
	for _, c := range l.Data {
		v := consentView{ID: c.ID, Status: c.Status, Created: views.Stamp(c.Created), Expires: views.Stamp(c.ExpiryDate), Revoked: views.Stamp(c.Revoked), Permissions: []string{}}
		for _, perm := range c.Data.Permissions {
			if perm.Consented {
				v.Permissions = append(v.Permissions, perm.Scope)
			}
		}
		res.Consents = append(res.Consents, v)
	}
	return res, nil
}
