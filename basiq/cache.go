package basiq

import (
	"slices"
	"sync"
	"time"
)

// DefaultConnectorCacheTTL is how long a connector list is reused.
const DefaultConnectorCacheTTL = time.Minute

// connectorCache keeps recent connector lists by query.
type connectorCache struct {
	mu      sync.Mutex
	entries map[string]cachedList
	hits    int
}

type cachedList struct {
	list *List[Connector]
	at   time.Time
}

func (c *connectorCache) get(key string, now time.Time, ttl time.Duration) (*List[Connector], bool) {
	if ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.at) >= ttl {
		return nil, false
	}
	c.hits++
	return e.list.clone(), true
}

func (c *connectorCache) put(key string, l *List[Connector], now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedList{}
	}
	for k, e := range c.entries { // bounded: drop what has expired
		if now.Sub(e.at) >= DefaultConnectorCacheTTL*10 {
			delete(c.entries, k)
		}
	}
	c.entries[key] = cachedList{l.clone(), now}
}

// ConnectorCacheHits reports how many connector lookups the cache answered.
func (c *Client) ConnectorCacheHits() int {
	c.connectors.mu.Lock()
	defer c.connectors.mu.Unlock()
	return c.connectors.hits
}

// clone copies the list so that callers cannot change a cached one.
func (l *List[T]) clone() *List[T] {
	out := *l
	out.Data = slices.Clone(l.Data)
	return &out
}
