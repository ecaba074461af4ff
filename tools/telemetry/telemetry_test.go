package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/basiq-mcp/basiq-mcp/tools/telemetry"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// fakeBasiq answers a token and one user.
func fakeBasiq(t *testing.T) *httptest.Server {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/token" {
			w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		w.Write([]byte(`{"type":"user","id":"u-1","email":"a@b.co"}`))
	}))
	t.Cleanup(api.Close)
	return api
}

// TestToolCallIsTracedAndMeasured: a tool call is a server span named for
// the tool, with the MCP attributes; the Basiq request it makes and the
// guard decision it takes are its children; the operation's duration is
// recorded with the semantic-convention attributes; no secret or customer
// data is in any attribute.
func TestToolCallIsTracedAndMeasured(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tel, err := telemetry.New(tp, mp)
	require.NoError(t, err)

	client, err := basiq.NewClient("secret-key", basiq.WithBaseURL(fakeBasiq(t).URL), basiq.WithContextObserver(tel.Exchange))
	require.NoError(t, err)
	s := server.NewMCPServer("t", "1", server.WithToolCapabilities(false))
	s.Use(tel.Tools)
	s.AddTool(mcp.NewTool("refresh_like", mcp.WithDescription("reads a user and takes a guard decision")),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if _, err := client.GetUser(ctx, "u-1"); err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			tel.Decision(ctx, guard.Decision{UserID: "u-1", ConnectionID: "c-1", Outcome: "refreshed", JobID: "j-1"})
			return mcp.NewToolResultText("ok"), nil
		})
	c := mcptest.Connect(t, s, "telemetry-test")
	req := mcp.CallToolRequest{}
	req.Params.Name = "refresh_like"
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err)
	require.False(t, res.IsError)

	byName := map[string]tracetest.SpanStub{}
	for _, sp := range spans.GetSpans() {
		byName[sp.Name] = sp
	}
	call, ok := byName["tools/call refresh_like"]
	require.True(t, ok, "a span per tool call: %v", names(spans))
	attrs := attrMap(call.Attributes)
	assert.Equal(t, "tools/call", attrs["mcp.method.name"])
	assert.Equal(t, "refresh_like", attrs["gen_ai.tool.name"])
	assert.Equal(t, "execute_tool", attrs["gen_ai.operation.name"])
	assert.NotEmpty(t, attrs["mcp.protocol.version"])
	basiqSpan, ok := byName["GET /users/{id}"]
	require.True(t, ok, "the Basiq request is a span: %v", names(spans))
	assert.Equal(t, call.SpanContext.SpanID(), basiqSpan.Parent.SpanID(), "under the tool call")
	assert.Equal(t, int64(200), attrMapInt(basiqSpan.Attributes)["http.response.status_code"])
	decision, ok := byName["guard refresh"]
	require.True(t, ok)
	assert.Equal(t, call.SpanContext.SpanID(), decision.Parent.SpanID())
	assert.Equal(t, "refreshed", attrMap(decision.Attributes)["basiq_mcp.guard.outcome"])
	for _, sp := range spans.GetSpans() {
		for _, kv := range sp.Attributes {
			assert.NotContains(t, kv.Value.String(), "secret-key", "no secret in %s", sp.Name)
			assert.NotContains(t, kv.Value.String(), "a@b.co", "no customer data in %s", sp.Name)
		}
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	found := false
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "mcp.server.operation.duration" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				a := attrMap(dp.Attributes.ToSlice())
				if a["gen_ai.tool.name"] == "refresh_like" && a["mcp.method.name"] == "tools/call" && dp.Count == 1 {
					found = true
				}
			}
		}
	}
	assert.True(t, found, "mcp.server.operation.duration recorded for the call")
}

// TestExportsOverOTLPWhenAsked: with OTEL_EXPORTER_OTLP_ENDPOINT set, the
// spans reach an OTLP/HTTP collector (here a stand-in counting what
// arrives at /v1/traces) when the server stops; with nothing set, nothing
// is instrumented.
func TestExportsOverOTLPWhenAsked(t *testing.T) {
	tel, _, err := telemetry.FromEnvironment(context.Background(), "v", func(string) string { return "" })
	require.NoError(t, err)
	assert.Nil(t, tel, "no variable, no telemetry")

	var traces atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			traces.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(collector.Close)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_METRICS_EXPORTER": "none"}
	tel, stop, err := telemetry.FromEnvironment(context.Background(), "v", func(k string) string { return env[k] })
	require.NoError(t, err)
	require.NotNil(t, tel)
	tel.Exchange(context.Background(), basiq.Exchange{Method: "GET", Route: "/users/{id}", Status: 200, Began: time.Now(), Duration: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, stop(ctx))
	assert.Positive(t, traces.Load(), "the span was exported on stop")
}

func names(e *tracetest.InMemoryExporter) []string {
	var out []string
	for _, s := range e.GetSpans() {
		out = append(out, s.Name)
	}
	return out
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

func attrMapInt(kvs []attribute.KeyValue) map[string]int64 {
	out := map[string]int64{}
	for _, kv := range kvs {
		if kv.Value.Type() == attribute.INT64 {
			out[string(kv.Key)] = kv.Value.AsInt64()
		}
	}
	return out
}
