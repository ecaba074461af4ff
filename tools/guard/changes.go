package guard

import (
	"context"
	"fmt"
	"sync"
)

// Changes carries "this customer changed" to every process of a
// deployment, so a client subscribed on one replica hears of an event
// another replica took up (Basiq posts a webhook to one of them, and one
// leads the event poll). With Redis it is a pub/sub channel in the
// deployment's namespace; with bbolt, which one process holds, it stays in
// the process. Delivery is best effort, as a notification is: a replica
// cut off from Redis misses what was said meanwhile, and its subscribers
// read the resource again when they next look.
type Changes struct {
	store *RedisStore // nil: in-process only
	mu    sync.Mutex
	fns   []func(userID string)
}

// NewChanges returns the change feed of a deployment's store.
func NewChanges(s Store) *Changes {
	r, _ := s.(*RedisStore)
	return &Changes{store: r}
}

// channel is the feed's Redis channel. Pub/sub ignores the database, so
// the channel names it along with the namespace.
func (c *Changes) channel() string {
	return fmt.Sprintf("%sdb%d:customer-changed", c.store.prefix, c.store.db)
}

// Announce says customer userID changed, to every process following.
func (c *Changes) Announce(userID string) error {
	if c.store == nil {
		c.deliver(userID)
		return nil
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	return c.store.rdb.Publish(ctx, c.channel(), userID).Err()
}

// Follow calls fn for every customer announced until ctx ends. With
// Redis it subscribes once, in the background; go-redis resubscribes by
// itself after a lost connection.
func (c *Changes) Follow(ctx context.Context, fn func(userID string)) {
	c.mu.Lock()
	c.fns = append(c.fns, fn)
	first := len(c.fns) == 1
	c.mu.Unlock()
	if c.store == nil || !first {
		return
	}
	sub := c.store.rdb.Subscribe(ctx, c.channel())
	go func() {
		<-ctx.Done()
		sub.Close()
	}()
	go func() {
		for msg := range sub.Channel() {
			c.deliver(msg.Payload)
		}
	}()
}

func (c *Changes) deliver(userID string) {
	c.mu.Lock()
	fns := append([]func(string){}, c.fns...)
	c.mu.Unlock()
	for _, fn := range fns {
		fn(userID)
	}
}
