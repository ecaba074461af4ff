// Package telemetry traces MCP requests and measures them with
// OpenTelemetry, following its MCP semantic conventions: a server span per
// tools/call and resources/read, with a child span per Basiq request and
// per guard decision made for it (ids and outcomes, never customer data or
// secrets), and the mcp.server.operation.duration and
// mcp.server.session.duration histograms. The Prometheus families of
// tools/metrics stay as they are.
package telemetry

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// scope names this instrumentation.
const scope = "github.com/basiq-mcp/basiq-mcp"

// Telemetry holds the tracer and instruments of one server.
type Telemetry struct {
	tracer    trace.Tracer
	operation metric.Float64Histogram
	session   metric.Float64Histogram
	mu        sync.Mutex
	opened    map[string]time.Time // session id: when it began
}

// New instruments with tp and mp (the SDK's providers, or noop ones).
func New(tp trace.TracerProvider, mp metric.MeterProvider) (*Telemetry, error) {
	m := mp.Meter(scope)
	op, err := m.Float64Histogram("mcp.server.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("How long an MCP request took to answer."))
	if err != nil {
		return nil, err
	}
	sess, err := m.Float64Histogram("mcp.server.session.duration", metric.WithUnit("s"),
		metric.WithDescription("How long an MCP session lasted."))
	if err != nil {
		return nil, err
	}
	return &Telemetry{tracer: tp.Tracer(scope), operation: op, session: sess, opened: map[string]time.Time{}}, nil
}

// Tools is the tool middleware: a server span "tools/call NAME" around
// each call, its duration measured.
func (t *Telemetry) Tools(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		attrs := []attribute.KeyValue{attribute.String("mcp.method.name", "tools/call"), attribute.String("gen_ai.tool.name", req.Params.Name),
			attribute.String("gen_ai.operation.name", "execute_tool")}
		ctx, end := t.start(ctx, "tools/call "+req.Params.Name, attrs)
		res, err := next(ctx, req)
		kind := ""
		switch {
		case err != nil:
			kind = "protocol_error"
		case res != nil && res.IsError:
			kind = "tool_error"
		}
		end(kind)
		return res, err
	}
}

// Resources is the resource middleware: a server span "resources/read"
// around each read (the URI is not recorded: it names customers).
func (t *Telemetry) Resources(next server.ResourceHandlerFunc) server.ResourceHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		ctx, end := t.start(ctx, "resources/read", []attribute.KeyValue{attribute.String("mcp.method.name", "resources/read")})
		contents, err := next(ctx, req)
		kind := ""
		if err != nil {
			kind = "error"
		}
		end(kind)
		return contents, err
	}
}

// start opens a server span with the request's protocol version, session
// and JSON-RPC id, and returns how to end it: with an error type, or ""
// for success, which also records the operation's duration.
func (t *Telemetry) start(ctx context.Context, name string, attrs []attribute.KeyValue) (context.Context, func(errorType string)) {
	if v := server.RequestProtocolVersion(ctx); v != "" {
		attrs = append(attrs, attribute.String("mcp.protocol.version", v))
	}
	spanAttrs := attrs
	if s := server.ClientSessionFromContext(ctx); s != nil && s.SessionID() != "" {
		spanAttrs = append(spanAttrs, attribute.String("mcp.session.id", s.SessionID()))
	}
	began := time.Now()
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(spanAttrs...))
	return ctx, func(errorType string) {
		if errorType != "" {
			attrs = append(attrs, attribute.String("error.type", errorType))
			span.SetAttributes(attribute.String("error.type", errorType))
			span.SetStatus(codes.Error, errorType)
		}
		span.End()
		t.operation.Record(ctx, time.Since(began).Seconds(), metric.WithAttributes(attrs...))
	}
}

// Exchange is a basiq.WithContextObserver: a client span per HTTP
// exchange with Basiq, under the span of the call it served, named and
// labelled by its route (ids replaced), never its query or body.
func (t *Telemetry) Exchange(ctx context.Context, e basiq.Exchange) {
	_, span := t.tracer.Start(ctx, e.Method+" "+e.Route, trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(e.Began),
		trace.WithAttributes(attribute.String("http.request.method", e.Method), attribute.String("url.template", e.Route),
			attribute.String("server.address", "basiq")))
	if e.Status == 0 {
		span.SetStatus(codes.Error, "no answer")
		span.SetAttributes(attribute.String("error.type", "no_answer"))
	} else {
		span.SetAttributes(attribute.Int("http.response.status_code", e.Status))
		if e.Status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(e.Status))
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(e.Status)))
		}
	}
	span.End(trace.WithTimestamp(e.Began.Add(e.Duration)))
}

// Decision is a guard.Governor watcher: a span per refresh decision,
// under the call that asked, with its outcome and rule and the ids it is
// about.
func (t *Telemetry) Decision(ctx context.Context, d guard.Decision) {
	_, span := t.tracer.Start(ctx, "guard refresh", trace.WithAttributes(attribute.String("basiq_mcp.guard.outcome", d.Outcome),
		attribute.String("basiq_mcp.guard.rule", d.Rule), attribute.String("basiq.user.id", d.UserID),
		attribute.String("basiq.connection.id", d.ConnectionID), attribute.String("basiq.job.id", d.JobID)))
	span.End()
}

// Sessions measures each session's life through mcp-go's hooks.
func (t *Telemetry) Sessions(hooks *server.Hooks) {
	hooks.AddOnRegisterSession(func(_ context.Context, s server.ClientSession) {
		t.mu.Lock()
		t.opened[s.SessionID()] = time.Now()
		t.mu.Unlock()
	})
	hooks.AddOnUnregisterSession(func(ctx context.Context, s server.ClientSession) {
		t.mu.Lock()
		began, ok := t.opened[s.SessionID()]
		delete(t.opened, s.SessionID())
		t.mu.Unlock()
		if ok {
			var attrs []attribute.KeyValue
			if v, isV := s.(server.SessionWithProtocolVersion); isV && v.ProtocolVersion() != "" {
				attrs = append(attrs, attribute.String("mcp.protocol.version", v.ProtocolVersion()))
			}
			t.session.Record(ctx, time.Since(began).Seconds(), metric.WithAttributes(attrs...))
		}
	})
}
