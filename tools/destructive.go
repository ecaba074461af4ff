package tools

import (
	"context"
	"fmt"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/basiq/views"
)

type confirmConnectionParams struct {
	connectionParams
	confirmParam
}

type confirmUserParams struct {
	userIDParam
	confirmParam
}

type confirmConsentParams struct {
	userIDParam
	ConsentID string `json:"consent_id" jsonschema:"required,pattern=id" jsonschema_description:"The consent id (from list_consents)."`
	confirmParam
}

type confirmReportParams struct {
	reportIDParams
	confirmParam
}

// dataCounts counts the accounts and transactions a connection fetched.
func dataCounts(ctx context.Context, d *call, userID, connID string) (accounts, txns int, err error) {
	l, err := d.Client.ListAccounts(ctx, userID, basiq.ListAccountsOptions{ConnectionID: connID})
	if err != nil {
		return 0, 0, err
	}
	for _, a := range l.Data {
		page, err := d.Client.ListTransactions(ctx, userID, basiq.ListTransactionsOptions{AccountID: a.ID, PageOptions: basiq.PageOptions{Limit: 1}})
		if err != nil {
			return 0, 0, err
		}
		txns += max(page.Size, page.Count)
	}
	return len(l.Data), txns, nil
}

// purgeConnectionTool is the purge_connection tool.
var purgeConnectionTool = spec[confirmConnectionParams, destructiveResult]{name: "purge_connection", title: "Purge connection data", toolset: SetConnections, hints: destructiveHints, run: purgeConnection,
	description: "Irreversibly delete every account and transaction a connection fetched (the connection stays; a refresh fetches again). Two steps: the first call only previews the loss and returns a confirmation_token; ask the human, then call again with it."}

func purgeConnection(ctx context.Context, d *call, p confirmConnectionParams) (destructiveResult, error) {
	inspect := func(ctx context.Context) (string, error) {
		c, err := d.Client.GetConnection(ctx, p.UserID, p.ConnectionID)
		if err != nil {
			return "", err
		}
		if c.Status != "active" && c.Status != "" { // no status: Basiq's own answer decides
			return "", badArg("connection %s is %s; Basiq purges active connections only", p.ConnectionID, c.Status)
		}
		accounts, txns, err := dataCounts(ctx, d, p.UserID, p.ConnectionID)
		return fmt.Sprintf("%d accounts and %d transactions fetched by connection %s to %s, irreversibly; the connection stays and a refresh fetches again",
			accounts, txns, p.ConnectionID, c.Institution.ID), err
	}
	return twoStep(ctx, d, "purge_connection", p.UserID+"/"+p.ConnectionID, p.ConfirmationToken, inspect, func(ctx context.Context) (string, error) {
		return "The connection's accounts and transactions were deleted; the connection remains.", d.Client.PurgeConnection(ctx, p.UserID, p.ConnectionID)
	})
}

// deleteConnectionTool is the delete_connection tool.
var deleteConnectionTool = spec[confirmConnectionParams, destructiveResult]{name: "delete_connection", title: "Delete connection", toolset: SetConnections, hints: destructiveHints, run: deleteConnection,
	description: "Delete a connection (data already fetched remains). Two steps: preview first, then call again with the confirmation_token once the human agrees."}

func deleteConnection(ctx context.Context, d *call, p confirmConnectionParams) (destructiveResult, error) {
	inspect := func(ctx context.Context) (string, error) {
		c, err := d.Client.GetConnection(ctx, p.UserID, p.ConnectionID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("connection %s to %s (status %s); the data it fetched stays until purged or the user is deleted", c.ID, c.Institution.ID, c.Status), nil
	}
	return twoStep(ctx, d, "delete_connection", p.UserID+"/"+p.ConnectionID, p.ConfirmationToken, inspect, func(ctx context.Context) (string, error) {
		return "The connection was deleted.", d.Client.DeleteConnection(ctx, p.UserID, p.ConnectionID)
	})
}

// deleteUserTool is the delete_user tool.
var deleteUserTool = spec[confirmUserParams, destructiveResult]{name: "delete_user", title: "Delete user", toolset: SetUsers, hints: destructiveHints, run: deleteUser,
	description: "Permanently delete a user with all connections and data. Two steps: preview first, then call again with the confirmation_token once the human agrees."}

func deleteUser(ctx context.Context, d *call, p confirmUserParams) (destructiveResult, error) {
	inspect := func(ctx context.Context) (string, error) {
		u, err := d.Client.GetUser(ctx, p.UserID)
		if err != nil {
			return "", err
		}
		v := views.FromUser(u)
		return fmt.Sprintf("user %s (%s) with %d connections, %d accounts and all their transactions, permanently",
			u.ID, firstNonEmpty(v.Name, v.Email, v.Mobile), len(v.ConnectionIDs), v.AccountCount), nil
	}
	return twoStep(ctx, d, "delete_user", p.UserID, p.ConfirmationToken, inspect, func(ctx context.Context) (string, error) {
		if err := d.Client.DeleteUser(ctx, p.UserID); err != nil {
			return "", err
		}
		if d.Users != nil {
			if err := d.Users.Forget(p.UserID); err != nil {
				d.Log.WarnContext(ctx, "customer directory", "error", err)
			}
		}
		return "The user and all their data were deleted.", nil
	})
}

// deleteAuthLinkTool is the delete_auth_link tool.
var deleteAuthLinkTool = spec[confirmUserParams, destructiveResult]{name: "delete_auth_link", title: "Delete consent link", toolset: SetUsers, hints: destructiveHints, run: deleteAuthLink,
	description: "Make the user's consent link stop working. Two steps: preview first, then call again with the confirmation_token once the human agrees."}

func deleteAuthLink(ctx context.Context, d *call, p confirmUserParams) (destructiveResult, error) {
	inspect := func(ctx context.Context) (string, error) {
		a, err := d.Client.GetAuthLink(ctx, p.UserID)
		if err != nil {
			return "", err
		}
		return "the consent link valid until " + views.Stamp(a.ExpiresAt) + "; the customer can no longer use it", nil
	}
	return twoStep(ctx, d, "delete_auth_link", p.UserID, p.ConfirmationToken, inspect, func(ctx context.Context) (string, error) {
		return "The consent link no longer works.", d.Client.DeleteAuthLink(ctx, p.UserID)
	})
}

// deleteConsentTool is the delete_consent tool.
var deleteConsentTool = spec[confirmConsentParams, destructiveResult]{name: "delete_consent", title: "Revoke consent", toolset: SetConsents, hints: destructiveHints, run: deleteConsent,
	description: "Revoke a user's consent: data sharing stops and the customer must consent again. Two steps: preview first, then call again with the confirmation_token once the human agrees."}

func deleteConsent(ctx context.Context, d *call, p confirmConsentParams) (destructiveResult, error) {
	inspect := func(ctx context.Context) (string, error) {
		l, err := d.Client.ListConsents(ctx, p.UserID)
		if err != nil {
			return "", err
		}
		for _, c := range l.Data {
			if c.ID == p.ConsentID {
				return fmt.Sprintf("consent %s (%s, expires %s): data sharing stops and the customer must consent again before any refresh", c.ID, c.Status, views.Stamp(c.ExpiryDate)), nil
			}
		}
		return "", badArg("user %s has no consent %q; list_consents shows theirs", p.UserID, p.ConsentID)
	}
	return twoStep(ctx, d, "delete_consent", p.UserID+"/"+p.ConsentID, p.ConfirmationToken, inspect, func(ctx context.Context) (string, error) {
		return "The consent was revoked.", d.Client.DeleteConsent(ctx, p.UserID, p.ConsentID)
	})
}

// deleteReportTool is the delete_report tool.
var deleteReportTool = spec[confirmReportParams, destructiveResult]{name: "delete_report", title: "Delete report", toolset: SetReports, hints: destructiveHints, run: deleteReport,
	description: "Delete a report and its data snapshot. Two steps: preview first, then call again with the confirmation_token once the human agrees."}

func deleteReport(ctx context.Context, d *call, p confirmReportParams) (destructiveResult, error) {
	inspect := func(ctx context.Context) (string, error) {
		r, err := d.Client.GetReport(ctx, p.ReportID)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("report %s %q (%s) and its data snapshot", r.ID, text.Clean(r.Title, 50), r.ReportType), nil
	}
	return twoStep(ctx, d, "delete_report", p.ReportID, p.ConfirmationToken, inspect, func(ctx context.Context) (string, error) {
		return "The report was deleted.", d.Client.DeleteReport(ctx, p.ReportID)
	})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
