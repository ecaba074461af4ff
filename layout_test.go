package main

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/basiq-mcp/basiq-mcp"

// importRule is one row of README's import table.
type importRule struct {
	project, outside, never []string
	anyProject              bool
}

// importTable reads the table under "What each package may import".
func importTable(t *testing.T) map[string]importRule {
	f, err := os.Open("README.md")
	require.NoError(t, err)
	defer f.Close()
	rules := map[string]importRule{}
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "| package | project packages") {
			in = true
			continue
		}
		if in && !strings.HasPrefix(line, "|") {
			break
		}
		if !in || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		require.Len(t, cells, 4, "README import table row %q", line)
		names := func(cell string) []string {
			var out []string
			for _, n := range strings.Split(cell, ",") {
				if n = strings.Trim(strings.TrimSpace(n), "`"); n != "" {
					out = append(out, n)
				}
			}
			return out
		}
		pkg := names(cells[0])[0]
		r := importRule{project: names(cells[1]), outside: names(cells[2]), never: names(cells[3])}
		r.anyProject = slices.Equal(r.project, []string{"any"})
		rules[pkg] = r
	}
	require.NotEmpty(t, rules, "README's Layout section must hold the import table")
	return rules
}

// TestImportsFollowTheLayout fails when a package imports outside what
// README's table allows it, or has no row in the table.
func TestImportsFollowTheLayout(t *testing.T) {
	rules := importTable(t)
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}", "./...").Output()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, imports, _ := strings.Cut(line, "\t")
		pkg := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		if pkg == "" {
			pkg = "."
		}
		rule, ok := rules[pkg]
		if !ok {
			t.Errorf("package %s has no row in README's import table", pkg)
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if why := rule.refuses(imp); why != "" {
				t.Errorf("%s imports %s: %s (README, Layout)", pkg, imp, why)
			}
		}
	}
}

// refuses says why the rule does not allow imp, or "" when it does.
func (r importRule) refuses(imp string) string {
	switch {
	case slices.Contains(r.never, imp):
		return "never allowed here"
	case strings.HasPrefix(imp, module+"/"):
		if r.anyProject || slices.Contains(r.project, strings.TrimPrefix(imp, module+"/")) {
			return ""
		}
		return "not among the project packages it may import"
	case !strings.Contains(strings.SplitN(imp, "/", 2)[0], "."): // the standard library
		return ""
	}
	for _, m := range r.outside {
		if imp == m || strings.HasPrefix(imp, m+"/") {
			return ""
		}
	}
	return "not among the modules it may import"
}
