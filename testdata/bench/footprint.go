package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// footprint is one server's memory, measured beside others: RSS in KiB
// idle (total and anonymous), with n sessions open, and with them still
// open after busyClients called its tool; busyCPU is its CPU per call
// meanwhile.
type footprint struct {
	argv []string
	call *toolCall // nil: no calls, busy and busyCPU stay zero

	idle, anon, open, busy int
	busyCPU                time.Duration

	srv   *server
	ids   []string
	calls []*leanHTTP
	cpu   time.Duration
	done  int
}

// busyClients is how many clients call a tool while the sessions are
// open: enough to make garbage at the rate a busy replica does.
const busyClients = 16

// busyTurns is how many turns each server's clients take.
const busyTurns = 3

// measureFootprints starts every server on HTTP and fills in its
// footprint. They run together: each is read idle, then with n sessions
// open, then its clients call in turns with the others' (busy in all,
// busyTurns turns each, the order rotating), so drift on a shared
// machine lands on every server alike.
func measureFootprints(fs []*footprint, env []string, n int, busy time.Duration) error {
	for _, f := range fs {
		evict(f.argv[0])
	}
	for _, f := range fs {
		srv, err := startServing(f.argv, env)
		if err != nil {
			return err
		}
		f.srv = srv
		defer srv.stop()
	}
	time.Sleep(2 * time.Second) // idle: past start (basiq-mcp hands the start's garbage back after a second)
	for _, f := range fs {
		f.idle, f.anon = rss(f.srv.cmd.Process.Pid), anonRSS(f.srv.cmd.Process.Pid)
	}
	for _, f := range fs {
		if err := f.openAll(n); err != nil {
			return err
		}
		defer func() {
			for _, s := range f.calls {
				s.close()
			}
			closeSessions(f.srv.url, f.ids)
		}()
	}
	for round := range busyTurns {
		for i := range fs {
			if f := fs[(i+round)%len(fs)]; f.call != nil {
				if err := f.turn(busy / busyTurns); err != nil {
					return err
				}
			}
		}
	}
	for _, f := range fs {
		if f.call != nil {
			f.busy, f.busyCPU = rss(f.srv.cmd.Process.Pid), f.cpu/time.Duration(f.done)
		}
	}
	return nil
}

// evict drops bin's pages from the page cache (posix_fadvise DONTNEED),
// so that every server measured idle starts from its file on disk. The
// kernel maps a run of pages around each one a process touches, and how
// many depends on how the file sits in the cache: basiq-mcp's binary,
// after a full bench run had started it many times, idled at 29.7 MiB,
// and at 26.1 MiB once evicted, where a binary built a moment before
// idled at 26.5. Nothing is reported when it fails: the figures are then
// as the cache has them.
func evict(bin string) {
	if path, err := exec.LookPath(bin); err == nil {
		bin = path
	}
	f, err := os.Open(bin)
	if err != nil {
		return
	}
	defer f.Close()
	const dontNeed = 4 // POSIX_FADV_DONTNEED
	syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, dontNeed, 0, 0)
}

// openAll opens n sessions and reads the RSS with them open, then opens
// the sessions its clients will call in.
func (f *footprint) openAll(n int) error {
	ids, err := openSessions(f.srv.url, n)
	if err != nil {
		return err
	}
	f.ids = ids
	time.Sleep(300 * time.Millisecond)
	f.open = rss(f.srv.cmd.Process.Pid)
	if f.call == nil {
		return nil
	}
	hc := newHTTPClient(busyClients)
	for range busyClients {
		s, err := openLeanHTTP(hc, f.srv.url)
		if err != nil {
			return err
		}
		f.calls = append(f.calls, s)
	}
	return nil
}

// turn has the clients call the tool for window, adding up the server's
// CPU and the calls; every call must succeed.
func (f *footprint) turn(window time.Duration) error {
	body := callBody(1, f.call.tool, f.call.args)
	pid := f.srv.cmd.Process.Pid
	before := cpuTime(pid)
	lat, bad := spin(busyClients, window, func(w int) error { return f.calls[w].call(body) }, true)
	f.cpu += cpuTime(pid) - before
	f.done += len(lat)
	if bad > 0 || len(lat) == 0 {
		return fmt.Errorf("%s: %d of %d calls of %s failed", f.argv[0], bad, len(lat), f.call.tool)
	}
	return nil
}
