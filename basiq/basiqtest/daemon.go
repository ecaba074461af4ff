package basiqtest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Start serves a simulator on a free loopback port until stop is called.
func Start(opts ...Option) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: New(opts...), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// Shared returns the URL of the sandbox simulator kept for dir, starting
// one when none answers: exe (basiq-mcp) runs "simulator --idle-exit idle"
// in its own session, so that one basiq-mcp call after another sees the
// same users and connections. It stops by itself after idle without a
// request.
func Shared(dir, exe string, idle time.Duration) (string, error) {
	file := filepath.Join(dir, "sandbox.url")
	if b, err := os.ReadFile(file); err == nil && alive(strings.TrimSpace(string(b))) {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	logPath := filepath.Join(dir, "sandbox.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, "simulator", "--addr", "127.0.0.1:0", "--time-scale", "0.2", "--idle-exit", idle.String())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives this command
	if err := cmd.Start(); err != nil {
		return "", err
	}
	cmd.Process.Release()
	listening := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(logPath)
		if m := listening.FindSubmatch(b); m != nil {
			return string(m[1]), os.WriteFile(file, m[1], 0o600)
		}
	}
	return "", errors.New("basiqtest: the shared sandbox simulator did not start; see " + logPath)
}

// alive reports whether a simulator answers at url.
func alive(url string) bool {
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/connectors", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}
