package config

import (
	"regexp"
	"runtime/debug"
	"strings"
)

// pseudo matches the commit part of a Go pseudo-version
// (v0.0.0-20261204193045-108f6ac1b2c3), which the go command stamps on a
// build from an untagged commit.
var pseudo = regexp.MustCompile(`-(?:0\.)?\d{14}-([0-9a-f]{12})`)

// Version is this build's version: tagged when the release build set it
// (-ldflags "-X main.version=v1.2.3"); else the module version the go
// command stamped (a tag, for go install …@v1.2.3); else "dev" and the
// commit, with ".dirty" when the tree had changes.
func Version(tagged string) string {
	if tagged != "" {
		return tagged
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := info.Main.Version
	if v != "" && v != "(devel)" && !pseudo.MatchString(v) {
		return strings.TrimSuffix(v, "+dirty")
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		if m := pseudo.FindStringSubmatch(v); m != nil {
			rev, dirty = m[1], strings.HasSuffix(v, "+dirty")
		}
	}
	if rev == "" {
		return "dev"
	}
	out := "dev+" + rev[:min(12, len(rev))]
	if dirty {
		out += ".dirty"
	}
	return out
}
