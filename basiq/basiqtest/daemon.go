package basiqtest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// Shared returns the URL and API key of the sandbox simulator kept for dir
// (basiq-mcp call's, so that one call after another sees the same users),
// starting one when none proves itself: exe (basiq-mcp) runs "simulator
// --secret-file" in its own session, and it stops by itself after idle
// without a request.
//
// Only the user can use it. dir is made 0700; the daemon's secret sits in a
// 0600 file there and is the only API key the daemon accepts, so every
// request for data carries a token only the secret gets. Before the secret
// is sent anywhere, the listener at the remembered address must prove it
// knows it (Prove): a process that took the port after the daemon ended
// learns nothing. The daemon is started with no BASIQ_ variable from this
// environment: a real BASIQ_API_KEY never reaches it.
func Shared(dir, exe string, idle time.Duration) (url, key string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", "", err
	}
	secretFile := filepath.Join(dir, "sandbox.secret")
	secret, err := ensureSecret(secretFile)
	if err != nil {
		return "", "", err
	}
	file := filepath.Join(dir, "sandbox.url")
	if b, err := os.ReadFile(file); err == nil && Prove(strings.TrimSpace(string(b)), secret) {
		return strings.TrimSpace(string(b)), secret, nil
	}
	url, err = startDaemon(dir, exe, idle, secretFile, secret)
	if err != nil {
		return "", "", err
	}
	return url, secret, os.WriteFile(file, []byte(url), 0o600)
}

// startDaemon runs the simulator daemon and waits until it proves itself.
func startDaemon(dir, exe string, idle time.Duration, secretFile, secret string) (string, error) {
	logPath := filepath.Join(dir, "sandbox.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, "simulator", "--addr", "127.0.0.1:0", "--time-scale", "0.2", "--idle-exit", idle.String(), "--secret-file", secretFile)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = daemonEnv(os.Environ())
	cmd.SysProcAttr = detached() // outlives this command
	if err := cmd.Start(); err != nil {
		return "", err
	}
	cmd.Process.Release()
	listening := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(logPath)
		if m := listening.FindSubmatch(b); m != nil && Prove(string(m[1]), secret) {
			return string(m[1]), nil
		}
	}
	return "", errors.New("basiqtest: the shared sandbox simulator did not start; see " + logPath)
}

// daemonEnv is the environment the daemon gets: this one without any
// BASIQ_ setting (the API key above all), and without colour in its log.
func daemonEnv(env []string) []string {
	out := []string{"NO_COLOR=1"}
	for _, kv := range env {
		if !strings.HasPrefix(kv, "BASIQ_") {
			out = append(out, kv)
		}
	}
	return out
}

// ensureSecret reads the daemon's secret, or writes a new one: 32 random
// bytes in hex, in a file only the user can read. A file others could read
// is replaced (the daemon it was given to then no longer proves itself).
func ensureSecret(path string) (string, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() == 0o600 {
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) == 64 {
			return strings.TrimSpace(string(b)), nil
		}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw)
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(secret + "\n")
	return secret, err
}

// ProofPath is where a daemon started with a secret proves it knows it.
const ProofPath = "/sandbox/proof"

// proof answers a nonce: its HMAC under the secret.
func proof(secret, nonce string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("basiq-mcp sandbox proof\x00" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// Prove reports whether the listener at url is a simulator that knows
// secret: it is sent a fresh nonce, never the secret, and must answer with
// the nonce's HMAC under the secret.
func Prove(url, secret string) bool {
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		return false
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	nonce := hex.EncodeToString(raw)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+ProofPath+"?nonce="+nonce, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return resp.StatusCode == http.StatusOK && hmac.Equal([]byte(strings.TrimSpace(string(body))), []byte(proof(secret, nonce)))
}

// proving answers ProofPath for a daemon with a secret and passes every
// other request on.
func proving(h http.Handler, secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ProofPath {
			h.ServeHTTP(w, r)
			return
		}
		nonce := r.URL.Query().Get("nonce")
		if len(nonce) < 16 || len(nonce) > 128 {
			http.Error(w, "a nonce of 16 to 128 characters", http.StatusBadRequest)
			return
		}
		io.WriteString(w, proof(secret, nonce))
	})
}
