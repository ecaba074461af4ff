package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The lean driver speaks MCP with plain HTTP requests and newline-delimited
// JSON on pipes, built once per session, so the driver's own cost stays
// small beside the server's: a full SDK client took about 43% of a 2-core
// machine and measured itself as much as the server.

// initializeBody is an initialize request with the given id.
func initializeBody(id int) []byte {
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`, id)
}

const initializedBody = `{"jsonrpc":"2.0","method":"notifications/initialized"}`

// callBody is a tools/call request with the given id.
func callBody(id int, tool string, args map[string]any) []byte {
	a, _ := json.Marshal(args)
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, a)
}

// answered reports whether a response is a successful tool result.
func answered(b []byte) bool {
	return bytes.Contains(b, []byte(`"result"`)) && !bytes.Contains(b, []byte(`"isError":true`))
}

// leanHTTP is one streamable HTTP session.
type leanHTTP struct {
	hc      *http.Client
	url, id string
}

// newHTTPClient keeps one connection per session alive.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

func openLeanHTTP(hc *http.Client, url string) (*leanHTTP, error) {
	s := &leanHTTP{hc: hc, url: url}
	status, h, body, err := s.post(initializeBody(0))
	if err != nil || status != 200 || !bytes.Contains(body, []byte(`"result"`)) {
		return nil, fmt.Errorf("initialize at %s: %d %q %v", url, status, body, err)
	}
	s.id = h.Get("Mcp-Session-Id")
	if status, _, _, err = s.post([]byte(initializedBody)); err != nil || status/100 != 2 {
		return nil, fmt.Errorf("initialized at %s: %d %v", url, status, err)
	}
	return s, nil
}

func (s *leanHTTP) post(body []byte) (int, http.Header, []byte, error) {
	req, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// call sends one prepared tools/call and checks the answer.
func (s *leanHTTP) call(body []byte) error {
	status, _, b, err := s.post(body)
	if err == nil && (status != 200 || !answered(b)) {
		err = fmt.Errorf("HTTP %d: %.200s", status, b)
	}
	return err
}

func (s *leanHTTP) close() {
	req, _ := http.NewRequest(http.MethodDelete, s.url, nil)
	req.Header.Set("Mcp-Session-Id", s.id)
	if resp, err := s.hc.Do(req); err == nil {
		resp.Body.Close()
	}
}

// leanStdio is one stdio server process, with requests in flight matched
// to their responses by id (a server may also send notifications).
type leanStdio struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	writeMu sync.Mutex
	mu      sync.Mutex
	waiting map[int]chan []byte
	next    int
}

func startLeanStdio(cmd *exec.Cmd) (*leanStdio, error) {
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &leanStdio{cmd: cmd, in: in, waiting: map[int]chan []byte{}}
	go s.read(bufio.NewReaderSize(out, 1<<20))
	if b, err := s.roundTrip(initializeBody); err != nil || !bytes.Contains(b, []byte(`"result"`)) {
		s.stop()
		return nil, fmt.Errorf("initialize over stdio: %q %v", b, err)
	}
	s.send([]byte(initializedBody))
	return s, nil
}

func (s *leanStdio) read(r *bufio.Reader) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			s.mu.Lock()
			for id, ch := range s.waiting {
				close(ch)
				delete(s.waiting, id)
			}
			s.mu.Unlock()
			return
		}
		var head struct {
			ID *int `json:"id"`
		}
		if !bytes.Contains(line, []byte(`"id":`)) || json.Unmarshal(line, &head) != nil || head.ID == nil {
			continue // a notification
		}
		s.mu.Lock()
		ch := s.waiting[*head.ID]
		delete(s.waiting, *head.ID)
		s.mu.Unlock()
		if ch != nil {
			ch <- line
		}
	}
}

func (s *leanStdio) send(b []byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.in.Write(append(b, '\n'))
	return err
}

// roundTrip sends the request body builds for a fresh id and waits for its
// response.
func (s *leanStdio) roundTrip(build func(id int) []byte) ([]byte, error) {
	ch := make(chan []byte, 1)
	s.mu.Lock()
	s.next++
	id := s.next
	s.waiting[id] = ch
	s.mu.Unlock()
	if err := s.send(build(id)); err != nil {
		return nil, err
	}
	select {
	case b, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("the server closed stdout")
		}
		return b, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("no response to request %d in 30 s", id)
	}
}

func (s *leanStdio) call(tool string, args map[string]any) error {
	b, err := s.roundTrip(func(id int) []byte { return callBody(id, tool, args) })
	if err == nil && !answered(b) {
		err = fmt.Errorf("%.200s", b)
	}
	return err
}

func (s *leanStdio) stop() {
	s.in.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// cpuTime is a process's user and system CPU so far, all threads included,
// from /proc (clock ticks of 10 ms: each figure spans seconds of CPU).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, _ := bytes.Cut(b, []byte(") ")) // the command name may hold spaces
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
