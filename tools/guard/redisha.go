package guard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisClient connects to what a --state-url names: one Redis
// (redis://HOST:PORT/DB), or a primary found through Sentinel, either as
// redis-sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT/DB?master=NAME or in
// go-redis's failover form (redis://HOST:PORT/DB?master_name=NAME&addr=…).
// A host list that cannot be read is refused at start.
func redisClient(raw string) (redis.UniversalClient, int, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case u.Scheme == "redis-cluster" || u.Scheme == "rediss-cluster":
		opt, err := clusterOptions(u)
		if err != nil {
			return nil, 0, err
		}
		return redis.NewClusterClient(opt), 0, nil
	case u.Scheme == "redis-sentinel":
		opt, err := sentinelOptions(u)
		if err != nil {
			return nil, 0, err
		}
		return redis.NewFailoverClient(opt), opt.DB, nil
	case u.Query().Has("master_name"):
		// (a failover URL: see OpenRedis, which expects replicas for both)
		opt, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, 0, err
		}
		tune(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.MaxRetries)
		return redis.NewFailoverClient(opt), opt.DB, nil
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, 0, err
	}
	tune(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.MaxRetries)
	return redis.NewClient(opt), opt.DB, nil
}

// clusterOptions reads a redis-cluster:// URL: the seed nodes, a
// password, no database (a Cluster has only database 0).
func clusterOptions(u *url.URL) (*redis.ClusterOptions, error) {
	addrs, err := hostList(u.Host, "cluster node")
	if err != nil {
		return nil, err
	}
	if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
		return nil, fmt.Errorf("a Redis Cluster has only database 0, not %q", p)
	}
	opt := &redis.ClusterOptions{Addrs: addrs}
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	if u.Scheme == "rediss-cluster" {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tune(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.MaxRetries)
	return opt, nil
}

// hostList reads HOST:PORT,HOST:PORT; what names a host is refused.
func hostList(hosts, what string) ([]string, error) {
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		host, port, err := net.SplitHostPort(h)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || host == "" || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%s address %q is not HOST:PORT", what, h)
		}
		addrs = append(addrs, h)
	}
	return addrs, nil
}

// sentinelOptions reads a redis-sentinel:// URL.
func sentinelOptions(u *url.URL) (*redis.FailoverOptions, error) {
	master := u.Query().Get("master")
	if master == "" {
		return nil, errors.New("a redis-sentinel:// URL names its primary with ?master=NAME")
	}
	addrs, err := hostList(u.Host, "sentinel")
	if err != nil {
		return nil, err
	}
	db := 0
	if p := strings.Trim(u.Path, "/"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("database %q is not a number", p)
		}
		db = n
	}
	opt := &redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs, DB: db}
	if u.User != nil {
		opt.Password, _ = u.User.Password()
	}
	tune(&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.MaxRetries)
	return opt, nil
}

// tune gives every connection the store's bounds: a store that does not
// answer stops the write rather than hang it.
func tune(dial, read, write *time.Duration, retries *int) {
	*dial, *read, *write, *retries = 500*time.Millisecond, 2*time.Second, 2*time.Second, 1
}

// replicaWait bounds how long a write that makes something single-use or
// claimed waits for a replica to have it.
const replicaWait = time.Second

// replicas says whether the deployment's Redis has replicas: always
// under Sentinel, and for one Redis once INFO (read at most once a minute)
// has shown one. It is a property of the deployment, not of the moment: a
// replica cut off is when a write must wait for it most.
type replicas struct {
	mu       sync.Mutex
	expected bool
	readAt   time.Time
}

// durable waits, where the deployment's Redis has replicas, until one has
// the writes made so far on this connection (WAIT), so that a failover
// cannot lose a used confirmation, a claim or a spent budget and reopen it.
// No replica acknowledging in time stops the write (fail closed): it could
// be lost in a failover.
func (s *RedisStore) durable(ctx context.Context) error {
	if !s.expectReplica(ctx) {
		return nil
	}
	n, err := s.primary(ctx).Do(ctx, "WAIT", 1, replicaWait.Milliseconds()).Int()
	if err != nil {
		return storeDown(err)
	}
	if n < 1 {
		return storeDown(fmt.Errorf("no Redis replica acknowledged the write within %s, so a failover could lose it", replicaWait))
	}
	return nil
}

func (s *RedisStore) expectReplica(ctx context.Context) bool {
	s.reps.mu.Lock()
	defer s.reps.mu.Unlock()
	if s.reps.expected || !s.reps.readAt.IsZero() && time.Since(s.reps.readAt) < time.Minute {
		return s.reps.expected
	}
	info, err := s.primary(ctx).Info(ctx, "replication").Result()
	if err != nil {
		return false
	}
	s.reps.readAt = time.Now()
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_slaves:"); ok {
			n, _ := strconv.Atoi(v)
			s.reps.expected = n > 0
		}
	}
	return s.reps.expected
}

// nodeCmds are the commands run on the primary itself.
type nodeCmds interface {
	Do(ctx context.Context, args ...any) *redis.Cmd
	Info(ctx context.Context, sections ...string) *redis.StringCmd
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd
}

// primary is where the deployment's keys are written: the one Redis, or on
// a Cluster the primary of the namespace's hash slot (a keyless command
// such as WAIT would otherwise go to any node).
func (s *RedisStore) primary(ctx context.Context) nodeCmds {
	if s.cluster == nil {
		return s.rdb
	}
	node, err := s.cluster.MasterForKey(ctx, s.prefix)
	if err != nil {
		return s.rdb // its error comes back from the command itself
	}
	return node
}
