package guard

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRedisLogsGoThroughOurLogger: a line go-redis prints comes out as
// our structured warning, the text in its own field.
func TestRedisLogsGoThroughOurLogger(t *testing.T) {
	var buf bytes.Buffer
	redisLog{slog.New(slog.NewJSONHandler(&buf, nil))}.Printf(context.Background(), "redis: %s reconnecting", "pubsub")
	assert.Contains(t, buf.String(), `"level":"WARN"`)
	assert.Contains(t, buf.String(), `"msg":"redis client","redis":"redis: pubsub reconnecting"`)
}
