package node

import (
	"path"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// builtCheck runs as node -e builtCheck -- SCRIPT SERVER ARTIFACT...: the paths are arguments, never
// part of the program, and each missing one is named with its spec field. SERVER is where a Next.js
// standalone output's server.js must be, or "".
const builtCheck = `const fs = require("fs");
const [script, server, ...artifacts] = process.argv.slice(1);
const next = 'next build writes it with output: "standalone" in next.config.js, next.config.mjs or next.config.ts';
let missing = 0;
artifacts.forEach((a, i) => {
  if (fs.existsSync(a)) return;
  missing++;
  console.error("artifacts[" + i + "]: " + JSON.stringify(a) + " is neither in the build context nor made by the build script " +
    JSON.stringify(script) + "; " + (a.endsWith(".next/standalone") ? next :
    "write the path the script writes (tsconfig.json's outDir, a bundler's output), relative to the context's root"));
});
if (!missing && server && !fs.existsSync(server)) {
  missing++;
  console.error("artifacts[0]: " + JSON.stringify(artifacts[0]) + " has no server.js at " + JSON.stringify(server) +
    ": next build writes server.js at the app's path from the tracing root; build from the directory next.config's outputFileTracingRoot names");
}
process.exit(missing ? 1 : 0);`

// checkBuilt fails the build before the layout when an artifact is still missing after the build
// script: the frontend leaves such artifacts to the script, and a copy error would not say which.
func checkBuilt(st bkllb.State, in *llb.BuildInput) bkllb.State {
	server := ""
	if app, ok := nextApp(in.Spec); ok {
		server = path.Join(path.Clean(in.Spec.Artifacts[0]), app, "server.js")
	}
	args := append([]string{"node", "-e", builtCheck, "--", in.Spec.Build.Script, server}, in.Spec.Artifacts...)
	return st.Run(bkllb.Args(args), bkllb.Dir(llb.SrcDir), bkllb.Network(pb.NetMode_NONE),
		bkllb.WithCustomName("check the build script made the artifacts"), in.Locate("artifacts")).Root()
}
