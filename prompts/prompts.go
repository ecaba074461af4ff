// Package prompts holds the workflows a support agent or an IDE assistant
// runs against Basiq, as MCP prompts: each tells the model which tools to
// call, in which order, and what to check.
package prompts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/jsonrpc"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Prompt is one workflow: its MCP definition, the text it renders and the
// tools that text names (checked against the tool inventory by a test).
type Prompt struct {
	Def    mcp.Prompt
	Tools  []string
	render func(args map[string]string) (string, error)
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func arg(name, desc string, required bool) mcp.PromptOption {
	opts := []mcp.ArgumentOption{mcp.ArgumentDescription(desc)}
	if required {
		opts = append(opts, mcp.RequiredArgument())
	}
	return mcp.WithArgument(name, opts...)
}

// All returns every prompt.
func All() []Prompt {
	return []Prompt{
		{Def: mcp.NewPrompt("connect_bank", mcp.WithPromptDescription("Onboard a customer: find or create their Basiq user, send a consent link, follow the connection jobs and summarise the accounts."),
			arg("customer_email", "The customer's email, to find or create their user.", false),
			arg("customer_mobile", "The customer's mobile, e.g. +61400111222 (receives the consent link's SMS code).", false),
			arg("customer_name", "The customer's name, for a new user.", false)),
			Tools: []string{"list_users", "create_user", "create_auth_link", "list_user_jobs", "get_job", "list_accounts"}, render: connectBank},
		{Def: mcp.NewPrompt("troubleshoot_connection", mcp.WithPromptDescription("Find out why a customer's connection failed or is stale, and take the right next step: never a blind refresh."),
			arg("user_id", "The Basiq user id.", true),
			arg("connection_id", "The connection to check; all of the user's when omitted.", false)),
			Tools: []string{"diagnose_connection", "get_job", "refresh_connection", "create_auth_link", "answer_mfa", "support_queue"}, render: troubleshoot},
		{Def: mcp.NewPrompt("affordability_review", mcp.WithPromptDescription("Prepare a consumer affordability review: check the data is current, create the report, wait, and summarise the metrics."),
			arg("user_id", "The Basiq user id.", true),
			arg("months", "How many months to cover, 1 to 24 (default 6).", false)),
			Tools: []string{"list_connections", "list_consents", "create_auth_link", "list_report_types", "create_report", "get_job", "get_report"}, render: affordability},
		{Def: mcp.NewPrompt("explain_spending", mcp.WithPromptDescription("Explain what a customer spent and earned over a period, by category, from their transactions."),
			arg("user_id", "The Basiq user id.", true),
			arg("from_date", "First day, YYYY-MM-DD.", true),
			arg("to_date", "Last day, YYYY-MM-DD (default today).", false)),
			Tools: []string{"list_accounts", "list_transactions"}, render: spending},
	}
}

// Register adds to s the prompts whose tools the server lists (has says
// which): a prompt that would send the model to a missing tool is not
// offered (a read-only server has no connect_bank). Every prompts/get
// passes the caller policy (access), and a caller is listed only the
// prompts its scopes allow.
func Register(s *server.MCPServer, has func(tool string) bool, access *guard.Access) {
	scopeOf := map[string]string{}
	for _, p := range All() {
		if !slices.ContainsFunc(p.Tools, func(t string) bool { return !has(t) }) {
			register(s, p, access)
			scopeOf[p.Def.Name] = p.scope()
		}
	}
	server.WithPromptFilter(scopeFilter(scopeOf))(s)
}

// scope is what a caller needs for the prompt: a workflow over a
// customer's data needs basiq:read, onboarding basiq:write.
func (p Prompt) scope() string {
	if hasArg(p.Def, "user_id") {
		return guard.ScopeRead
	}
	return guard.ScopeWrite
}

// scopeFilter hides from prompts/list what the caller's scopes do not
// allow. mcp-go also runs it on prompts/get with the one prompt asked: that
// case (a one-prompt list on a server of several) is left to the policy in
// the handler, which says why.
func scopeFilter(scopeOf map[string]string) server.PromptFilterFunc {
	return func(ctx context.Context, list []mcp.Prompt) []mcp.Prompt {
		c, ok := guard.CallerFrom(ctx)
		if !ok || len(list) == 1 && len(scopeOf) > 1 {
			return list
		}
		return slices.DeleteFunc(slices.Clone(list), func(p mcp.Prompt) bool { return !c.HasScope(scopeOf[p.Name]) })
	}
}

func register(s *server.MCPServer, p Prompt, access *guard.Access) {
	{
		render := p.render
		s.AddPrompt(p.Def, func(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			ask := guard.Ask{Entry: "prompt " + p.Def.Name, Scope: p.scope(), Reach: guard.ReachNone}
			if hasArg(p.Def, "user_id") {
				ask.Reach, ask.UserID = guard.ReachNamed, req.Params.Arguments["user_id"]
			}
			if err := access.Admit(ctx, ask); err != nil {
				return nil, jsonrpc.InvalidParams(err)
			}
			for k := range req.Params.Arguments {
				if !hasArg(p.Def, k) {
					return nil, jsonrpc.InvalidParams(fmt.Errorf("prompt %s has no argument %q", p.Def.Name, k))
				}
			}
			for _, a := range p.Def.Arguments {
				if a.Required && strings.TrimSpace(req.Params.Arguments[a.Name]) == "" {
					return nil, jsonrpc.InvalidParams(fmt.Errorf("prompt %s needs the argument %q: %s", p.Def.Name, a.Name, a.Description))
				}
			}
			body, err := render(req.Params.Arguments)
			if err != nil {
				// Every render error is an argument the client got wrong.
				return nil, jsonrpc.InvalidParams(fmt.Errorf("prompt %s: %w", p.Def.Name, err))
			}
			return mcp.NewGetPromptResult(p.Def.Description, []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(body))}), nil
		})
	}
}

func hasArg(p mcp.Prompt, name string) bool {
	for _, a := range p.Arguments {
		if a.Name == name {
			return true
		}
	}
	return false
}

func checkID(name, v string) error {
	if v == "" {
		return nil
	}
	if err := basiq.ValidateID(name, v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "basiq: "))
	}
	return nil
}

func checkDate(name, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse("2006-01-02", v); !dateRe.MatchString(v) || err != nil {
		return fmt.Errorf("%s must be a date as YYYY-MM-DD, not %q", name, text.Truncate(v, 40))
	}
	return nil
}
