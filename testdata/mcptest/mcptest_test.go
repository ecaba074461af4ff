package mcptest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDiffNamesEachChangedItem(t *testing.T) {
	want := []byte(`[{"name":"a","x":1},{"name":"b","x":2},{"name":"c"}]`)
	got := []byte(`[{"name":"a","x":1},{"name":"b","x":3},{"name":"d"}]`)
	d := diffNamed(want, got)
	assert.Contains(t, d, "changed: b")
	assert.Contains(t, d, "removed: c")
	assert.Contains(t, d, "added: d")
	assert.NotContains(t, d, "changed: a")
	assert.Empty(t, diffNamed(want, want))
	assert.NotEmpty(t, diffNamed([]byte(`{"a":1}`), []byte(`{"a":2}`)))
}
