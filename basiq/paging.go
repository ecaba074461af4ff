package basiq

import (
	"bytes"
	"context"
	"encoding/json"
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

// strictPage is a list page that can be read in one strict pass.
type strictPage interface{ decodeStrict(b []byte) bool }

// wholePage is a list page as one strict pass reads it: records by
// pointer, so a null record (which the tolerant path skips as not an
// object) is told apart from an empty one.
type wholePage[T any] struct {
	Type       string          `json:"type"`
	Count      json.RawMessage `json:"count"`
	Size       json.RawMessage `json:"size"`
	TotalCount json.RawMessage `json:"totalCount"`
	Data       []*T            `json:"data"`
	Links      Links           `json:"links"`
}

// decodeStrict reads a page whose every record decodes as documented, in
// one pass (the tolerant reading below passes over each record several
// times); false leaves l to UnmarshalJSON, which reads what this refuses
// exactly as before.
func (l *List[T]) decodeStrict(b []byte) bool {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return false
	}
	var p wholePage[T]
	if json.Unmarshal(b, &p) != nil {
		return false
	}
	data := make([]T, len(p.Data))
	for i, r := range p.Data {
		if r == nil {
			return false
		}
		data[i] = *r
	}
	*l = List[T]{Type: p.Type, Links: p.Links, Data: data}
	l.Count, l.Size, l.TotalCount = countOf(p.Count), countOf(p.Size), countOf(p.TotalCount)
	return true
}

// UnmarshalJSON reads a page record by record: a record that cannot be read
// is listed in Skipped and the rest of the page is kept.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	var env struct {
		Type       string            `json:"type"`
		Count      json.RawMessage   `json:"count"`
		Size       json.RawMessage   `json:"size"`
		TotalCount json.RawMessage   `json:"totalCount"`
		Data       []json.RawMessage `json:"data"`
		Links      Links             `json:"links"`
	}
	if trimmed := bytes.TrimSpace(b); len(trimmed) > 0 && trimmed[0] == '[' {
		b = append(append([]byte(`{"data":`), trimmed...), '}') // a bare array where a list envelope was documented
	}
	if err := decodeLenient(b, &env); err != nil {
		return err
	}
	*l = List[T]{Type: env.Type, Links: env.Links, Data: make([]T, 0, len(env.Data))}
	l.Count, l.Size, l.TotalCount = countOf(env.Count), countOf(env.Size), countOf(env.TotalCount)
	for i, raw := range env.Data {
		var item T
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			l.Skipped = append(l.Skipped, Skipped{Index: i, Reason: "the record is not a JSON object"})
			continue
		}
		if err := decodeLenient(raw, &item); err != nil {
			l.Skipped = append(l.Skipped, Skipped{Index: i, ID: idOf(raw), Reason: err.Error()})
			continue
		}
		l.Data = append(l.Data, item)
	}
	return nil
}
