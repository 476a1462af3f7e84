// Command hardened-frontend is the BuildKit gateway frontend that the
// `# syntax=ghcr.io/hardenedbuild/hardened:1` line of a hardened.yaml runs.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto" // the codec BuildKit's gateway speaks

	"github.com/hardenedbuild/hardened/frontend"
	"github.com/hardenedbuild/hardened/frontend/tool"
)

// version is set at link time.
var version = "dev"

func main() {
	// `hardened-frontend tool verify|special TREE RESULT`: the frontend's own checks, run as build steps.
	if len(os.Args) > 1 && os.Args[1] == tool.Command {
		if err := tool.Run(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "hardened-frontend: %v\n", err)
			os.Exit(2)
		}
		return
	}
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("hardened-frontend", version)
		return
	}
	tool.UseRunningBinary(os.Executable)
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "hardened-frontend: %v\n", err)
		os.Exit(1)
	}
}
