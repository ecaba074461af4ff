package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/resources"
	"github.com/basiq-mcp/basiq-mcp/tools"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestViewsReachOnlyAppsClients: over stdio, a client that announces the
// MCP Apps extension finds each view's tool linked to it (_meta.ui) and
// the view listed and readable as one self-contained page; a client that
// does not sees neither, and its tools/list is what it was.
func TestViewsReachOnlyAppsClients(t *testing.T) {
	t.Parallel()
	for _, apps := range []bool{false, true} {
		c, err := client.NewStdioMCPClient(binary, sandboxEnv())
		require.NoError(t, err)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		init := mcp.InitializeRequest{}
		init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
		init.Params.ClientInfo = mcp.Implementation{Name: "apps-test", Version: "1"}
		if apps {
			init.Params.Capabilities.Extensions = map[string]any{tools.AppsExtension: map[string]any{"mimeTypes": []string{tools.AppsMIMEType}}}
		}
		_, err = c.Initialize(ctx, init)
		require.NoError(t, err)
		list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		require.NoError(t, err)
		linked := map[string]string{}
		for _, tl := range list.Tools {
			if tl.Meta == nil {
				continue
			}
			if ui, ok := tl.Meta.AdditionalFields["ui"].(map[string]any); ok {
				linked[tl.Name], _ = ui["resourceUri"].(string)
			}
		}
		res, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
		require.NoError(t, err)
		listed := map[string]string{}
		for _, r := range res.Resources {
			if strings.HasPrefix(r.URI, "ui://") {
				listed[r.URI] = r.MIMEType
			}
		}
		if !apps {
			assert.Empty(t, linked, "no _meta.ui without the extension")
			assert.Empty(t, listed, "no views listed without the extension")
			continue
		}
		assert.Equal(t, tools.ViewOf, linked)
		for tool, uri := range linked {
			assert.Equal(t, tools.AppsMIMEType, listed[uri], "%s's view is listed", tool)
			read, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
			require.NoError(t, err)
			page := read.Contents[0].(mcp.TextResourceContents)
			assert.Equal(t, tools.AppsMIMEType, page.MIMEType)
			name := strings.TrimSuffix(strings.TrimPrefix(uri, "ui://basiq-mcp/"), ".html")
			assert.Contains(t, page.Text, `data-view="`+name+`"`)
			assert.Equal(t, 1, strings.Count(strings.ToLower(page.Text), "</script"), "the script is inlined whole")
			assert.NotContains(t, page.Text, "src=\"http", "nothing is fetched: the view works offline")
		}
	}
}

// TestEveryViewHasItsTool: the views resources serves and the links tools
// gives are the same four.
func TestEveryViewHasItsTool(t *testing.T) {
	var uris []string
	for _, v := range resources.Views {
		uris = append(uris, v.URI)
	}
	var linked []string
	for _, uri := range tools.ViewOf {
		linked = append(linked, uri)
	}
	slices.Sort(uris)
	slices.Sort(linked)
	assert.Equal(t, uris, linked)
	assert.Equal(t, resources.AppMIMEType, tools.AppsMIMEType)
}
