package tools

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq"
)

// Pace bounds the background work that keeps the index fresh: a share of
// the Basiq requests a second the deployment allows itself for reads
// (refreshes apart, which have their own budget), less what callers are
// reading now, so a busy hour of support calls slows the scan rather than
// the calls.
type Pace struct {
	Budget float64        // Basiq read requests a second the deployment allows itself
	Share  float64        // the most of Budget the scan takes (0: no scan)
	Others func() float64 // Basiq read requests a second callers made lately; nil: none counted
}

// Rate is the scan's requests a second now: its share, or what callers
// leave of the budget when that is less (never below zero).
func (p Pace) Rate() float64 {
	r := p.Budget * p.Share
	if p.Others != nil {
		r = min(r, p.Budget-p.Others())
	}
	return max(r, 0)
}

// on reports whether the pace lets the scan run at all.
func (p Pace) on() bool { return p.Budget > 0 && p.Share > 0 }

// meterSpan is how far back a ReadMeter looks: long enough that a pause
// between two calls does not read as an idle deployment.
const meterSpan = 10

// ReadMeter counts the Basiq read requests callers' tool calls make (the
// background's own, refreshes and tokens apart) over the last ten
// seconds, for the scan to leave them their budget. It counts this process
// only: the scan's lead process does not see other replicas' calls.
type ReadMeter struct {
	mu     sync.Mutex
	counts [meterSpan]int
	second [meterSpan]int64
	now    func() time.Time
}

// NewReadMeter returns an empty meter.
func NewReadMeter() *ReadMeter { return &ReadMeter{now: time.Now} }

// Observe counts one exchange with Basiq, made for ctx (a basiq client
// observer, see basiq.WithContextObserver).
func (m *ReadMeter) Observe(ctx context.Context, e basiq.Exchange) {
	if inBackground(ctx) || e.Route == "/token" || e.Method == "POST" && strings.HasSuffix(e.Route, "/refresh") {
		return
	}
	s := m.now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	i := s % meterSpan
	if m.second[i] != s {
		m.second[i], m.counts[i] = s, 0
	}
	m.counts[i]++
}

// Rate is the callers' Basiq read requests a second over the last ten
// seconds, or since their first request within them: a caller that
// starts reading is seen at its rate at once, not a tenth of it.
func (m *ReadMeter) Rate() float64 {
	now := m.now()
	s := now.Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	n, oldest := 0, s
	for i := range m.counts {
		if age := s - m.second[i]; age < meterSpan && m.counts[i] > 0 {
			n += m.counts[i]
			oldest = min(oldest, m.second[i])
		}
	}
	return float64(n) / max(now.Sub(time.Unix(oldest, 0)).Seconds(), 1)
}

type backgroundKey struct{}

// background marks ctx as the background's, whose Basiq requests the
// meter does not count against callers.
func background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func inBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
