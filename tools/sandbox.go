package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// SandboxLogin is what a customer types into Basiq's consent screens.
type SandboxLogin struct {
	InstitutionID string `json:"institutionId"`
	Method        string `json:"method,omitempty"`
	LoginID       string `json:"loginId"`
	Password      string `json:"password"`
}

// SandboxConsent completes a customer's consent on the offline simulator.
type SandboxConsent func(ctx context.Context, userID string, in SandboxLogin) (connectionID string, jobIDs []string, err error)

// SimulatorConsent reaches the simulator's test-only consent endpoint at
// simURL (Basiq has no such endpoint: its consent happens in its hosted
// screens), with a CLIENT_ACCESS token bound to the user, as Basiq's
// screens hold.
func SimulatorConsent(client *basiq.Client, simURL string) SandboxConsent {
	return func(ctx context.Context, userID string, in SandboxLogin) (string, []string, error) {
		tok, err := client.MintClientToken(ctx, userID)
		if err != nil {
			return "", nil, err
		}
		body, _ := json.Marshal(in)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, simURL+"/sandbox/users/"+url.PathEscape(userID)+"/consent", bytes.NewReader(body))
		if err != nil {
			return "", nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.Value())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var out struct {
			ConnectionID string   `json:"connectionId"`
			JobIDs       []string `json:"jobIds"`
			Data         []struct{ Detail string }
		}
		json.Unmarshal(raw, &out)
		if resp.StatusCode != http.StatusCreated {
			detail := http.StatusText(resp.StatusCode)
			if len(out.Data) > 0 {
				detail = out.Data[0].Detail
			}
			return "", nil, badArg("the simulator refused the consent: %s", text.Clean(detail, 200))
		}
		return out.ConnectionID, out.JobIDs, nil
	}
}

type sandboxConsentParams struct {
	userIDParam
	InstitutionID string `json:"institution_id,omitempty" jsonschema:"pattern=^[A-Z]{2}[0-9]+$" jsonschema_description:"Default AU00000 (Hooli)."`
	LoginID       string `json:"login_id,omitempty" jsonschema:"maxLength=64" jsonschema_description:"e.g. Whistler (healthy), jared (MFA, AU00002), bighead (locked); omit it to offer the human the consent page"`
	Password      string `json:"password,omitempty" jsonschema:"maxLength=64" jsonschema_description:"e.g. ShowBox for Whistler"`
}

type sandboxConsentResult struct {
	ConnectionID string   `json:"connection_id"`
	JobIDs       []string `json:"job_ids"`
	NextStep     string   `json:"next_step"`
}

// completeSandboxConsentTool is the complete_sandbox_consent tool; it
// exists only when the server runs on the offline simulator.
var completeSandboxConsentTool = spec[sandboxConsentParams, sandboxConsentResult]{name: "complete_sandbox_consent", title: "Sandbox: complete a consent", toolset: SetUsers, hints: writeHints, run: completeSandboxConsent,
	description: "Offline simulator only: acts as a customer finishing Basiq's consent screens, to try onboarding end to end."}

func completeSandboxConsent(ctx context.Context, d *call, p sandboxConsentParams) (sandboxConsentResult, error) {
	if p.LoginID == "" {
		return offerSandboxPage(ctx, d, p)
	}
	if p.InstitutionID == "" {
		p.InstitutionID = "AU00000"
	}
	d.audit(guard.Entry{Tool: d.tool, UserID: p.UserID, Decision: "attempt"})
	conn, jobs, err := d.SandboxConsent(ctx, p.UserID, SandboxLogin{InstitutionID: p.InstitutionID, LoginID: p.LoginID, Password: p.Password})
	if err != nil {
		return sandboxConsentResult{}, err
	}
	d.audit(guard.Entry{Tool: d.tool, UserID: p.UserID, ConnectionID: conn, Decision: "done"})
	return sandboxConsentResult{ConnectionID: conn, JobIDs: jobs,
		NextStep: fmt.Sprintf("Follow the connect job with get_job (job_id %s, wait_seconds 30); then list_accounts.", first(jobs))}, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// offerSandboxPage, without a login, lets the human finish the consent on
// the simulator's consent page instead: the user's current consent link
// (made if there is none) is offered to the client to open (URL
// elicitation), as create_auth_link offers Basiq's. A client that cannot
// open URLs is told to pass a sandbox login.
func offerSandboxPage(ctx context.Context, d *call, p sandboxConsentParams) (sandboxConsentResult, error) {
	if answer := opened(d.req); answer != nil {
		v, err := afterOffer(ctx, d, createAuthLinkParams{userIDParam: p.userIDParam}, answer)
		return sandboxConsentResult{JobIDs: []string{}, NextStep: v.NextStep}, err
	}
	if !canOpenURL(ctx) {
		return sandboxConsentResult{}, badArg("login_id and password are needed (e.g. Whistler and ShowBox): this client cannot open the consent page for its user")
	}
	v, found, err := findAuthLink(ctx, d, createAuthLinkParams{userIDParam: p.userIDParam})
	if err == nil && !found {
		var a *basiq.AuthLink
		if a, err = d.Client.CreateAuthLink(ctx, p.UserID, ""); err == nil {
			d.audit(guard.Entry{Tool: d.tool, UserID: p.UserID, Decision: "created", Reason: "a consent link for the simulator's consent page"})
			v = authLinkView(a, p.UserID)
		}
	}
	if err != nil {
		return sandboxConsentResult{}, err
	}
	if !d.offerable(v.URL) {
		return sandboxConsentResult{}, badArg("the consent page %q is not the simulator's, so it is not offered; pass login_id and password instead", v.URL)
	}
	d.offerConsentPage(v)
	return sandboxConsentResult{JobIDs: []string{}, NextStep: "The consent page is offered to the human: they pick a bank and log in with a sandbox persona there."}, nil
}
