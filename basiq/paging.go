package basiq

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// PageOptions selects one page of a paged collection.
type PageOptions struct {
	// Limit is the page size, 1 to 500; 0 leaves Basiq's default (500).
	Limit int
	// Next is a links.next URL from a previous page. When set, it is
	// followed exactly as given and every other option is ignored.
	Next string
}

// MaxPageLimit is the largest page Basiq serves.
const MaxPageLimit = 500

func (p PageOptions) apply(q url.Values) error {
	if p.Limit < 0 || p.Limit > MaxPageLimit {
		return inputErrorf("limit %d is out of range (1 to %d)", p.Limit, MaxPageLimit)
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	return nil
}

// listPage fetches one page at path, or the page p.Next points to.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values, p PageOptions) (*List[T], error) {
	if err := p.apply(q); err != nil {
		return nil, err
	}
	cl := &call{method: http.MethodGet, path: path, query: q, idempotent: true, next: p.Next}
	var out List[T]
	if _, err := c.send(ctx, cl, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DefaultMaxPages bounds how many pages the collect helpers follow.
const DefaultMaxPages = 50

// collect follows links.next from first until the last page, maxItems items
// or maxPages pages, whichever comes first. truncated reports a cut-off.
func collect[T any](ctx context.Context, c *Client, path string, q url.Values, limit, maxItems, maxPages int) (items []T, truncated bool, err error) {
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	p := PageOptions{Limit: limit}
	for page := 0; page < maxPages; page++ {
		l, err := listPage[T](ctx, c, path, cloneValues(q), p)
		if err != nil {
			return items, false, err
		}
		items = append(items, l.Data...)
		if maxItems > 0 && len(items) >= maxItems {
			return items[:maxItems], len(items) > maxItems || l.Next() != "", nil
		}
		if l.Next() == "" {
			return items, false, nil
		}
		p.Next = l.Next()
	}
	return items, true, nil
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
