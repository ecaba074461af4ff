package resources_test

import (
	"testing"

	"github.com/basiq-mcp/basiq-mcp/resources"
)

// BenchmarkSearch is search_docs' cost per call: the cheapest tool, so the
// floor of what a tool call costs on this server.
func BenchmarkSearch(b *testing.B) {
	resources.Search("warm up", 5)
	b.ReportAllocs()
	for b.Loop() {
		resources.Search("refresh cooldown mfa", 5)
	}
}
