package guard

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// With bbolt, several processes share one file (editor windows each
// running a stdio server, one of which leads the event poll), so a change
// is written to the file as well as said in the process: the others look
// for new entries every second, and only when the file changed.

var bucketChanges = []byte("changes")

// changeKeep is how long a change stays in the file: long past the
// second a follower takes to look.
const changeKeep = time.Minute

// changeLook is how often a follower looks at the file.
const changeLook = time.Second

type changeEntry struct {
	Origin string `json:"o"` // the process that announced it
	User   string `json:"u"`
	At     int64  `json:"t"`
}

// appendChange writes one change and drops those older than changeKeep.
func (s *BoltStore) appendChange(origin, userID string, now time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketChanges)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var e changeEntry
			if json.Unmarshal(v, &e) == nil && now.Sub(time.Unix(0, e.At)) < changeKeep {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		raw, err := json.Marshal(changeEntry{Origin: origin, User: userID, At: now.UnixNano()})
		if err != nil {
			return err
		}
		return b.Put(seqKey(seq), raw)
	})
}

// changesAfter calls fn with each change written after seq, in order, and
// returns the last seq seen.
func (s *BoltStore) changesAfter(seq uint64, fn func(changeEntry)) (uint64, error) {
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketChanges)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(seq + 1)); k != nil; k, v = c.Next() {
			seq = binary.BigEndian.Uint64(k)
			var e changeEntry
			if json.Unmarshal(v, &e) == nil {
				fn(e)
			}
		}
		return nil
	})
	return seq, err
}

// lastChange is the newest change's seq (0: none yet).
func (s *BoltStore) lastChange() (uint64, error) {
	var seq uint64
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketChanges); b != nil {
			if k, _ := b.Cursor().Last(); k != nil {
				seq = binary.BigEndian.Uint64(k)
			}
		}
		return nil
	})
	return seq, err
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// followFile looks for other processes' changes after seq every
// changeLook until ctx ends, opening the file only when its size or time
// moved.
func (c *Changes) followFile(ctx context.Context, seq uint64) {
	var size int64
	var mod time.Time
	t := time.NewTicker(changeLook)
	defer t.Stop()
	for look := 1; ; look++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Every tenth look opens the file anyway: two writes within one
		// tick of the file system's clock leave the same time.
		st, err := os.Stat(c.bolt.path)
		if err != nil || st.Size() == size && st.ModTime().Equal(mod) && look%10 != 0 {
			continue
		}
		next, err := c.bolt.changesAfter(seq, func(e changeEntry) {
			if e.Origin != c.origin {
				c.deliver(e.User)
			}
		})
		if err == nil {
			seq, size, mod = next, st.Size(), st.ModTime()
		}
	}
}
