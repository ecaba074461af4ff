package guard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/text"
)

// Reach says how a request reaches customers. The zero value is the
// strictest: a request that names no customer it is checked against is
// refused to a bound caller.
type Reach int

const (
	// ReachNamed: the request names its customers (a user id, or a job or
	// report resolved to its customers); a bound caller must own them all.
	ReachNamed Reach = iota
	// ReachNone: the request reads nothing of any customer (institutions,
	// report types, guides).
	ReachNone
	// ReachFiltered: the request lists customers or their objects, and the
	// answer keeps only those the caller may reach (Caller.MayReach).
	ReachFiltered
	// ReachNew: the request creates a customer, whom no binding can name
	// yet; only an unbound caller may.
	ReachNew
)

// Ask is what one MCP request asks of the caller policy: a tool call, a
// resource read, a prompt or a completion.
type Ask struct {
	Entry string // what is asked, for the refusal: "get_user", "resource basiq://jobs/{jobId}"
	Scope string // the scope it needs; "" for none beyond the door's
	Reach Reach
	// The ids the request names; only ReachNamed reads them.
	UserID, JobID, ReportID string
}

// Refusal is the caller policy saying no: the message names what is
// missing and what to do.
type Refusal struct{ Msg string }

func (r *Refusal) Error() string { return r.Msg }

// Owners resolves objects that name no customer to the customers they
// belong to.
type Owners interface {
	JobOwners(ctx context.Context, jobID string) ([]string, error)
	ReportOwners(ctx context.Context, reportID string) ([]string, error)
}

// Access is the one caller policy: every entry (tools/call, resources/read,
// prompts/get, completion/complete) asks it before anything is answered.
type Access struct{ owners Owners }

// NewAccess builds the policy on a resolver of owners (a Basiq client
// through BasiqOwners, in a server).
func NewAccess(owners Owners) *Access { return &Access{owners: owners} }

// Admit answers nil when ctx's caller may make the request, or a *Refusal
// (or the error met resolving an object's owner). A request with no caller
// is the deployment's own and is admitted.
func (a *Access) Admit(ctx context.Context, ask Ask) error {
	c, ok := CallerFrom(ctx)
	if !ok {
		return nil
	}
	if ask.Scope != "" && !c.HasScope(ask.Scope) {
		return &Refusal{fmt.Sprintf("%s needs the OAuth scope %s, which this access token does not carry; ask the administrator for a token with it", ask.Entry, ask.Scope)}
	}
	if !c.Bound {
		return nil
	}
	switch ask.Reach {
	case ReachNone, ReachFiltered:
		return nil
	case ReachNew:
		return &Refusal{fmt.Sprintf("this access token is bound to %d customers, so %s (which makes a new customer) needs a token without the %s claim", len(c.Customers), ask.Entry, CustomersClaim)}
	}
	return a.named(ctx, c, ask)
}

// named checks every customer a ReachNamed request names.
func (a *Access) named(ctx context.Context, c Caller, ask Ask) error {
	if ask.UserID == "" && ask.JobID == "" && ask.ReportID == "" {
		return &Refusal{fmt.Sprintf("this access token is bound to %d customers, and %s does not name one (user_id): use it with one of theirs", len(c.Customers), ask.Entry)}
	}
	if ask.UserID != "" && !c.MayReach(ask.UserID) {
		return outside(c, ask.UserID)
	}
	for _, obj := range []struct {
		kind, id string
		owners   func(context.Context, string) ([]string, error)
	}{{"job", ask.JobID, a.owners.JobOwners}, {"report", ask.ReportID, a.owners.ReportOwners}} {
		if obj.id == "" {
			continue
		}
		users, err := obj.owners(ctx, obj.id)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			return &Refusal{fmt.Sprintf("whose %s %s is cannot be told (Basiq's answer names no customer), so this access token, bound to some customers, may not read it", obj.kind, text.Truncate(obj.id, 64))}
		}
		for _, u := range users {
			if !c.MayReach(u) {
				return &Refusal{fmt.Sprintf("this access token may not reach %s %s: it belongs to a customer outside the %d it is bound to", obj.kind, text.Truncate(obj.id, 64), len(c.Customers))}
			}
		}
	}
	return nil
}

func outside(c Caller, user string) error {
	return &Refusal{fmt.Sprintf("this access token is not allowed to reach customer %q: it is bound to %d other customers", text.Truncate(user, 64), len(c.Customers))}
}

// IsRefusal reports whether err is the caller policy's refusal.
func IsRefusal(err error) bool {
	var r *Refusal
	return errors.As(err, &r)
}

// BasiqOwners resolves jobs and reports through Basiq. Owners never change,
// so answers are kept (up to a bound) and a bound caller's get_job costs
// one extra read once per job.
type BasiqOwners struct {
	Client *basiq.Client
	mu     sync.Mutex
	known  map[string][]string
}

// maxOwnersKept bounds the resolved owners kept in memory.
const maxOwnersKept = 10000

// JobOwners is the user a job's source link names or, for a report job
// without one, the customers of the report it made.
func (o *BasiqOwners) JobOwners(ctx context.Context, jobID string) ([]string, error) {
	return o.cached(ctx, "job/"+jobID, func() ([]string, error) {
		j, err := o.Client.GetJob(ctx, jobID)
		if err != nil {
			return nil, err
		}
		if u := j.UserID(); u != "" {
			return []string{u}, nil
		}
		if r := j.ReportID(); r != "" {
			return o.ReportOwners(ctx, r)
		}
		return nil, nil
	})
}

// ReportOwners is the customers a report's filters name.
func (o *BasiqOwners) ReportOwners(ctx context.Context, reportID string) ([]string, error) {
	return o.cached(ctx, "report/"+reportID, func() ([]string, error) {
		r, err := o.Client.GetReport(ctx, reportID)
		if err != nil {
			return nil, err
		}
		return r.UserIDs(), nil
	})
}

func (o *BasiqOwners) cached(_ context.Context, key string, load func() ([]string, error)) ([]string, error) {
	key = strings.ToLower(key)
	o.mu.Lock()
	users, ok := o.known[key]
	o.mu.Unlock()
	if ok {
		return users, nil
	}
	users, err := load()
	if err != nil || len(users) == 0 { // an unknown owner is asked again next time
		return users, err
	}
	o.mu.Lock()
	if o.known == nil || len(o.known) >= maxOwnersKept {
		o.known = map[string][]string{}
	}
	o.known[key] = users
	o.mu.Unlock()
	return users, nil
}
