package guard

import (
	"path/filepath"
	"testing"
	"time"
)

// TestARepeatDecidesOnTheRecordAsItIsNow: a repeat that read the first
// call's claim as pending, and takes the key's lease only after the first
// call finished and let it go, replays what the first call made; sending
// on what it read first made a second customer (found on three replicas
// under load in CI).
func TestARepeatDecidesOnTheRecordAsItIsNow(t *testing.T) {
	store, err := OpenBolt(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	i := NewIdempotency(store, nil)
	id := Key("create_user") + "\x00k1"
	stale := Record{ArgsHash: "h", State: StatePending, Created: time.Now()}
	done := Record{ArgsHash: "h", State: StateDone, Result: []byte(`{"id":"u-first"}`), Created: stale.Created}
	if err := store.PutRecord(id, done, IdempotencyTTL); err != nil {
		t.Fatal(err)
	}
	sent := 0
	create := func() (any, error) { sent++; return map[string]string{"id": "u-second"}, nil }
	raw, replayed, err := i.repeat(id, "k1", "h", stale, create, nil)
	if err != nil || !replayed || string(raw) != `{"id":"u-first"}` || sent != 0 {
		t.Fatalf("replayed %v %s, sent %d times, err %v: want the first call's result and nothing sent", replayed, raw, sent, err)
	}
}
