package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ServerName is the server's name in the MCP Registry, also a label of
// the image (the registry checks it against server.json).
const ServerName = "io.github.basiq-mcp/basiq-mcp"

// nonroot is the user the image runs as (distroless's number).
const nonroot = 65532

func imageCmd(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	epoch := fs.Int64("epoch", 0, "the image's creation time (the commit's)")
	version := fs.String("version", "dev", "the release version")
	ca := fs.String("ca", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to ship")
	out := fs.String("out", "", "the OCI layout, archived (image.tar)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	certs, err := os.ReadFile(*ca)
	if err != nil {
		return err
	}
	at := time.Unix(*epoch, 0).UTC()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pair := range fs.Args() {
		platform, bin, ok := strings.Cut(pair, "=")
		osName, arch, ok2 := strings.Cut(platform, "/")
		if !ok || !ok2 {
			return fmt.Errorf("want os/arch=BINARY, got %s", pair)
		}
		img, err := imageFor(osName, arch, bin, certs, *version, at)
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}}})
	}
	return writeLayout(idx, *version, *out, at)
}

// imageFor is one platform's image: a base layer (CA bundle, a non-root
// user and its home, /tmp) and the binary, on nothing else.
func imageFor(osName, arch, bin string, certs []byte, version string, at time.Time) (v1.Image, error) {
	binary, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	base, err := layerOf([]entry{
		{name: "etc/group", data: []byte(fmt.Sprintf("nonroot:x:%d:\n", nonroot)), mode: 0o644},
		{name: "etc/passwd", data: []byte(fmt.Sprintf("nonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot)), mode: 0o644},
		{name: "etc/ssl/certs/ca-certificates.crt", data: certs, mode: 0o644},
		{name: "home/nonroot/", mode: 0o700},
		{name: "tmp/", mode: 0o1777},
	}, at)
	if err != nil {
		return nil, err
	}
	app, err := layerOf([]entry{{name: "basiq-mcp", data: binary, mode: 0o755}}, at)
	if err != nil {
		return nil, err
	}
	cf := &v1.ConfigFile{OS: osName, Architecture: arch, Created: v1.Time{Time: at}, RootFS: v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User: fmt.Sprintf("%d:%d", nonroot, nonroot), Entrypoint: []string{"/basiq-mcp"}, WorkingDir: "/home/nonroot",
			Env:    []string{"PATH=/", "HOME=/home/nonroot", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
			Labels: labels(version, at),
		}}
	img, err := mutate.ConfigFile(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), cf)
	if err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{Created: v1.Time{Time: at}, CreatedBy: "basiq-mcp release: CA bundle, non-root user"}},
		mutate.Addendum{Layer: app, MediaType: types.OCILayer, History: v1.History{Created: v1.Time{Time: at}, CreatedBy: "basiq-mcp release: the static binary"}})
}

func labels(version string, at time.Time) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "basiq-mcp",
		"org.opencontainers.image.description": "MCP server for the Basiq open-banking API, with guardrails and an offline simulator",
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.created":     at.Format(time.RFC3339),
		"org.opencontainers.image.source":      "https://github.com/basiq-mcp/basiq-mcp",
		"org.opencontainers.image.licenses":    "MIT",
		"io.modelcontextprotocol.server.name":  ServerName,
	}
}

// layerOf is a gzipped tar layer of entries (a name ending in / is a
// directory), owned by the non-root user where it is its home.
func layerOf(entries []entry, at time.Time) (v1.Layer, error) {
	raw, err := tarOf(entries, at)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// writeLayout writes idx as an OCI image layout, tagged version, and
// archives it to out (an oci-archive).
func writeLayout(idx v1.ImageIndex, version, out string, at time.Time) error {
	dir, err := os.MkdirTemp("", "basiq-mcp-image")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tagOf(version)})); err != nil {
		return err
	}
	var files []entry
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files = append(files, entry{name: filepath.ToSlash(rel), data: data, mode: 0o644})
		return err
	})
	if err != nil {
		return err
	}
	slices.SortFunc(files, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	b, err := tarOf(files, at)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
