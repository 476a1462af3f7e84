package stack

import (
	"context"
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// debianPython is the CPython of Debian bookworm, which both python stand-ins carry, as the official python image
// and distroless python3-debian12 (CPython 3.11) do.
const debianPython = "3.11"

// pythonStandIn is docker.io/library/python:3.11-bookworm: Debian bookworm with Debian's CPython 3.11, venv (with
// the pip and setuptools wheels ensurepip installs from) and pip. The official image has an upstream CPython 3.11
// in /usr/local; python3 on PATH is the same minor version, which is what the frontend relies on.
func pythonStandIn() standIn {
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
				"PYTHON_VERSION=" + debianPython},
			Cmd: []string{"python3"},
		}
	}
	return standIn{
		name:      "python-" + debianPython + "-bookworm",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			base, err := debootstrapLayer(ctx, b, p, "ca-certificates", "python"+debianPython, "python3-venv", "python3-pip")
			if err != nil {
				return nil, err
			}
			return []layerRecipe{base}, nil
		},
		tags: []tag{{ref: "docker.io/library/python:" + debianPython + "-bookworm", config: config}},
	}
}

// distrolessPythonPackages are what distroless python3-debian12 adds to cc: Debian's CPython 3.11 interpreter and
// standard library with the shared libraries its extension modules load.
var distrolessPythonPackages = append(distrolessCCPackages[:len(distrolessCCPackages):len(distrolessCCPackages)],
	"python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libexpat1", "zlib1g", "libbz2-1.0",
	"libcrypt1", "libdb5.3", "libffi8", "liblzma5", "libncursesw6", "libtinfo6", "libnsl2", "libtirpc3",
	"libtirpc-common", "libgssapi-krb5-2", "libkrb5-3", "libkrb5support0", "libk5crypto3", "libcom-err2",
	"libkeyutils1", "libreadline8", "readline-common", "libsqlite3-0", "libuuid1")

// distrolessPythonStandIn is gcr.io/distroless/python3-debian12: the cc image's packages plus Debian's CPython
// 3.11, with /usr/bin/python3 (its entrypoint) as distroless has it, and no pip, ensurepip or shell.
func distrolessPythonStandIn() standIn {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "LANG=C.UTF-8"}
	config := func(user, workdir string) func(v1.Platform) v1.Config {
		return func(v1.Platform) v1.Config {
			return v1.Config{User: user, WorkingDir: workdir, Env: env, Entrypoint: []string{"/usr/bin/python3"}}
		}
	}
	const repo = "gcr.io/distroless/python3-debian12"
	return standIn{
		name:      "distroless-python3-debian12",
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			l, err := distrolessLayer(ctx, b, p, distrolessPythonPackages)
			if err != nil {
				return nil, err
			}
			packages := l.build
			l.key = append(l.key, "/usr/bin/python3 and /usr/bin/python link to python"+debianPython)
			l.createdBy += "; /usr/bin/python3 -> python" + debianPython
			l.build = func(ctx context.Context, b *builder, scratch string) (*tree, writeOptions, error) {
				t, opt, err := packages(ctx, b, scratch)
				if err != nil {
					return nil, opt, err
				}
				if _, ok := t.entries["usr/bin/python"+debianPython]; !ok {
					return nil, opt, errors.New("python" + debianPython + "-minimal has no usr/bin/python" + debianPython)
				}
				t.addSymlink("usr/bin/python3", "python"+debianPython)
				t.addSymlink("usr/bin/python", "python"+debianPython)
				return t, opt, nil
			}
			return []layerRecipe{l}, nil
		},
		tags: []tag{{ref: repo + ":nonroot", config: config("65532", "/home/nonroot")}, {ref: repo + ":latest", config: config("0", "/")}},
	}
}
