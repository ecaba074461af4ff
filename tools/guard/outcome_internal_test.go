package guard

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOutcomeLineAcrossAuditFiles: a done create's line begun in this
// process's audit file is written only if the file does not hold it; one
// begun in another file is left to that file's processes for
// LineOwnerGrace, then written by whoever settles it.
func TestOutcomeLineAcrossAuditFiles(t *testing.T) {
	dir := t.TempDir()
	audit, err := OpenAudit(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	defer audit.Close()
	store, err := OpenBolt(filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	now := time.Now()
	i := NewIdempotency(store, func() time.Time { return now })
	i.lines = audit
	require.NotEmpty(t, audit.id)

	put := func(key string, w *LineWriter) {
		rec := Record{ArgsHash: "h", State: StateDone, Result: json.RawMessage(`{"id":"u-1"}`), Created: now.Add(-time.Minute), Unaudited: true, Writer: w}
		require.NoError(t, store.PutRecord(Key("create_user")+"\x00"+key, rec, IdempotencyTTL))
	}
	writes := map[string]int{}
	outcome := func(key string) bool {
		wrote, err := i.Outcome("create_user", key, "k-"+key, func(json.RawMessage) {
			writes[key]++
			require.NoError(t, audit.Record(Entry{Tool: "create_user", Decision: "created", Attempt: "k-" + key}))
		})
		require.NoError(t, err)
		return wrote
	}

	put("appended", audit.lineWriter(now))
	require.NoError(t, audit.Record(Entry{Tool: "create_user", Decision: "created", Attempt: "k-appended"})) // then the kill
	put("not-appended", audit.lineWriter(now))
	put("elsewhere", &LineWriter{File: "f-another-replica", At: now})

	left, err := i.Abandoned()
	require.NoError(t, err)
	mine := map[string]bool{}
	for _, a := range left {
		mine[a.Key] = a.Mine
	}
	assert.Equal(t, map[string]bool{"appended": true, "not-appended": true, "elsewhere": false}, mine)

	assert.False(t, outcome("appended"), "found in the file: marked, not written")
	assert.True(t, outcome("not-appended"))
	assert.False(t, outcome("elsewhere"), "left to the other file's processes")
	now = now.Add(LineOwnerGrace + time.Second)
	assert.True(t, outcome("elsewhere"), "after the grace, the deployment writes it")
	for _, key := range []string{"appended", "not-appended", "elsewhere"} {
		assert.False(t, outcome(key), "written once")
	}
	assert.Equal(t, map[string]int{"not-appended": 1, "elsewhere": 1}, writes)
	left, err = i.Abandoned()
	require.NoError(t, err)
	assert.Empty(t, left)
}

// TestALineHeldOffIsOwedNotDropped: a create's own call finds its key's
// lease held elsewhere (a retry through another replica, which leaves a
// line begun in another file alone) when it comes to write the line. The
// create stays among Unwritten until its process writes it; a line adopted
// at start from the same file is owed the same way.
func TestALineHeldOffIsOwedNotDropped(t *testing.T) {
	dir := t.TempDir()
	store, err := OpenBolt(filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	replica := func(name string) *Idempotency {
		audit, err := OpenAudit(filepath.Join(dir, name, "audit.jsonl"))
		require.NoError(t, err)
		t.Cleanup(func() { audit.Close() })
		i := NewIdempotency(store, nil)
		i.lines = audit
		return i
	}
	a, b := replica("a"), replica("b")
	_, _, err = a.Do("create_user", "k1", map[string]string{"email": "x@y.z"}, func() (any, error) { return map[string]string{"id": "u-1"}, nil }, nil)
	require.NoError(t, err)
	require.Len(t, a.Unwritten(), 1)
	id := Key("create_user") + "\x00k1"

	stop, held := b.takeOver(id)
	require.True(t, held)
	wrote, err := a.Outcome("create_user", "k1", "k-1", func(json.RawMessage) { t.Fatal("the lease is held elsewhere") })
	require.NoError(t, err)
	assert.False(t, wrote)
	stop()
	wrote, err = b.Outcome("create_user", "k1", "k-1", func(json.RawMessage) { t.Fatal("begun in a's file: left to a") })
	require.NoError(t, err)
	assert.False(t, wrote)

	owed := a.Unwritten()
	require.Len(t, owed, 1, "still owed by a")
	assert.Equal(t, "k1", owed[0].Key)
	require.NoError(t, b.AdoptOwnLines())
	assert.Empty(t, b.Unwritten(), "not b's file")
	again := replica("a") // a restarted on its volume adopts it too
	require.NoError(t, again.AdoptOwnLines())
	require.Len(t, again.Unwritten(), 1)

	wrote, err = a.Outcome("create_user", "k1", "k-1", func(json.RawMessage) {})
	require.NoError(t, err)
	assert.True(t, wrote)
	assert.Empty(t, a.Unwritten())
	wrote, err = again.Outcome("create_user", "k1", "k-1", func(json.RawMessage) { t.Fatal("written already") })
	require.NoError(t, err)
	assert.False(t, wrote)
	assert.Empty(t, again.Unwritten())
}
