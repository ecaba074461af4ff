// Package metrics counts what operators of a hosted basiq-mcp watch: tool
// calls, guard decisions, Basiq requests, the circuit breaker and open
// sessions, in Prometheus form. Labels carry tool names, outcomes, rules and
// Basiq routes with ids removed: never an id, a token or customer data.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one server, on a registry of its own so
// tests and several servers in one process never collide.
type Metrics struct {
	reg        *prometheus.Registry
	calls      *prometheus.CounterVec
	callTime   *prometheus.HistogramVec
	decisions  *prometheus.CounterVec
	upstream   *prometheus.CounterVec
	upTime     *prometheus.HistogramVec
	sessions   prometheus.Gauge
	breakerSet bool
}

// New registers the collectors, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "basiq_mcp_tool_calls_total",
		Help: "Tool calls by tool and outcome (ok, tool_error, protocol_error)."}, []string{"tool", "outcome"})
	m.callTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "basiq_mcp_tool_call_duration_seconds",
		Help: "Tool call duration by tool.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"tool"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "basiq_mcp_guard_decisions_total",
		Help: "Refresh decisions carried out, by rule (none when allowed) and outcome."}, []string{"rule", "outcome"})
	m.upstream = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "basiq_mcp_upstream_requests_total",
		Help: "HTTP requests to Basiq by method, route (ids removed) and status (0: no answer)."}, []string{"method", "route", "status"})
	m.upTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "basiq_mcp_upstream_request_duration_seconds",
		Help: "Basiq request duration by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.sessions = prometheus.NewGauge(prometheus.GaugeOpts{Name: "basiq_mcp_sessions_open", Help: "MCP sessions open now."})
	m.reg.MustRegister(m.calls, m.callTime, m.decisions, m.upstream, m.upTime, m.sessions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Upstream is a basiq.WithObserver function.
func (m *Metrics) Upstream(e basiq.Exchange) {
	m.upstream.WithLabelValues(e.Method, e.Route, strconv.Itoa(e.Status)).Inc()
	m.upTime.WithLabelValues(e.Route).Observe(e.Duration.Seconds())
}

// Decision is a guard.Governor.Watch function.
func (m *Metrics) Decision(d guard.Decision) {
	rule := d.Rule
	if rule == "" {
		rule = "none"
	}
	m.decisions.WithLabelValues(rule, d.Outcome).Inc()
}

// Breaker reports the client's circuit breaker as a gauge (1: open).
func (m *Metrics) Breaker(c *basiq.Client) {
	if m.breakerSet {
		return
	}
	m.breakerSet = true
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "basiq_mcp_breaker_open",
		Help: "1 while the circuit breaker refuses calls to Basiq."}, func() float64 {
		if c.BreakerOpen() {
			return 1
		}
		return 0
	}))
}

// Tools is the mcp-go middleware that counts and times every tool call.
func (m *Metrics) Tools(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		began := time.Now()
		res, err := next(ctx, req)
		outcome := "ok"
		switch {
		case err != nil:
			outcome = "protocol_error"
		case res != nil && res.IsError:
			outcome = "tool_error"
		}
		m.calls.WithLabelValues(req.Params.Name, outcome).Inc()
		m.callTime.WithLabelValues(req.Params.Name).Observe(time.Since(began).Seconds())
		return res, err
	}
}

// Sessions counts sessions as mcp-go registers and drops them.
func (m *Metrics) Sessions(h *server.Hooks) {
	h.AddOnRegisterSession(func(context.Context, server.ClientSession) { m.sessions.Inc() })
	h.AddOnUnregisterSession(func(context.Context, server.ClientSession) { m.sessions.Dec() })
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil { // no metrics (stdio): no handler
		return nil
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
