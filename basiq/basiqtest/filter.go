package basiqtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cond is one parsed filter statement.
type cond struct {
	Field, Op string
	Values    []string
}

// filterRules lists, per field, the operators an endpoint accepts.
type filterRules map[string][]string

func ops(o ...string) []string { return o }

// parseFilter parses Basiq's filter grammar, field.op('v'[,'v']) joined by
// commas, and checks it against rules. On failure it answers 400.
func (x *exchange) parseFilter(raw string, rules filterRules) ([]cond, bool) {
	if raw == "" {
		return nil, true
	}
	conds, err := parseConds(raw)
	if !err {
		for _, c := range conds {
			if !slices.Contains(rules[c.Field], c.Op) || !validArity(c) {
				err = true
				break
			}
			if strings.HasSuffix(c.Field, "Date") {
				for _, v := range c.Values {
					if _, ok := parseWhen(v); !ok {
						x.badParam("filter", "PostDate is not valid")
						return nil, false
					}
				}
			}
		}
	}
	if err {
		x.badFilter()
		return nil, false
	}
	return conds, true
}

func validArity(c cond) bool {
	switch c.Op {
	case "bt":
		return len(c.Values) == 2
	case "in":
		return len(c.Values) >= 1
	}
	return len(c.Values) == 1
}

// parseConds returns the statements, or bad=true.
func parseConds(s string) (out []cond, bad bool) {
	for len(s) > 0 {
		open := strings.IndexByte(s, '(')
		if open < 0 {
			return nil, true
		}
		head := s[:open]
		dot := strings.LastIndexByte(head, '.')
		if dot <= 0 {
			return nil, true
		}
		c := cond{Field: head[:dot], Op: head[dot+1:]}
		rest, ok := parseArgs(s[open+1:], &c)
		if !ok {
			return nil, true
		}
		out = append(out, c)
		if rest == "" {
			break
		}
		if rest[0] != ',' || len(rest) == 1 {
			return nil, true
		}
		s = rest[1:]
	}
	return out, false
}

// parseArgs reads 'a','b') or bare values up to ')' and returns what follows.
func parseArgs(s string, c *cond) (string, bool) {
	for {
		s = strings.TrimLeft(s, " ")
		var v strings.Builder
		if strings.HasPrefix(s, "'") {
			i := 1
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				v.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", false
			}
			s = s[i+1:]
		} else {
			end := strings.IndexAny(s, ",)'(")
			if end <= 0 {
				return "", false
			}
			v.WriteString(strings.TrimSpace(s[:end]))
			s = s[end:]
		}
		c.Values = append(c.Values, v.String())
		s = strings.TrimLeft(s, " ")
		switch {
		case strings.HasPrefix(s, ")"):
			return s[1:], true
		case strings.HasPrefix(s, ","):
			s = s[1:]
		default:
			return "", false
		}
	}
}

func parseWhen(v string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// matchAll applies every condition to one item through get.
func matchAll(conds []cond, get func(field string) string) bool {
	for _, c := range conds {
		if !match(c, get(c.Field)) {
			return false
		}
	}
	return true
}

func match(c cond, have string) bool {
	cmp := strings.Compare
	if strings.HasSuffix(c.Field, "Date") {
		cmp = compareDays
	}
	switch c.Op {
	case "eq":
		return cmp(have, c.Values[0]) == 0
	case "ne":
		return cmp(have, c.Values[0]) != 0
	case "in":
		return slices.ContainsFunc(c.Values, func(v string) bool { return cmp(have, v) == 0 })
	case "gt":
		return cmp(have, c.Values[0]) > 0
	case "gteq":
		return cmp(have, c.Values[0]) >= 0
	case "lt":
		return cmp(have, c.Values[0]) < 0
	case "lteq":
		return cmp(have, c.Values[0]) <= 0
	case "bt":
		return cmp(have, c.Values[0]) >= 0 && cmp(have, c.Values[1]) <= 0
	}
	return false
}

// compareDays compares two timestamps by calendar day (UTC); an empty
// timestamp (a pending transaction's postDate) sorts after every day.
func compareDays(a, b string) int {
	ta, oka := parseWhen(a)
	tb, okb := parseWhen(b)
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return 1
	case !okb:
		return -1
	}
	return strings.Compare(ta.UTC().Format("2006-01-02"), tb.UTC().Format("2006-01-02"))
}

// cursor is the state behind an opaque links.next token.
type cursor struct {
	Offset int    `json:"o"`
	Limit  int    `json:"l"`
	Filter string `json:"f,omitempty"`
}

// listArgs reads limit and filter, or the cursor in next, for a paged list.
func (x *exchange) listArgs() (cursor, bool) {
	q := x.r.URL.Query()
	if n := q.Get("next"); n != "" {
		var c cursor
		raw, err := base64.RawURLEncoding.DecodeString(n)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.Offset < 0 || c.Limit < 1 || c.Limit > 500 {
			x.badParam("next", "Next value is not valid")
			return c, false
		}
		return c, true
	}
	c := cursor{Limit: 500, Filter: q.Get("filter")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		switch {
		case err != nil || n < 1:
			x.badParam("limit", "Limit value is not valid")
			return c, false
		case n > 500:
			x.badParam("limit", "Maximum limit allowed is 500")
			return c, false
		}
		c.Limit = n
	}
	return c, true
}

// page answers one page of items with Basiq's list envelope.
func (x *exchange) page(items []any, path string, c cursor) {
	x.pageN(len(items), func(i int) any { return items[i] }, path, c)
}

// pageN is page for n items rendered on demand: only the page is rendered.
func (x *exchange) pageN(n int, at func(int) any, path string, c cursor) {
	end := min(c.Offset+c.Limit, n)
	start := min(c.Offset, end)
	data := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		data = append(data, at(i))
	}
	links := obj{"self": x.link(path)}
	if end < n {
		next, _ := json.Marshal(cursor{Offset: end, Limit: c.Limit, Filter: c.Filter})
		links["next"] = x.link(path + "?next=" + base64.RawURLEncoding.EncodeToString(next))
	}
	x.json(http.StatusOK, obj{"type": "list", "count": len(data), "size": n, "data": data, "links": links})
}
