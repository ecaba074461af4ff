package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// buildFloor builds the echo again with every library basiq-mcp's own
// packages import linked in: a file of blank imports added to the echo's
// package through go build's -overlay. Linking a package runs its init
// functions and maps the pages they touch, so this server's idle RSS is the
// least any server carrying those libraries can have on this machine. It
// returns the binary and how many libraries it links.
func buildFloor(c config) (string, int, error) {
	libs, err := libraries(c)
	if err != nil {
		return "", 0, err
	}
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n")
	for _, l := range libs {
		fmt.Fprintf(&src, "\t_ %q\n", l)
	}
	src.WriteString(")\n")
	file := filepath.Join(c.scratch, "libraries.go")
	if err := os.WriteFile(file, []byte(src.String()), 0o644); err != nil {
		return "", 0, err
	}
	module, err := filepath.Abs(c.module)
	if err != nil {
		return "", 0, err
	}
	overlay, _ := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(module, "testdata/bench/echo/libraries.go"): file}})
	spec := filepath.Join(c.scratch, "overlay.json")
	if err := os.WriteFile(spec, overlay, 0o644); err != nil {
		return "", 0, err
	}
	bin, err := buildEcho(c, "floor", "-overlay", spec)
	return bin, len(libs), err
}

// libraries lists the packages from other modules that the server's own
// packages import (go list over the binary's dependencies), sorted.
func libraries(c config) ([]string, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{with .Module}}{{.Path}}{{end}}\t{{join .Imports \" \"}}", ".")
	cmd.Dir = c.module
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the server's packages: %w", err)
	}
	type pkg struct {
		standard bool
		module   string
		imports  []string
	}
	pkgs := map[string]pkg{}
	var ours string
	lines := bufio.NewScanner(bytes.NewReader(out))
	for lines.Scan() {
		f := strings.Split(lines.Text(), "\t")
		if len(f) != 4 {
			continue
		}
		pkgs[f[0]] = pkg{f[1] == "true", f[2], strings.Fields(f[3])}
		if f[0] == "github.com/basiq-mcp/basiq-mcp" {
			ours = f[2]
		}
	}
	if ours == "" {
		return nil, fmt.Errorf("go list did not list the server's main package")
	}
	var libs []string
	for _, p := range pkgs {
		if p.module != ours {
			continue
		}
		for _, imp := range p.imports {
			if dep, ok := pkgs[imp]; ok && !dep.standard && dep.module != ours && !slices.Contains(libs, imp) {
				libs = append(libs, imp)
			}
		}
	}
	slices.Sort(libs)
	return libs, nil
}
