package guard

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteRedisLogs sends go-redis's own log lines (reconnects, pool
// warnings) through logger, as warnings with the text in "redis", instead
// of unstructured lines on stderr outside it.
func RouteRedisLogs(logger *slog.Logger) {
	if logger != nil {
		redis.SetLogger(redisLog{logger})
	}
}

type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "redis", fmt.Sprintf(format, v...))
}
