package node

import (
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/llb"
)

// builtCheck runs as node -e builtCheck -- SCRIPT ARTIFACT...: the paths are arguments, never part
// of the program, and each missing one is named with its spec field.
const builtCheck = `const fs = require("fs");
const [script, ...artifacts] = process.argv.slice(1);
let missing = 0;
artifacts.forEach((a, i) => {
  if (fs.existsSync(a)) return;
  missing++;
  console.error("artifacts[" + i + "]: " + JSON.stringify(a) + " is neither in the build context nor made by the build script " +
    JSON.stringify(script) + "; write the path the script writes (tsconfig.json's outDir, a bundler's output), relative to the context's root");
});
process.exit(missing ? 1 : 0);`

// checkBuilt fails the build before the layout when an artifact is still missing after the build
// script: the frontend leaves such artifacts to the script, and a copy error would not say which.
func checkBuilt(st bkllb.State, in *llb.BuildInput) bkllb.State {
	args := append([]string{"node", "-e", builtCheck, "--", in.Spec.Build.Script}, in.Spec.Artifacts...)
	return st.Run(bkllb.Args(args), bkllb.Dir(llb.SrcDir), bkllb.Network(pb.NetMode_NONE),
		bkllb.WithCustomName("check the build script made the artifacts"), in.Locate("artifacts")).Root()
}
