package basiq_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

// benchTarget is a simulator with one connection to read, shared by the
// benchmarks so that each measures only its own calls.
type benchTarget struct {
	srv          *basiqtest.Server
	client       *basiq.Client
	userID, conn string
	bearer       string
}

func newBenchTarget(b *testing.B) *benchTarget {
	srv := basiqtest.NewServer()
	b.Cleanup(srv.Close)
	c, err := basiq.NewClient("bench-key", basiq.WithBaseURL(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	first := srv.Connections()[0]
	// A token for the raw baseline, minted the way Basiq documents.
	req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader(url.Values{"scope": {"SERVER_ACCESS"}}.Encode()))
	req.Header.Set("Authorization", "Basic bench-key")
	req.Header.Set("basiq-version", "3.0")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	return &benchTarget{srv: srv, client: c, userID: first.UserID, conn: first.ConnectionID, bearer: "Bearer " + tok.AccessToken}
}

// BenchmarkGetConnection is one typed client call against the simulator on
// loopback: token cache, request, decode.
func BenchmarkGetConnection(b *testing.B) {
	t := newBenchTarget(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.client.GetConnection(ctx, t.userID, t.conn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetConnectionRawHTTP is the baseline for BenchmarkGetConnection:
// the same request with net/http and encoding/json, no client.
func BenchmarkGetConnectionRawHTTP(b *testing.B) {
	t := newBenchTarget(b)
	target := t.srv.URL + "/users/" + t.userID + "/connections/" + t.conn
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", t.bearer)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var conn basiq.Connection
		if err := json.NewDecoder(resp.Body).Decode(&conn); err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkListTransactions100 fetches one page of 100 transactions.
func BenchmarkListTransactions100(b *testing.B) {
	t := newBenchTarget(b)
	ctx := context.Background()
	opts := basiq.ListTransactionsOptions{PageOptions: basiq.PageOptions{Limit: 100}}
	b.ReportAllocs()
	for b.Loop() {
		l, err := t.client.ListTransactions(ctx, t.userID, opts)
		if err != nil || len(l.Data) != 100 {
			b.Fatal(err)
		}
	}
}
