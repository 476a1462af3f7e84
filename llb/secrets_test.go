package llb_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/hardenedbuild/hardened/internal/llbtest"
	golang "github.com/hardenedbuild/hardened/lang/go"
)

// Secrets and SSH agents reach the steps that download and the spec's own steps, as
// mounts, and no other step: the compile and the final stage never see them.
func TestSecretsReachOnlyTheFetchingSteps(t *testing.T) {
	s := load(t, `language: go
artifacts: [./cmd/server]
build:
  env: {GOPRIVATE: example.com/private}
  secrets:
    - {id: netrc, target: /root/.netrc}
    - {id: token, env: PRIVATE_TOKEN, optional: true}
  ssh: [default]
  steps:
    - {name: check the token, run: [/bin/true]}
`)
	_, files := loadExample(t)
	_, g := convert(t, s, resolved(t, s, files, amd64))

	fetching := []string{golang.ModulesStep, "check the token"}
	for _, name := range fetching {
		op := g.Named(t, name)
		ex := op.Op.GetExec()
		secrets := map[string]*pb.SecretOpt{}
		var file, ssh *pb.Mount
		for _, m := range ex.GetMounts() {
			switch m.MountType {
			case pb.MountType_SECRET:
				secrets[m.SecretOpt.GetID()] = m.SecretOpt
				if m.Dest == "/root/.netrc" {
					file = m
				}
			case pb.MountType_SSH:
				ssh = m
			}
		}
		if file == nil || file.SecretOpt.GetID() != "netrc" || file.SecretOpt.GetOptional() || file.SecretOpt.GetMode() != 0o400 {
			t.Errorf("%s: netrc mount = %+v, want a required 0400 secret at /root/.netrc", name, file)
		}
		var envSecret *pb.SecretEnv
		for _, se := range ex.GetSecretenv() {
			if se.GetID() == "token" {
				envSecret = se
			}
		}
		if envSecret == nil || envSecret.GetName() != "PRIVATE_TOKEN" || !envSecret.GetOptional() {
			t.Errorf("%s: env secret = %+v, want optional PRIVATE_TOKEN from id token", name, envSecret)
		}
		if ssh == nil || ssh.SSHOpt.GetID() != "default" || ssh.Dest != "/run/buildkit/ssh_agent.0" {
			t.Errorf("%s: ssh mount = %+v", name, ssh)
		}
		if env := llbtest.Env(op); env["SSH_AUTH_SOCK"] != "/run/buildkit/ssh_agent.0" {
			t.Errorf("%s: SSH_AUTH_SOCK = %q", name, env["SSH_AUTH_SOCK"])
		}
	}
	for _, op := range g.Execs() {
		name := op.Name
		if slices.Contains(fetching, name) {
			continue
		}
		for _, m := range op.Op.GetExec().GetMounts() {
			if m.MountType == pb.MountType_SECRET || m.MountType == pb.MountType_SSH {
				t.Errorf("%s mounts %v %s; only fetching steps may", name, m.MountType, m.Dest)
			}
		}
		if len(op.Op.GetExec().GetSecretenv()) > 0 {
			t.Errorf("%s gets a secret variable", name)
		}
		if strings.Contains(strings.Join(op.Op.GetExec().GetMeta().GetEnv(), "\n"), "SSH_AUTH_SOCK") {
			t.Errorf("%s has SSH_AUTH_SOCK", name)
		}
	}
}
