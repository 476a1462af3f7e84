package llb

import (
	bkllb "github.com/moby/buildkit/client/llb"

	"github.com/hardenedbuild/hardened/spec"
)

// fetch is the run option of every builder step that may reach the network (dependency
// downloads and the spec's own steps): the build's proxy settings, and the spec's secrets
// and SSH agents. Secret and SSH mounts exist only while the step runs and take no part in
// its cache key, so nothing of them reaches a layer, the image config or an exported cache.
func fetch(s *spec.Spec, p *bkllb.ProxyEnv) bkllb.RunOption {
	opts := runOptions{network(p), Secrets(s)}
	// BuildKit mounts the i-th agent at /run/buildkit/ssh_agent.<i> and points SSH_AUTH_SOCK at the first.
	for _, id := range s.Build.SSH {
		opts = append(opts, bkllb.AddSSHSocket(bkllb.SSHID(id)))
	}
	return opts
}

// Secrets mounts the spec's build secrets alone, for a step without the network that still needs them
// (Maven's offline package step reads the settings.xml that named the mirror its repository came from).
func Secrets(s *spec.Spec) bkllb.RunOption {
	var opts runOptions
	for _, sec := range s.Build.Secrets {
		var o []bkllb.SecretOption
		if sec.Optional {
			o = append(o, bkllb.SecretOptional)
		}
		if sec.Env != "" {
			opts = append(opts, bkllb.AddSecretWithDest(sec.ID, nil, append(o, bkllb.SecretAsEnvName(sec.Env))...))
			continue
		}
		opts = append(opts, bkllb.AddSecret(sec.SecretTarget(), append(o, bkllb.SecretID(sec.ID), bkllb.SecretFileOpt(0, 0, 0o400))...))
	}
	return opts
}

// network is the build's proxy settings (the HTTP_PROXY family of build args) for a step that
// reaches the network but needs no secrets (apt steps); nothing for none.
func network(p *bkllb.ProxyEnv) bkllb.RunOption {
	if p == nil {
		return runOptions{}
	}
	return bkllb.WithProxy(*p)
}
