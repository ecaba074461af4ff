package basiq

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
)

// pageBody fetches a page of 100 transactions from the simulator, as
// Basiq's bytes arrive at the client.
func pageBody(b *testing.B) []byte {
	srv := basiqtest.NewServer()
	b.Cleanup(srv.Close)
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
	req, _ = http.NewRequest("GET", srv.URL+"/users/"+srv.Connections()[0].UserID+"/transactions?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return body
}

// BenchmarkDecodePage100 decodes one 100-row transactions page the way the
// client does (ours) and with a plain json.Unmarshal into the same types
// (plain), the baseline the tolerant decoder is measured against.
func BenchmarkDecodePage100(b *testing.B) {
	body := pageBody(b)
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var page struct {
				Type  string        `json:"type"`
				Count int           `json:"count"`
				Size  int           `json:"size"`
				Data  []Transaction `json:"data"`
				Links Links         `json:"links"`
			}
			if err := json.Unmarshal(body, &page); err != nil || len(page.Data) != 100 {
				b.Fatal(err, len(page.Data))
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var page List[Transaction]
			if err := decodeLenient(body, &page); err != nil || len(page.Data) != 100 {
				b.Fatal(err, len(page.Data))
			}
		}
	})
}
