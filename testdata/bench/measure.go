package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/basiq-mcp/basiq-mcp/basiq/basiqtest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1000) }

// server is a running basiq-mcp (or peer) process.
type server struct {
	cmd *exec.Cmd
	url string
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

var listening = regexp.MustCompile(`listening .*url=(http://127\.0\.0\.1:\d+)`)

func startHTTP(bin string, env []string) (*server, error) {
	return startServing([]string{bin, "--transport", "http", "--addr", "127.0.0.1:0"}, env)
}

func connect(ctx context.Context, c *client.Client) error {
	if err := c.Start(ctx); err != nil {
		return err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = "2025-11-25"
	init.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
	_, err := c.Initialize(ctx, init)
	return err
}

// stdioClient starts the binary as a stdio MCP server and initializes it.
func stdioClient(ctx context.Context, bin string, env []string) (*client.Client, error) {
	c, err := client.NewStdioMCPClient(bin, env)
	if err != nil {
		return nil, err
	}
	if err := connect(ctx, c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func call(ctx context.Context, c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err == nil && res.IsError {
		err = fmt.Errorf("%s: %v", name, res.Content)
	}
	return res, err
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }

// firstResponse starts a stdio server and times process start to the
// initialize response.
func firstResponse(name string, args, env []string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = dieWithDriver()
	cmd.Env = env
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`+"\n")
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, `"result"`) {
		return 0, fmt.Errorf("%s: no initialize result: %q %v", name, line, err)
	}
	return time.Since(t), nil
}

func coldStart(c config, env []string) error {
	var ours, peer []time.Duration
	for range c.starts {
		d, err := firstResponse(c.bin, nil, env)
		if err != nil {
			return err
		}
		ours = append(ours, d)
		if c.peer != "" {
			d, err := firstResponse("node", []string{c.peer, "stdio"}, os.Environ())
			if err != nil {
				return err
			}
			peer = append(peer, d)
		}
	}
	fmt.Printf("## Cold start (process start to the initialize response over stdio, median of %d)\n\n| basiq-mcp | TypeScript reference server | ratio |\n|---|---|---|\n", c.starts)
	if c.peer != "" {
		fmt.Printf("| %s | %s | %.2f× |\n\n", us(pct(ours, .5)), us(pct(peer, .5)), ratio(pct(ours, .5), pct(peer, .5)))
	} else {
		fmt.Printf("| %s | – | – |\n\n", us(pct(ours, .5)))
	}
	return nil
}

// rss is a process's resident set, KiB.
func rss(pid int) int { return status(pid, "VmRSS:") }

// anonRSS is the anonymous part of a process's resident set, KiB: what it
// allocated, not the binary's and libraries' pages mapped from the file.
func anonRSS(pid int) int { return status(pid, "RssAnon:") }

// status reads one KiB figure from /proc/PID/status.
func status(pid int, field string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			var kb int
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb
		}
	}
	return 0
}

// openSessions initializes n sessions with plain HTTP and returns their ids.
func openSessions(url string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for range n {
		req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ids = append(ids, resp.Header.Get("Mcp-Session-Id"))
	}
	return ids, nil
}

func closeSessions(url string, ids []string) {
	for _, id := range ids {
		req, _ := http.NewRequest("DELETE", url, nil)
		req.Header.Set("Mcp-Session-Id", id)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

func memory(ctx context.Context, c config, env []string) error {
	srv, err := startHTTP(c.bin, env)
	if err != nil {
		return err
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	time.Sleep(200 * time.Millisecond)
	idle := rss(pid)
	rows := []string{fmt.Sprintf("| idle | %d |", idle/1024)}
	for round := 1; round <= 2; round++ {
		ids, err := openSessions(srv.url, c.roundSessions)
		if err != nil {
			return err
		}
		open := rss(pid)
		closeSessions(srv.url, ids)
		time.Sleep(300 * time.Millisecond)
		rows = append(rows, fmt.Sprintf("| %d sessions open (round %d) | %d |", c.roundSessions, round, open/1024),
			fmt.Sprintf("| after closing them (round %d) | %d |", round, rss(pid)/1024))
	}
	fmt.Printf("## Memory (RSS of the HTTP server, MiB)\n\n| state | RSS |\n|---|---|\n%s\n\n", strings.Join(rows, "\n"))
	return nil
}

func economy(ctx context.Context, c config, env []string, sim *basiqtest.Server, conn basiqtest.SeededConnection) error {
	stdio, err := stdioClient(ctx, c.bin, env)
	if err != nil {
		return err
	}
	defer stdio.Close()
	tools, listBytes, each, err := wireToolsListed(c.bin, env)
	if err != nil {
		return err
	}
	allTools, allBytes, err := wireToolsList(c.bin, env, "--allow-destructive")
	if err != nil {
		return err
	}
	res, err := call(ctx, stdio, "list_transactions", map[string]any{"user_id": conn.UserID, "limit": 100})
	if err != nil {
		return err
	}
	ours := len(res.Content[0].(mcp.TextContent).Text)
	raw, err := rawTransactions(sim.URL, conn.UserID)
	if err != nil {
		return err
	}
	fmt.Printf("## Bytes a model reads (≈ tokens: bytes/4)\n\n| what | bytes | ≈ tokens | note |\n|---|---|---|---|\n")
	fmt.Printf("| tools/list, every tool of the default configuration (%d) | %d | %d | the result as sent on stdio; goal: at most 20,000 bytes |\n", tools, listBytes, listBytes/4)
	fmt.Printf("| tools/list, --allow-destructive (%d) | %d | %d | the purge and delete tools added |\n", allTools, allBytes, allBytes/4)
	fmt.Printf("| list_transactions, 100 rows | %d | %d | %.0f%% of Basiq's raw JSON for the same page (%d bytes); goal: at most 30%% |\n\n",
		ours, ours/4, 100*float64(ours)/float64(raw), raw)
	fmt.Printf("Bytes per tool in that list:\n\n| tool | bytes |\n|---|---|\n")
	for _, tb := range each {
		fmt.Printf("| %s | %d |\n", tb.name, tb.bytes)
	}
	fmt.Println()
	return nil
}

// wireToolsList sends tools/list over stdio and measures the result as
// sent: the bytes a client hands the model.
func wireToolsList(bin string, env []string, args ...string) (tools, size int, err error) {
	n, size, _, err := wireToolsListed(bin, env, args...)
	return n, size, err
}

// toolBytes is one tool's share of tools/list.
type toolBytes struct {
	name  string
	bytes int
}

// wireToolsListed lists the tools over stdio and measures the result as
// sent, and each tool's own bytes.
func wireToolsListed(bin string, env []string, args ...string) (tools, size int, each []toolBytes, err error) {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = dieWithDriver()
	cmd.Env = env
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return 0, 0, nil, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`+"\n"+
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
	r := bufio.NewReaderSize(stdout, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return 0, 0, nil, err
		}
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal(line, &msg) == nil && msg.ID == 2 {
			var res struct{ Tools []json.RawMessage }
			json.Unmarshal(msg.Result, &res)
			for _, t := range res.Tools {
				var named struct{ Name string }
				json.Unmarshal(t, &named)
				each = append(each, toolBytes{named.Name, len(t)})
			}
			return len(res.Tools), len(msg.Result), each, nil
		}
	}
}

// rawTransactions fetches the same page straight from the simulator.
func rawTransactions(simURL, userID string) (int, error) {
	form := strings.NewReader("scope=SERVER_ACCESS")
	req, _ := http.NewRequest("POST", simURL+"/token", form)
	req.Header.Set("Authorization", "Basic bench")
	req.Header.Set("basiq-version", "3.0")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ = http.NewRequest("GET", simURL+"/users/"+userID+"/transactions?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return len(b), err
}

// upstream counts, at the simulator, what tool calls cost Basiq.
func upstream(ctx context.Context, c config, env []string, sim *basiqtest.Server) error {
	srv, err := startHTTP(c.bin, env) // a fresh process: no token yet
	if err != nil {
		return err
	}
	defer srv.stop()
	users := sim.Connections()
	tokens, connectors := sim.Calls("POST /token"), sim.Calls("GET /connectors")
	const sessions, perSession = 50, 20
	clients := make([]*client.Client, sessions)
	for i := range clients {
		if clients[i], err = client.NewStreamableHttpClient(srv.url, transport.WithHTTPTimeout(30*time.Second)); err != nil {
			return err
		}
		if err := connect(ctx, clients[i]); err != nil {
			return err
		}
		defer clients[i].Close()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for i, cl := range clients {
		for j := range perSession {
			wg.Go(func() {
				u := users[(i*perSession+j)%len(users)].UserID
				if _, err := call(ctx, cl, "get_user", map[string]any{"user_id": u}); err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	tokenRequests := sim.Calls("POST /token") - tokens
	for range 100 {
		if _, err := call(ctx, clients[0], "check_connector_status", map[string]any{"connector_id": "AU00000"}); err != nil {
			return err
		}
	}
	connectorRequests := sim.Calls("GET /connectors") - connectors
	fmt.Printf("## Calls that reach Basiq\n\n| what | reached Basiq | note |\n|---|---|---|\n")
	fmt.Printf("| %d concurrent get_user calls on a cold start | %d token request(s) | %d failed; goal: exactly 1 token request |\n", sessions*perSession, tokenRequests, failures)
	fmt.Printf("| 100 check_connector_status calls for one institution | %d connector lookup(s) | the rest served from the 1-minute cache |\n", connectorRequests)
	if failures > 0 || tokenRequests != 1 {
		return fmt.Errorf("upstream economy broken: %d failures, %d token requests", failures, tokenRequests)
	}
	return nil
}
