package logbatch_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/basiq-mcp/basiq-mcp/tools/logbatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counting records what reaches the destination and in how many writes.
type counting struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *counting) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func TestEveryLineArrivesInOrderInFewWrites(t *testing.T) {
	out := &counting{}
	w := logbatch.New(out, 5*time.Millisecond)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "g%d line %d\n", g, i)
			}
		})
	}
	wg.Wait()
	require.NoError(t, w.Close())
	fmt.Fprintf(w, "after close\n")

	got := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	require.Len(t, got, writers*lines+1, "nothing lost")
	next := map[string]int{}
	for _, l := range got[:len(got)-1] {
		var g string
		var i int
		_, err := fmt.Sscanf(l, "%s line %d", &g, &i)
		require.NoError(t, err, "a line is whole: %q", l)
		assert.Equal(t, next[g], i, "each writer's lines in order")
		next[g] = i + 1
	}
	assert.Equal(t, "after close", got[len(got)-1], "a line after Close is written straight through")
	assert.Less(t, out.writes, writers*lines/10, "lines are batched")
}

func TestALineWaitsAtMostTheDelay(t *testing.T) {
	out := &counting{}
	w := logbatch.New(out, 10*time.Millisecond)
	defer w.Close()
	fmt.Fprintln(w, "one")
	require.Eventually(t, func() bool {
		out.mu.Lock()
		defer out.mu.Unlock()
		return out.buf.String() == "one\n"
	}, 2*time.Second, time.Millisecond, "written without Close")
}

func TestForLogBatchesWhatIsNotATerminal(t *testing.T) {
	out := &counting{}
	w, flush := logbatch.ForLog(out, time.Hour)
	require.IsType(t, &logbatch.Writer{}, w, "a buffer is no terminal")
	fmt.Fprintln(w, "held")
	assert.Empty(t, out.buf.String(), "held until the delay or the flush")
	flush()
	assert.Equal(t, "held\n", out.buf.String())
	assert.False(t, logbatch.IsTerminal(out))
}
