package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// topology is a primary, its replica and three sentinels on loopback,
// each node a process the day can shut down and start again.
type topology struct {
	dir       string
	nodes     []int // the two redis-server ports; which is primary changes
	sentinels []int
	procs     map[int]*exec.Cmd
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startTopology(dir string) (*topology, error) {
	t := &topology{dir: dir, procs: map[int]*exec.Cmd{}}
	t.nodes = []int{freePort(), freePort()}
	if err := t.startNode(t.nodes[0], 0); err != nil {
		return nil, err
	}
	if err := t.startNode(t.nodes[1], t.nodes[0]); err != nil {
		return nil, err
	}
	for i := range 3 {
		port := freePort()
		conf := filepath.Join(dir, fmt.Sprintf("sentinel%d.conf", i))
		body := fmt.Sprintf("bind 127.0.0.1\nport %d\ndir %s\nsentinel monitor basiq 127.0.0.1 %d 2\nsentinel down-after-milliseconds basiq 1000\nsentinel failover-timeout basiq 5000\n", port, dir, t.nodes[0])
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			return nil, err
		}
		if err := t.run(port, "redis-sentinel", conf, "--logfile", filepath.Join(dir, fmt.Sprintf("sentinel%d.log", i))); err != nil {
			return nil, err
		}
		t.sentinels = append(t.sentinels, port)
	}
	return t, t.waitReplicated(30 * time.Second)
}

// startNode runs a redis-server on port, as a replica of primary when set.
func (t *topology) startNode(port, primary int) error {
	args := []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--save", "", "--appendonly", "no", "--dir", t.dir,
		"--logfile", filepath.Join(t.dir, fmt.Sprintf("redis%d.log", port))}
	if primary != 0 {
		args = append(args, "--replicaof", "127.0.0.1", fmt.Sprint(primary))
	}
	return t.run(port, "redis-server", args...)
}

func (t *topology) run(port int, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	t.procs[port] = cmd
	for range 50 {
		c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		err := c.Ping(context.Background()).Err()
		c.Close()
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s on %d did not answer", bin, port)
}

// url is the deployment's --state-url.
func (t *topology) url() string {
	var hosts []string
	for _, p := range t.sentinels {
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return "redis-sentinel://" + strings.Join(hosts, ",") + "/0?master=basiq"
}

// primary asks a sentinel which node is the primary now.
func (t *topology) primary() (int, error) {
	s := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", t.sentinels[0])})
	defer s.Close()
	addr, err := s.GetMasterAddrByName(context.Background(), "basiq").Result()
	if err != nil {
		return 0, err
	}
	var port int
	_, err = fmt.Sscan(addr[1], &port)
	return port, err
}

// restartPrimary shuts the primary down (SIGTERM: the process ends), waits
// for every sentinel to name the promoted replica, and starts the old node
// again as a replica of the new primary, as an operator's restart does. (A
// node without persistence that came back as an empty primary could be
// found by a client still following a sentinel that had not caught up: the
// server then finds the store emptied and, correctly, refuses keyed creates
// it cannot look up for a day. Redis' own documentation warns against
// restarting such a node as a primary.)
func (t *topology) restartPrimary(log func(string, ...any)) error {
	old, err := t.primary()
	if err != nil {
		return err
	}
	cmd := t.procs[old]
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	log("redis: primary %d stopped", old)
	deadline := time.Now().Add(30 * time.Second)
	var promoted int
	for promoted == 0 {
		if p, ok := t.agreedPrimary(); ok && p != old {
			promoted = p
			log("redis: every sentinel names %d the primary", promoted)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no failover within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := t.startNode(old, promoted); err != nil {
		return err
	}
	log("redis: %d started again, as a replica of %d", old, promoted)
	return t.waitReplicated(30 * time.Second)
}

// agreedPrimary is the primary every sentinel names, when they agree.
func (t *topology) agreedPrimary() (int, bool) {
	agreed := 0
	for _, port := range t.sentinels {
		s := redis.NewSentinelClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		addr, err := s.GetMasterAddrByName(context.Background(), "basiq").Result()
		s.Close()
		var p int
		if err != nil || len(addr) != 2 {
			return 0, false
		}
		if _, err := fmt.Sscan(addr[1], &p); err != nil || agreed != 0 && p != agreed {
			return 0, false
		}
		agreed = p
	}
	return agreed, agreed != 0
}

// waitReplicated waits until the primary has its replica online.
func (t *topology) waitReplicated(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if p, err := t.primary(); err == nil {
			c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", p)})
			info, err := c.Info(context.Background(), "replication").Result()
			c.Close()
			if err == nil && strings.Contains(info, "role:master") && strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online") {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the replica did not come online within %s", limit)
}

func (t *topology) stop() {
	for _, c := range t.procs {
		c.Process.Kill()
		c.Wait()
	}
}
