package tools

import (
	"context"

	"github.com/basiq-mcp/basiq-mcp/tools/guard"
)

// DocHit is a guide section that matches a search.
type DocHit struct {
	URI     string `json:"uri" jsonschema_description:"read it with resources/read"`
	Title   string `json:"title"`
	Section string `json:"section"`
	Snippet string `json:"snippet,omitempty"`
}

type searchDocsParams struct {
	Query string `json:"query" jsonschema:"required,minLength=2,maxLength=200" jsonschema_description:"Keywords, e.g. 'invalid credentials', 'refresh limit'."`
	Limit int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=10"`
}

type searchDocsResult struct {
	Hits []DocHit `json:"hits" jsonschema_description:"best first; read a guide with resources/read on its uri"`
}

// searchDocsTool is the search_docs tool.
var searchDocsTool = spec[searchDocsParams, searchDocsResult]{name: "search_docs", reach: guard.ReachNone, title: "Search the guides", toolset: SetDocs, hints: localReadHints, run: searchDocs,
	description: "Find guide sections (Basiq concepts, failure codes, limits, guardrails) by keywords; returns resource URIs."}

func searchDocs(_ context.Context, d *call, p searchDocsParams) (searchDocsResult, error) {
	limit := p.Limit
	if limit == 0 {
		limit = 5
	}
	hits := d.SearchDocs(p.Query, limit)
	if hits == nil {
		hits = []DocHit{}
	}
	return searchDocsResult{Hits: hits}, nil
}
