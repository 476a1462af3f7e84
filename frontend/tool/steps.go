package tool

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/spec"
)

// VerifyStep clears the setuid/setgid bits of the built tree, checks the image's guarantees on the result (and
// writes the check report when epoch is set). It returns the state holding the result file and the tree as
// the step left it, which is the image to ship when the step cleared a bit (the result file lists the paths).
func VerifyStep(self, final bkllb.State, img *dockerspec.DockerOCIImage, epoch *time.Time, opts ...bkllb.RunOption) (result, stripped bkllb.State, err error) {
	cfg, err := json.Marshal(img)
	if err != nil {
		return bkllb.State{}, bkllb.State{}, err
	}
	in := bkllb.Scratch().File(bkllb.Mkfile("config.json", 0o644, cfg), bkllb.WithCustomName("[internal] the image config, for the self-check"))
	argv := verifyArgv(epoch)
	name := "clear setuid/setgid bits, then verify the image's guarantees (none left, non-root user, exec-form entrypoint)"
	if epoch != nil {
		name += " and write the check report"
	}
	ro := []bkllb.RunOption{
		bkllb.Args(argv),
		// Keyed by the tree's cache key (its definition and inputs), not by hashing every file it holds: a
		// content hash of a whole image costs more than the check itself.
		bkllb.AddMount(treeDir, final, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.AddMount(inDir, in, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.ReadonlyRootFS(),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.User("0:0"), // reads every file of the tree and may change any one's mode, whoever owns it
		bkllb.Dir("/"),
		bkllb.WithCustomName(name),
	}
	run := self.Run(append(ro, opts...)...)
	return run.AddMount(outDir, bkllb.Scratch()), run.GetMount(treeDir), nil
}

func verifyArgv(epoch *time.Time) []string {
	argv := []string{Binary, Command, "verify", "--strip", "--config", filepath.Join(inDir, "config.json")}
	if epoch != nil {
		argv = append(argv, "--report-epoch", epoch.UTC().Format(time.RFC3339Nano))
	}
	return append(argv, treeDir, filepath.Join(outDir, ResultFile))
}

// VerifyLayer is the history entry BuildKit writes for the layer VerifyStep leaves when it clears a bit (the
// tree mount's diff); hardened rebase names the layer it makes in its place the same.
func VerifyLayer(epoch *time.Time) string {
	return "mount " + treeDir + " from exec " + strings.Join(verifyArgv(epoch), " ")
}

// SpecialStep lists the setuid/setgid files of base: the frontend's own image with the base mounted
// read-only, no network and a read-only root. It returns the state holding the result file.
func SpecialStep(self, base bkllb.State, opts ...bkllb.RunOption) bkllb.State {
	ro := []bkllb.RunOption{
		bkllb.Args([]string{Binary, Command, "special", treeDir, filepath.Join(outDir, ResultFile)}),
		bkllb.AddMount(treeDir, base, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.ReadonlyRootFS(),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.User("0:0"), // reads every directory of the base, whoever owns it
		bkllb.Dir("/"),
		bkllb.WithCustomName("list the base's setuid/setgid files (cleared on top of the image)"),
	}
	return self.Run(append(ro, opts...)...).AddMount(outDir, bkllb.Scratch())
}

// AppStep checks what the final stage holds in /app and, with build.secrets, that no secret's value is
// in any file of the image: a step of the frontend's own image with the image mounted read-only, no
// network, and the build's secrets mounted as they are on the builder's steps (the values stay in it).
func AppStep(self, final bkllb.State, s *spec.Spec, opts ...bkllb.RunOption) bkllb.State {
	argv := []string{Binary, Command, "app"}
	var ro []bkllb.RunOption
	for i, sec := range s.Build.Secrets {
		var o []bkllb.SecretOption
		if sec.Optional {
			o = append(o, bkllb.SecretOptional)
		}
		if sec.Env != "" {
			name := fmt.Sprintf("HARDENED_SECRET_%d", i)
			argv = append(argv, "--secret-env", sec.ID+"="+name)
			ro = append(ro, bkllb.AddSecretWithDest(sec.ID, nil, append(o, bkllb.SecretAsEnvName(name))...))
			continue
		}
		p := fmt.Sprintf("%s/%d", toolSecretDir, i)
		argv = append(argv, "--secret", sec.ID+"="+p)
		ro = append(ro, bkllb.AddSecret(p, append(o, bkllb.SecretID(sec.ID), bkllb.SecretFileOpt(0, 0, 0o400))...))
	}
	name := "check " + hllb.ArtifactDir + ": only root-owned 0644/0755 files, directories and symlinks"
	if len(s.Build.Secrets) > 0 {
		name += "; no build secret's value in any file"
	}
	ro = append(ro,
		bkllb.Args(append(argv, treeDir, filepath.Join(outDir, ResultFile))),
		bkllb.AddMount(treeDir, final, bkllb.Readonly, bkllb.ContentCache(bkllb.MountContentCacheOff)),
		bkllb.ReadonlyRootFS(),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.User("0:0"), // reads every file, whoever owns it
		bkllb.Dir("/"),
		bkllb.WithCustomName(name),
	)
	return self.Run(append(ro, opts...)...).AddMount(outDir, bkllb.Scratch())
}
