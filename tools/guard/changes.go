package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// Changes carries "this customer changed" to every process of a
// deployment, so a client subscribed on one replica hears of an event
// another replica took up (Basiq posts a webhook to one of them, and one
// leads the event poll). With Redis it is a pub/sub channel in the
// deployment's namespace; with bbolt it is said in the process and written
// to the file, where the other processes on it look every second (see
// followFile). Delivery is best effort, as a notification is: a replica
// cut off from Redis misses what was said meanwhile, and its subscribers
// read the resource again when they next look.
type Changes struct {
	store  *RedisStore // nil: not Redis
	bolt   *BoltStore  // nil: not bbolt
	origin string      // this process, in the file's entries
	mu     sync.Mutex
	fns    []func(userID string)
}

// NewChanges returns the change feed of a deployment's store.
func NewChanges(s Store) *Changes {
	r, _ := s.(*RedisStore)
	b, _ := s.(*BoltStore)
	return &Changes{store: r, bolt: b, origin: newOrigin()}
}

func newOrigin() string {
	id := make([]byte, 8)
	rand.Read(id)
	return hex.EncodeToString(id)
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
		if c.bolt != nil {
			return c.bolt.appendChange(c.origin, userID, time.Now())
		}
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
	if !first {
		return
	}
	if c.bolt != nil {
		seq, _ := c.bolt.lastChange() // what was said before this process followed is not news
		go c.followFile(ctx, seq)
		return
	}
	if c.store == nil {
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
