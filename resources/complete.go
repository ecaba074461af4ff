package resources

import (
	"context"
	"sort"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// nameSep joins a candidate to a name it can also be found by; only the
// part before it is offered.
const nameSep = "\x00"

// completionTTL is how long completion candidates from Basiq are reused.
const completionTTL = time.Minute

// values returns the candidates for an argument name.
func (c *Completer) values(ctx context.Context, name string) ([]string, error) {
	switch name {
	case "slug":
		var out []string
		for _, g := range Guides() {
			out = append(out, g.Slug)
		}
		return out, nil
	case "page":
		if c.live == nil {
			return nil, nil
		}
		idx, err := c.live.Index(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(idx))
		for k := range idx {
			out = append(out, k)
		}
		sort.Strings(out)
		return out, nil
	}
	return c.cached(ctx, name, func(ctx context.Context) ([]string, error) {
		switch name {
		case "id", "institution_id", "connector_id":
			l, err := c.client.ListConnectors(ctx, basiq.ListConnectorsOptions{})
			if err != nil {
				return nil, err
			}
			seen, out := map[string]bool{}, []string{}
			for _, conn := range l.Data {
				if !seen[conn.ID] {
					seen[conn.ID] = true
					out = append(out, conn.ID+nameSep+conn.Institution.Name) // matched by either, answered by id
				}
			}
			return out, nil
		case "userId", "user_id":
			users, _, err := c.client.AllUsers(ctx, 2000)
			if err != nil {
				return nil, err
			}
			out := make([]string, 0, len(users))
			for _, u := range users {
				out = append(out, u.ID)
			}
			return out, nil
		case "report_type":
			l, err := c.client.ListReportTypes(ctx)
			if err != nil {
				return nil, err
			}
			out := []string{}
			for _, t := range l.Data {
				out = append(out, t.ID)
			}
			return out, nil
		}
		return nil, nil
	})
}

// cached reuses a recent answer for key.
func (c *Completer) cached(ctx context.Context, key string, load func(context.Context) ([]string, error)) ([]string, error) {
	c.mu.Lock()
	if v, ok := c.cache[key]; ok && time.Since(v.at) < completionTTL {
		c.mu.Unlock()
		return v.values, nil
	}
	c.mu.Unlock()
	values, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[string]cachedValues{}
	}
	c.cache[key] = cachedValues{values, time.Now()}
	c.mu.Unlock()
	return values, nil
}
