// Command release makes the parts of a basiq-mcp release that need more
// than the go command, byte for byte the same on every run: archives,
// the OCI image (no container daemon), the desktop bundle's manifest and
// the release's server.json. .ci/release drives it.
//
//	release archive -epoch N -out FILE NAME=PATH...
//	release image -epoch N -version V -ca FILE -out image.tar os/arch=BINARY...
//	release manifest -version V -bin BINARY -platform os/arch -out manifest.json
//	release serverjson -version V -in server.json -out FILE BUNDLE.mcpb...
//	release rezip -epoch N FILE.mcpb
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "release: archive, image, manifest or serverjson")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "archive":
		err = archiveCmd(os.Args[2:])
	case "image":
		err = imageCmd(os.Args[2:])
	case "manifest":
		err = manifestCmd(os.Args[2:])
	case "serverjson":
		err = serverJSONCmd(os.Args[2:])
	case "rezip":
		err = rezipCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

// semverOf is a release version as semantic versioning has it (bundles
// require that): v1.2.3 is 1.2.3, dev+COMMIT is 0.0.0-dev+COMMIT.
func semverOf(version string) string {
	if strings.HasPrefix(version, "dev") {
		return "0.0.0-" + version
	}
	return strings.TrimPrefix(version, "v")
}

// tagOf is a release version as an image tag may spell it (no +).
func tagOf(version string) string { return strings.ReplaceAll(semverOf(version), "+", "-") }
