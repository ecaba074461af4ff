// Package mcptest is the test support every package of basiq-mcp shares: an
// in-process MCP client session, golden files compared item by item, and a
// buffer that a server goroutine or a child process may write while a test
// reads it. Only tests import it.
package mcptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Connect starts an initialized in-process MCP client session on s, closed
// when the test ends.
func Connect(t testing.TB, s *server.MCPServer, name string) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: name, Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

// LockedBuffer collects what a server goroutine or a child process writes
// while the test reads it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Golden compares got, as indented JSON, with the golden file at path, or
// rewrites the file when update is set. Lists of named items (tools,
// resources, prompts) are compared item by item: a failure names each item
// added, removed or changed and shows the first change, as
// github-mcp-server's tool snapshots do.
func Golden(t testing.TB, path string, got any, update bool, howToUpdate string) {
	t.Helper()
	raw, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if update {
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: %s creates it", err, howToUpdate)
	}
	if diff := diffNamed(want, raw); diff != "" {
		t.Errorf("%s differs from the golden file:\n%s\nReview, then: %s", path, diff, howToUpdate)
	}
}

// diffNamed describes how two JSON documents differ, item by item where
// they hold lists of objects with a name, uri or uriTemplate; "" when equal.
func diffNamed(want, got []byte) string {
	var w, g any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return "not JSON"
	}
	wi, gi := items(w), items(g)
	if wi == nil || gi == nil {
		if canonical(w) != canonical(g) {
			return fmt.Sprintf("want %s\n got %s", canonical(w), canonical(g))
		}
		return ""
	}
	var lines []string
	first := ""
	for _, k := range sortedKeys(wi, gi) {
		wv, inW := wi[k]
		gv, inG := gi[k]
		switch {
		case !inG:
			lines = append(lines, "removed: "+k)
		case !inW:
			lines = append(lines, "added: "+k)
		case wv != gv:
			lines = append(lines, "changed: "+k)
			if first == "" {
				first = fmt.Sprintf("\n%s was\n  %s\nnow\n  %s", k, wv, gv)
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + first
}

// items maps each named object in the document's lists to its canonical
// JSON, or returns nil when the document holds no such list.
func items(v any) map[string]string {
	var lists [][]any
	switch x := v.(type) {
	case []any:
		lists = append(lists, x)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if l, ok := x[k].([]any); ok {
				lists = append(lists, l)
			}
		}
	}
	out := map[string]string{}
	for _, l := range lists {
		for _, it := range l {
			m, ok := it.(map[string]any)
			if !ok {
				return nil
			}
			key := ""
			for _, f := range []string{"name", "uri", "uriTemplate"} {
				if s, ok := m[f].(string); ok && key == "" {
					key = s
				}
			}
			if key == "" {
				return nil
			}
			out[key] = canonical(m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func canonical(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	return string(b)
}

func sortedKeys[V any](ms ...map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}
