package resources_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/resources"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeDocs serves an llms.txt index and pages, as api.basiq.io does.
type fakeDocs struct {
	*httptest.Server
	hits atomic.Int32
}

func newFakeDocs(t *testing.T) *fakeDocs {
	f := &fakeDocs{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		switch r.URL.Path {
		case "/llms.txt":
			w.Write([]byte("# Basiq\n- [Token](" + f.URL + "/reference/posttoken.md): get a token\n- [Elsewhere](https://evil.example/steal.md)\n"))
		case "/reference/posttoken.md":
			w.Write([]byte("# Generate a token\nPOST /token with basiq-version 3.0."))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func newClient(t *testing.T, docsURL string) (*client.Client, *basiqtest.Server) {
	sim := basiqtest.NewServer(basiqtest.WithTimeScale(0.001))
	t.Cleanup(sim.Close)
	bc, err := basiq.NewClient("k", basiq.WithBaseURL(sim.URL))
	require.NoError(t, err)
	set, err := resources.New(resources.Options{Client: bc, LiveDocsURL: docsURL})
	require.NoError(t, err)
	hooks := &server.Hooks{}
	s := server.NewMCPServer("t", "1", server.WithResourceCapabilities(false, false), server.WithCompletions(),
		server.WithResourceCompletionProvider(set.Completer()), server.WithHooks(hooks))
	set.Register(s, hooks)
	return mcptest.Connect(t, s, "resources-test"), sim
}

func read(t *testing.T, c *client.Client, uri string) (string, error) {
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := c.ReadResource(context.Background(), req)
	if err != nil {
		return "", err
	}
	require.Len(t, res.Contents, 1)
	return res.Contents[0].(mcp.TextResourceContents).Text, nil
}

func TestListsAndGolden(t *testing.T) {
	c, _ := newClient(t, "off")
	ctx := context.Background()
	list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	require.NoError(t, err)
	assert.Len(t, list.Resources, len(resources.Guides())+1)
	for _, r := range list.Resources {
		assert.NotEmpty(t, r.Title, r.URI)
		assert.NotEmpty(t, r.Description, r.URI)
		assert.NotEmpty(t, r.MIMEType, r.URI)
	}
	mcptest.Golden(t, filepath.Join("..", "testdata", "resources.golden.json"),
		map[string]any{"resources": list.Resources, "templates": templates.ResourceTemplates}, *update, "go test ./resources -update")
}

func TestGuidesAndSearch(t *testing.T) {
	c, _ := newClient(t, "off")
	body, err := read(t, c, "basiq://docs/jobs-and-failures")
	require.NoError(t, err)
	assert.Contains(t, body, "invalid-credentials")
	_, err = read(t, c, "basiq://docs/nope")
	assert.ErrorContains(t, err, "no guide \"nope\"; the guides are: getting-started")
	_, err = read(t, c, "basiq://docs/..%2f..%2fetc")
	assert.Error(t, err)

	hits := resources.Search("invalid credentials re-consent", 3)
	require.NotEmpty(t, hits)
	assert.Equal(t, "basiq://docs/jobs-and-failures", hits[0].URI)
	assert.Empty(t, resources.Search("zzzz qqqq", 3))
	for _, g := range resources.Guides() {
		assert.NotEmpty(t, g.Title, g.Slug)
		assert.NotEmpty(t, g.Description, g.Slug)
	}
}

func TestLiveDataTemplates(t *testing.T) {
	c, sim := newClient(t, "off")
	conn := sim.Connections()[0]
	cases := map[string]string{
		"basiq://connectors":                            `"major-outage"`,
		"basiq://connectors/AU00000":                    `"name":"Hooli Bank"`,
		"basiq://users/" + conn.UserID:                  conn.ConnectionID,
		"basiq://users/" + conn.UserID + "/connections": `"institution_id":"AU00000"`,
	}
	for uri, want := range cases {
		body, err := read(t, c, uri)
		require.NoError(t, err, uri)
		assert.True(t, json.Valid([]byte(body)), uri)
		assert.Contains(t, body, want, uri)
	}
	bc, _ := basiq.NewClient("k", basiq.WithBaseURL(sim.URL))
	job, _, err := bc.RefreshConnection(context.Background(), conn.UserID, conn.ConnectionID)
	require.NoError(t, err)
	body, err := read(t, c, "basiq://jobs/"+job.ID)
	require.NoError(t, err)
	assert.Contains(t, body, `"name":"verify-credentials"`)

	_, err = read(t, c, "basiq://users/00000000-0000-4000-8000-000000000000")
	assert.ErrorContains(t, err, "404 resource-not-found")
	_, err = read(t, c, "basiq://connectors/ZZ99999")
	assert.ErrorContains(t, err, "no institution")
	_, err = read(t, c, "basiq://nothing/here")
	assert.Error(t, err)
}

func TestLiveDocsReadCacheAndFallback(t *testing.T) {
	docs := newFakeDocs(t)
	c, _ := newClient(t, docs.URL)
	body, err := read(t, c, "basiq://basiq-docs/posttoken")
	require.NoError(t, err)
	assert.Equal(t, "# Generate a token\nPOST /token with basiq-version 3.0.", body)
	hits := docs.hits.Load()
	_, err = read(t, c, "basiq://basiq-docs/posttoken")
	require.NoError(t, err)
	assert.Equal(t, hits, docs.hits.Load(), "the second read comes from the cache")

	body, err = read(t, c, "basiq://basiq-docs/steal")
	require.NoError(t, err)
	assert.Contains(t, body, "could not be read", "a page off Basiq's host is never fetched")

	offline := newFakeDocs(t)
	offline.Close()
	c2, _ := newClient(t, offline.URL)
	body, err = read(t, c2, "basiq://basiq-docs/posttoken")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(body, "> Basiq's live documentation could not be read"))
	assert.Contains(t, body, "basiq://docs/", "it names the embedded guide it falls back to")
}

func TestCompletions(t *testing.T) {
	docs := newFakeDocs(t)
	c, sim := newClient(t, docs.URL)
	complete := func(template, arg, value string) []string {
		req := mcp.CompleteRequest{}
		req.Params.Ref = mcp.ResourceReference{Type: "ref/resource", URI: template}
		req.Params.Argument.Name, req.Params.Argument.Value = arg, value
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.Complete(ctx, req)
		require.NoError(t, err)
		return res.Completion.Values
	}
	assert.Equal(t, []string{"jobs-and-failures"}, complete("basiq://docs/{slug}", "slug", "jobs"))
	assert.Contains(t, complete("basiq://connectors/{id}", "id", "AU0000"), "AU00006")
	assert.Equal(t, []string{"AU00002"}, complete("basiq://connectors/{id}", "id", "pied piper"), "found by name, answered by id")
	user := sim.Connections()[0].UserID
	assert.Equal(t, []string{user}, complete("basiq://users/{userId}", "userId", user[:12]))
	assert.Equal(t, []string{"posttoken"}, complete("basiq://basiq-docs/{page}", "page", "token"))
}

// TestReportPDF: a finished report is offered as Basiq's PDF, in a blob.
func TestReportPDF(t *testing.T) {
	c, sim := newClient(t, "off")
	bc, err := basiq.NewClient("k", basiq.WithBaseURL(sim.URL))
	require.NoError(t, err)
	ctx := context.Background()
	user := sim.Connections()[2].UserID
	job, err := bc.CreateReport(ctx, basiq.CreateReportParams{ReportType: basiq.ReportConsumerAffordability, Title: "pdf",
		Filters: []basiq.ReportFilter{{Name: "fromDate", Value: basiq.Date(time.Now().AddDate(0, -3, 0))}, {Name: "toDate", Value: basiq.Date(time.Now())},
			{Name: "users", Value: []string{user}}, {Name: "accounts", Value: []string{}}}})
	require.NoError(t, err)
	var reportID string
	require.Eventually(t, func() bool {
		j, err := bc.GetJob(ctx, job.ID)
		reportID = ""
		if err == nil {
			reportID = j.ReportID()
		}
		return reportID != ""
	}, 5*time.Second, 10*time.Millisecond)
	req := mcp.ReadResourceRequest{}
	req.Params.URI = "basiq://reports/" + reportID + "/pdf"
	res, err := c.ReadResource(ctx, req)
	require.NoError(t, err)
	blob, ok := res.Contents[0].(mcp.BlobResourceContents)
	require.True(t, ok, "a PDF is a blob")
	assert.Equal(t, "application/pdf", blob.MIMEType)
	pdf, err := base64.StdEncoding.DecodeString(blob.Blob)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(pdf), "%PDF-"))
	_, err = read(t, c, "basiq://reports/../token/pdf")
	assert.Error(t, err, "no path escapes through the id")
}

// TestUserResourceCleansNames: the resource shows a user as get_user does,
// with third-party text cleaned (one view for both).
func TestUserResourceCleansNames(t *testing.T) {
	c, sim := newClient(t, "off")
	bc, err := basiq.NewClient("k", basiq.WithBaseURL(sim.URL))
	require.NoError(t, err)
	u, err := bc.CreateUser(context.Background(), basiq.UserParams{Email: "rlo@example.com", FirstName: "Eve\u202e", LastName: "Mallory\u200b"})
	require.NoError(t, err)
	body, err := read(t, c, "basiq://users/"+u.ID)
	require.NoError(t, err)
	var v struct{ Name string }
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	assert.Equal(t, "Eve Mallory", v.Name)
}
