package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
)

// releases is where a release's files are published.
const releases = "https://github.com/basiq-mcp/basiq-mcp/releases/download/"

// serverJSONCmd writes the release's server.json: the project's, at this
// version, its image tagged so, and one mcpb package per bundle with the
// bundle's SHA-256 (which the registry requires).
func serverJSONCmd(args []string) error {
	fs := flag.NewFlagSet("serverjson", flag.ContinueOnError)
	version := fs.String("version", "dev", "the release version")
	in := fs.String("in", "server.json", "the project's server.json")
	out := fs.String("out", "", "where to write the release's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	v := semverOf(*version)
	doc["version"] = v
	var pkgs []any
	for _, p := range doc["packages"].([]any) {
		pkg := p.(map[string]any)
		if pkg["registryType"] == "oci" {
			id := pkg["identifier"].(string)
			pkg["identifier"] = id[:strings.LastIndex(id, ":")+1] + tagOf(*version)
		}
		if pkg["registryType"] != "mcpb" {
			pkgs = append(pkgs, pkg)
		}
	}
	for _, bundle := range fs.Args() {
		data, err := os.ReadFile(bundle)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		pkgs = append(pkgs, map[string]any{"registryType": "mcpb", "identifier": releases + *version + "/" + filepath.Base(bundle),
			"version": v, "fileSha256": hex.EncodeToString(sum[:]), "transport": map[string]any{"type": "stdio"}})
	}
	doc["packages"] = pkgs
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}
