package main

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/modelcontextprotocol/registry/pkg/model"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dist is the release .ci/release built for these tests (.ci/run sets
// BASIQ_MCP_DIST); without one they are skipped.
func dist(t *testing.T) string {
	dir := os.Getenv("BASIQ_MCP_DIST")
	if dir == "" {
		t.Skip("BASIQ_MCP_DIST is not set: .ci/run builds a release and runs these")
	}
	return dir
}

// TestReleaseChecksums: every file of the release is in checksums.txt,
// with its SHA-256.
func TestReleaseChecksums(t *testing.T) {
	dir := dist(t)
	f, err := os.Open(filepath.Join(dir, "checksums.txt"))
	require.NoError(t, err)
	defer f.Close()
	listed := map[string]bool{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		sum, file, ok := strings.Cut(sc.Text(), "  ")
		require.True(t, ok, "sha256sum format: %q", sc.Text())
		data, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		got := sha256.Sum256(data)
		assert.Equal(t, sum, hex.EncodeToString(got[:]), file)
		listed[file] = true
	}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "checksums.txt" {
			rel, _ := filepath.Rel(dir, path)
			assert.True(t, listed[rel], "%s has a checksum", rel)
		}
		return err
	}))
}

// TestReleaseServerJSON: the project's server.json and the release's are
// valid against the MCP Registry's schema (the registry module's own file,
// pinned by go.mod), name the current schema, keep secrets secret, and
// give each bundle's SHA-256.
func TestReleaseServerJSON(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/modelcontextprotocol/registry").Output()
	require.NoError(t, err)
	version := strings.TrimPrefix(model.CurrentSchemaURL, "https://static.modelcontextprotocol.io/schemas/")
	schemaFile := filepath.Join(strings.TrimSpace(string(out)), "internal", "validators", "schemas", strings.TrimSuffix(version, "/server.schema.json")+".json")
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(schemaFile)
	require.NoError(t, err)
	files := []string{"server.json"}
	if dir := os.Getenv("BASIQ_MCP_DIST"); dir != "" {
		files = append(files, filepath.Join(dir, "server.json"))
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		require.NoError(t, err)
		assert.NoError(t, schema.Validate(doc), "%s is valid", file)
		var s struct {
			Schema   string `json:"$schema"`
			Packages []struct {
				RegistryType, Identifier, FileSha256 string
				EnvironmentVariables                 []struct {
					Name     string
					IsSecret bool
				}
			}
		}
		require.NoError(t, json.Unmarshal(raw, &s))
		assert.Equal(t, model.CurrentSchemaURL, s.Schema, "%s names the registry's current schema", file)
		for _, p := range s.Packages {
			for _, e := range p.EnvironmentVariables {
				secret := e.Name == "BASIQ_API_KEY" || e.Name == "BASIQ_MCP_CONFIRM_KEY" || e.Name == "BASIQ_WEBHOOK_SECRET" || e.Name == "BASIQ_MCP_AUTH_TOKEN"
				assert.Equal(t, secret, e.IsSecret, "%s: %s", file, e.Name)
			}
			if p.RegistryType == "mcpb" {
				data, err := os.ReadFile(filepath.Join(filepath.Dir(file), filepath.Base(p.Identifier)))
				require.NoError(t, err)
				sum := sha256.Sum256(data)
				assert.Equal(t, hex.EncodeToString(sum[:]), p.FileSha256, p.Identifier)
			}
		}
	}
}

// TestReleaseBundle: a bundle holds its platform's binary and a manifest
// whose tools are the server's own and whose API key is an optional,
// sensitive setting.
func TestReleaseBundle(t *testing.T) {
	bundles, _ := filepath.Glob(filepath.Join(dist(t), "*linux_amd64.mcpb"))
	require.Len(t, bundles, 1)
	z, err := zip.OpenReader(bundles[0])
	require.NoError(t, err)
	defer z.Close()
	var m struct {
		Server struct {
			EntryPoint string `json:"entry_point"`
		}
		Tools      []struct{ Name string }
		UserConfig map[string]struct {
			Sensitive, Required bool
		} `json:"user_config"`
	}
	f, err := z.Open("manifest.json")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(f).Decode(&m))
	_, err = z.Open(m.Server.EntryPoint)
	assert.NoError(t, err, "the entry point is in the bundle")
	assert.GreaterOrEqual(t, len(m.Tools), 25, "the server's tool list")
	key := m.UserConfig["basiq_api_key"]
	assert.True(t, key.Sensitive && !key.Required, "the key is optional and sensitive")
}

// TestReleaseImage: the image goes through a registry served on loopback
// and comes back the same; each of its linux images, unpacked into a root
// of its layers alone and run there as its user, answers --version and
// initialize and tools/list over stdio. An image for another architecture
// runs under Debian's qemu-user emulator, copied into that root.
func TestReleaseImage(t *testing.T) {
	dir := dist(t)
	layoutDir := t.TempDir()
	untar(t, filepath.Join(dir, "image.tar"), layoutDir)
	p, err := layout.FromPath(layoutDir)
	require.NoError(t, err)
	top, err := p.ImageIndex()
	require.NoError(t, err)
	im, err := top.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 1)
	idx, err := top.ImageIndex(im.Manifests[0].Digest)
	require.NoError(t, err)

	reg := httptest.NewServer(registry.New())
	defer reg.Close()
	ref, err := name.ParseReference(strings.TrimPrefix(reg.URL, "http://") + "/basiq-mcp:test")
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))
	pulled, err := remote.Index(ref)
	require.NoError(t, err)
	want, _ := idx.Digest()
	got, _ := pulled.Digest()
	require.Equal(t, want, got, "the registry gives back the same index")

	built := builtPlatforms(t, dir)
	m, err := pulled.IndexManifest()
	require.NoError(t, err)
	var archs []string
	for _, d := range m.Manifests {
		require.NotNil(t, d.Platform, "every image in the index names its platform")
		archs = append(archs, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	assert.ElementsMatch(t, built, archs, "one image per linux binary of the release")
	for _, d := range m.Manifests {
		arch := d.Platform.Architecture
		t.Run(arch, func(t *testing.T) {
			img, err := pulled.Image(d.Digest)
			require.NoError(t, err)
			cf, err := img.ConfigFile()
			require.NoError(t, err)
			assert.Equal(t, "linux", cf.OS)
			assert.Equal(t, arch, cf.Architecture)
			assert.Equal(t, "65532:65532", cf.Config.User, "not root")
			assert.Equal(t, []string{"/basiq-mcp"}, cf.Config.Entrypoint)
			assert.Equal(t, "io.github.basiq-mcp/basiq-mcp", cf.Config.Labels["io.modelcontextprotocol.server.name"])
			assert.NotEmpty(t, cf.Config.Labels["org.opencontainers.image.version"])
			runInImage(t, img, cf)
		})
	}
}

// builtPlatforms lists the linux platforms the release has archives for.
func builtPlatforms(t *testing.T, dir string) []string {
	archives, err := filepath.Glob(filepath.Join(dir, "basiq-mcp_*_linux_*.tar.gz"))
	require.NoError(t, err)
	var out []string
	for _, a := range archives {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(a), ".tar.gz"), "_")
		out = append(out, "linux/"+parts[len(parts)-1])
	}
	return out
}

// emulators names Debian's qemu-user binary for each architecture this
// machine cannot run itself.
var emulators = map[string]string{"amd64": "qemu-x86_64-static", "arm64": "qemu-aarch64-static"}

// runInImage unpacks img's layers into a new root and runs its entry
// point there (chroot, as the image's user), as a container would; on a
// foreign architecture through the emulator, copied into the root.
func runInImage(t *testing.T, img v1.Image, cf *v1.ConfigFile) {
	if os.Geteuid() != 0 {
		t.Skip("running the image's binary in a root of its own needs chroot, which needs root")
	}
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	untarReader(t, rc, root)
	argv := cf.Config.Entrypoint
	if cf.Architecture != runtime.GOARCH {
		argv = append([]string{emulatorIn(t, root, cf.Architecture)}, argv...)
	}
	run := func(stdin string, args ...string) string {
		cmd := exec.Command(argv[0], append(argv[1:], args...)...)
		cmd.Env, cmd.Dir = cf.Config.Env, "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	assert.Equal(t, "basiq-mcp "+cf.Config.Labels["org.opencontainers.image.version"]+"\n", run("", "--version"))
	answers := run(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"image","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" + `{"jsonrpc":"2.0","id":2,"method":"tools/list"}` + "\n")
	assert.Contains(t, answers, `"serverInfo":{"name":"basiq-mcp"`)
	assert.Contains(t, answers, `"name":"support_queue"`, "tools/list answered inside the image")
}

// emulatorIn copies the qemu-user emulator for arch into root and returns
// its path there. .ci/run installs Debian's qemu-user-static; without it
// the image for arch cannot be run, so the test fails rather than passing
// unchecked.
func emulatorIn(t *testing.T, root, arch string) string {
	name, ok := emulators[arch]
	require.True(t, ok, "no emulator known for %s", arch)
	path, err := exec.LookPath(name)
	require.NoError(t, err, "running the %s image needs %s: install Debian's qemu-user-static", arch, name)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, name), b, 0o755))
	return "/" + name
}

func untar(t *testing.T, file, dir string) {
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	untarReader(t, f, dir)
}

func untarReader(t *testing.T, r io.Reader, dir string) {
	cmd := exec.Command("tar", "-x", "-C", dir, "--no-same-owner")
	if os.Geteuid() == 0 {
		cmd = exec.Command("tar", "-x", "-C", dir, "--same-owner")
	}
	cmd.Stdin = r
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestReadmeInstallLinks: README's one-click links install the image
// server.json names, with the API key passed through, never a value.
func TestReadmeInstallLinks(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	raw, err := os.ReadFile("server.json")
	require.NoError(t, err)
	var s struct {
		Packages []struct{ RegistryType, Identifier string }
	}
	require.NoError(t, json.Unmarshal(raw, &s))
	require.Equal(t, "oci", s.Packages[0].RegistryType)
	image := s.Packages[0].Identifier
	links := regexp.MustCompile(`\]\((https://(?:insiders\.vscode\.dev|cursor\.com)/[^)]+)\)`).FindAllStringSubmatch(string(readme), -1)
	require.Len(t, links, 2, "a VS Code link and a Cursor link")
	for _, l := range links {
		u, err := url.Parse(l[1])
		require.NoError(t, err)
		cfg := u.Query().Get("config")
		if strings.Contains(u.Host, "cursor") {
			b, err := base64.StdEncoding.DecodeString(cfg)
			require.NoError(t, err)
			cfg = string(b)
		}
		var c struct {
			Command string
			Args    []string
			Env     map[string]string
		}
		require.NoError(t, json.Unmarshal([]byte(cfg), &c), l[1])
		assert.Equal(t, "docker", c.Command)
		assert.Contains(t, c.Args, image, "%s installs the image server.json names", u.Host)
		assert.Contains(t, c.Args, "BASIQ_API_KEY")
		assert.NotContains(t, c.Env["BASIQ_API_KEY"], "sk", "no key in a link")
	}
}
