package tools

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// openConsentID names the consent page's URL elicitation in the multi
// round trip.
const openConsentID = "open_consent"

// consentHosts serve Basiq's consent pages: the public link of an auth
// link, and the consent UI.
var consentHosts = []string{"connect.basiq.io", "consent.basiq.io"}

// canOpenURL reports whether the client said it can open a URL for its
// user (URL-mode elicitation) and this call can ask it to.
func canOpenURL(ctx context.Context) bool {
	e := askable(ctx)
	return e != nil && e.URL != nil
}

// offerable reports whether link may be put before a human: a page of
// Basiq's consent hosts over https, or, on the offline simulator, one of
// its own. Nothing else Basiq's answer could name is ever offered.
func (d *call) offerable(link string) bool {
	u, err := url.Parse(link)
	if err != nil || u.User != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" && slices.Contains(consentHosts, u.Hostname()) && (u.Port() == "" || u.Port() == "443") {
		return true
	}
	if d.SimulatorURL == "" {
		return false
	}
	sim, err := url.Parse(d.SimulatorURL)
	return err == nil && u.Scheme == sim.Scheme && u.Host == sim.Host
}

// offerConsentPage asks the client to open the consent page for its human,
// so the model need not paste the link; a client that cannot still has it
// in the text result.
func (d *call) offerConsentPage(v AuthLinkView) {
	params := mcp.ElicitationParams{Mode: mcp.ElicitationModeURL, ElicitationID: newHolder(), URL: v.URL,
		Message: fmt.Sprintf("Open Basiq's consent page for customer %s: they sign in to their bank there and share their data. The link expires %s.", v.UserID, v.ExpiresAt)}
	d.ask = server.NewInputRequestBuilder(v.UserID).Elicit(openConsentID, params).ToolResult()
}

// opened is the human's answer to the consent page's offer, on the
// retry of a multi round trip.
func opened(req *mcp.CallToolRequest) *mcp.ElicitationResult {
	if req == nil {
		return nil
	}
	return server.ElicitationResponse(req.Params.InputResponses, openConsentID)
}

// afterOffer answers once the human was offered the consent page: the
// link the first round made (the current one; a new one would replace
// it), with what the human did.
func afterOffer(ctx context.Context, d *call, p createAuthLinkParams, answer *mcp.ElicitationResult) (AuthLinkView, error) {
	v, found, err := findAuthLink(ctx, d, p)
	if err != nil {
		return AuthLinkView{}, err
	}
	if !found {
		return AuthLinkView{}, fmt.Errorf("the consent link for user %s is gone (expired or deleted) since it was offered; call create_auth_link again for a new one", p.UserID)
	}
	if answer.Action == mcp.ElicitationResponseActionAccept {
		v.NextStep = "The consent page was opened for the human. When the customer finishes, their banks appear in list_connections and the connect jobs in list_user_jobs; follow them with get_job and wait_seconds."
	} else {
		v.NextStep = fmt.Sprintf("The human did not open the consent page (%s). Give the customer the url instead; it works until expires_at.", answer.Action)
	}
	return v, nil
}
