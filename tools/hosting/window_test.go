package hosting_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/basiq-mcp/basiq-mcp/testdata/mcptest"
	"github.com/basiq-mcp/basiq-mcp/tools/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLineAppendedBeforeAKillIsNotWrittenAgain: a process appends a keyed
// create's "created" line and is killed before it marks the record
// audited (the state is put back as such a kill leaves it). The process
// started next on the same state directory reads its audit file back, finds
// the line there, and only marks it written: at start, without a retry
// and without the deployment's settler lease (the dead process still holds
// it for 20 s; the test waits 12), and a late retry replays without writing it again. The audit holds
// one "created" line for the one customer Basiq made.
func TestLineAppendedBeforeAKillIsNotWrittenAgain(t *testing.T) {
	t.Parallel()
	sim := basiqtest.NewServer(basiqtest.WithAPIKey("window-key"), basiqtest.WithTimeScale(0.01))
	t.Cleanup(sim.Close)
	dir := t.TempDir()
	env := sandboxEnv("BASIQ_API_KEY=window-key", "BASIQ_BASE_URL="+sim.URL)
	flags := []string{"--transport", "http", "--state-dir", dir, "--index-share", "0", "--events-poll", "0", "--background-delay", "0s"}
	first, proc := mcptest.StartProcess(t, binary, env, flags...)
	args := map[string]any{"email": "window@example.com", "first_name": "Window", "idempotency_key": "window-key-1"}
	res, txt := call(t, first, "create_user", args)
	require.NotEqual(t, true, res["isError"], txt)
	require.NoError(t, proc.Kill())

	audit, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	at := bytes.Index(audit, []byte(`"decision":"created"`))
	require.Positive(t, at)
	lineStart := int64(bytes.LastIndexByte(audit[:at], '\n') + 1)
	fileID, err := os.ReadFile(filepath.Join(dir, "audit.jsonl.id"))
	require.NoError(t, err)
	unmarkRecord(t, filepath.Join(dir, "state.db"), guard.LineWriter{File: strings.TrimSpace(string(fileID)), From: lineStart, At: time.Now().Add(-time.Minute)})

	second := mcptest.StartServer(t, binary, env, flags...)
	require.Eventually(t, func() bool { return recordAudited(t, filepath.Join(dir, "state.db")) }, 12*time.Second, 200*time.Millisecond,
		"the new process finds the line in its file and marks it written")
	res, txt = call(t, second, "create_user", args)
	require.NotEqual(t, true, res["isError"], txt)
	var decisions []string
	for _, e := range auditOf(t, dir) {
		if e.Tool == "create_user" {
			decisions = append(decisions, e.Decision)
		}
	}
	assert.Equal(t, []string{"attempt", "created", "replayed"}, decisions, "the line is in the audit once")
	assert.Len(t, sim.UsersWithEmail("window@example.com"), 1)
}

// unmarkRecord puts the one create_user record back as a process killed
// between appending its line and marking it leaves it, claimed a minute
// before.
func unmarkRecord(t *testing.T, path string, w guard.LineWriter) {
	t.Helper()
	store, err := guard.OpenBolt(path)
	require.NoError(t, err)
	defer store.Close()
	recs := map[string]guard.Record{}
	require.NoError(t, store.ScanRecords("create_user\x00", func(key string, rec guard.Record) bool {
		recs[key] = rec
		return true
	}))
	require.Len(t, recs, 1)
	for key, rec := range recs {
		require.Equal(t, guard.StateDone, rec.State)
		rec.Unaudited, rec.Writer = true, &w
		rec.Created = rec.Created.Add(-time.Minute) // the process comes back a minute later
		require.NoError(t, store.PutRecord(key, rec, guard.IdempotencyTTL))
	}
}

// recordAudited reports whether the create_user record is marked written.
func recordAudited(t *testing.T, path string) bool {
	store, err := guard.OpenBolt(path)
	require.NoError(t, err)
	defer store.Close()
	audited := false
	require.NoError(t, store.ScanRecords("create_user\x00", func(_ string, rec guard.Record) bool {
		audited = !rec.Unaudited
		return true
	}))
	return audited
}
