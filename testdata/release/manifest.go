package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// manifestCmd writes an MCP Bundle manifest (manifest_version 0.3) for one
// platform's binary, its tool list taken from the server itself.
func manifestCmd(args []string) error {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	version := fs.String("version", "dev", "the release version")
	bin := fs.String("bin", "", "a binary this machine runs, asked for its tools")
	platform := fs.String("platform", "", "the bundle's os/arch")
	entry := fs.String("entry", "server/basiq-mcp", "the binary's path inside the bundle")
	out := fs.String("out", "manifest.json", "where to write it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tools, err := listTools(*bin)
	if err != nil {
		return err
	}
	osName, _, _ := strings.Cut(*platform, "/")
	m := map[string]any{
		"manifest_version": "0.3",
		"name":             "basiq-mcp",
		"display_name":     "Basiq open banking",
		"version":          semverOf(*version),
		"description":      "Basiq's open-banking API (Australia/NZ, CDR) for AI assistants, with guardrails; runs on an offline simulator until you give it an API key.",
		"author":           map[string]any{"name": "The basiq-mcp authors", "url": "https://github.com/basiq-mcp/basiq-mcp"},
		"repository":       map[string]any{"type": "git", "url": "https://github.com/basiq-mcp/basiq-mcp"},
		"homepage":         "https://github.com/basiq-mcp/basiq-mcp",
		"license":          "MIT",
		"keywords":         []string{"basiq", "open-banking", "cdr", "australia", "finance"},
		"server": map[string]any{
			"type":        "binary",
			"entry_point": *entry,
			"mcp_config": map[string]any{
				"command": "${__dirname}/" + *entry,
				"args":    []string{},
				"env":     map[string]string{"BASIQ_API_KEY": "${user_config.basiq_api_key}"},
			},
		},
		"tools":         tools,
		"compatibility": map[string]any{"platforms": []string{map[string]string{"darwin": "darwin", "linux": "linux", "windows": "win32"}[osName]}},
		"user_config": map[string]any{
			"basiq_api_key": map[string]any{
				"type": "string", "title": "Basiq API key", "sensitive": true, "required": false,
				"description": "Your Basiq API key (dashboard, Applications). Leave empty to try everything on the built-in offline simulator.",
			},
		},
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}

// listTools asks the server (over stdio, on the simulator) for its tools:
// each name and description, as the bundle lists them.
func listTools(bin string) ([]map[string]string, error) {
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "BASIQ_API_KEY=", "BASIQ_MCP_LOG_LEVEL=error", "BASIQ_MCP_DOCS_URL=off")
	in, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer cmd.Wait()
	defer in.Close()
	io.WriteString(in, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"release","version":"1"}}}`+"\n"+
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<22)
	for lines.Scan() {
		var msg struct {
			ID     int `json:"id"`
			Result struct {
				Tools []struct{ Name, Description string }
			}
		}
		if json.Unmarshal(lines.Bytes(), &msg) != nil || msg.ID != 2 {
			continue
		}
		var out []map[string]string
		for _, t := range msg.Result.Tools {
			if t.Name != "complete_sandbox_consent" { // the simulator's alone: never listed against Basiq
				out = append(out, map[string]string{"name": t.Name, "description": t.Description})
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s listed no tools", bin)
}
