package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"
)

func BenchmarkZZStdioSearch(b *testing.B) {
	os.Setenv("BASIQ_MCP_STATE_DIR", b.TempDir())
	os.Setenv("BASIQ_MCP_DOCS_URL", "off")
	os.Setenv("NO_COLOR", "1")
	tool := os.Getenv("ZZ_TOOL")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errR, errW, _ := os.Pipe()
	go io.Copy(io.Discard, errR)
	go run(nil, inR, outW, errW)
	r := bufio.NewReader(outR)
	fmt.Fprintln(inW, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`)
	r.ReadBytes('\n')
	fmt.Fprintln(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_docs","arguments":{"query":"refresh limit"}}}` + "\n")
	if tool == "echo" {
		msg = []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n")
	}
	b.ReportAllocs()
	for b.Loop() {
		inW.Write(msg)
		line, _ := r.ReadBytes('\n')
		if len(line) < 10 {
			b.Fatal(string(line))
		}
	}
	inW.Close()
}
