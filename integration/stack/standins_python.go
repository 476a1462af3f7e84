package stack

import (
	"context"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// debianPython is the CPython of Debian trixie, which both python stand-ins carry, as the official python image
// (3.13-trixie) and distroless python3-debian13 do.
const debianPython = "3.13"

// pythonLocal installs Debian's CPython and then copies it to /usr/local the way the official image has its own
// build: the interpreter in /usr/local/bin (so sys.prefix is /usr/local), the standard library in
// /usr/local/lib/python3.13, pip installed by ensurepip into its site-packages, and the commands' short names.
// Three Debian changes are undone in that copy because upstream has none of them: installs outside a venv going to
// <prefix>/local/lib/.../dist-packages (sysconfig), site-packages read only in a venv (site, which is frozen into
// the interpreter, so a sitecustomize adds it), and ensurepip refusing the system interpreter; EXTERNALLY-MANAGED
// goes too. Debian's own python3.13 stays in /usr, as the
// distribution python of buildpack-deps does beside the official build.
var pythonLocal = aptInstall{
	packages: []string{"python" + debianPython, "python" + debianPython + "-venv"},
	script: `L=/usr/local/lib/python3.13
mkdir -p $L
cp -a /usr/lib/python3.13/. $L/
cp -a /usr/bin/python3.13 /usr/local/bin/python3.13
rm -f $L/EXTERNALLY-MANAGED
sed -i "s/prefix_scheme = 'posix_local'/prefix_scheme = 'posix_prefix'/" $L/sysconfig/__init__.py
grep -q "prefix_scheme = 'posix_prefix'" $L/sysconfig/__init__.py
printf '%s\n' '# site-packages as upstream has it: the site module frozen into Debian'"'"'s interpreter reads it in venvs only.' \
  'import os, site, sys' 'site.addsitedir(os.path.join(sys.prefix, "lib", "python3.13", "site-packages"))' > $L/sitecustomize.py
sed -i 's/^    _ensurepip_is_disabled_in_debian_for_system()$/    pass/' $L/ensurepip/__init__.py
if grep -q '^    _ensurepip_is_disabled_in_debian_for_system()$' $L/ensurepip/__init__.py; then exit 1; fi
find $L -depth -name __pycache__ -exec rm -rf '{}' +
/usr/local/bin/python3.13 -m ensurepip --default-pip >/dev/null
cd /usr/local/bin
ln -s python3.13 python3
ln -s python3 python
find /usr/local -depth -name '*.pyc' -delete
test "$(/usr/local/bin/python3 -c 'import sys; print(sys.prefix)')" = /usr/local
/usr/local/bin/pip --version >/dev/null
/usr/local/bin/python3 -m venv /tmp/venv-check && /tmp/venv-check/bin/pip --version >/dev/null && rm -rf /tmp/venv-check`,
}

// pythonStandIn is docker.io/library/python:3.13-trixie: Debian trixie with Debian's CPython 3.13 laid out in
// /usr/local as the official image's (pythonLocal), configured as docker-library/python's 3.13/trixie/Dockerfile.
func pythonStandIn() standIn {
	facts := map[string]string{} // "version", set by layers before any config is asked for
	config := func(v1.Platform) v1.Config {
		return v1.Config{
			Env: []string{
				"PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"PYTHON_VERSION=" + facts["version"],
			},
			Cmd: []string{"python3"},
		}
	}
	return standIn{
		facts:     facts,
		name:      "python-" + debianPython + "-trixie",
		platforms: []v1.Platform{linuxAMD64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			v, err := debianPackageVersion(ctx, b, p, "python"+debianPython+"-minimal")
			if err != nil {
				return nil, err
			}
			facts["version"] = v
			return withBase(ctx, b, p, pythonLocal)
		},
		tags: []tag{{ref: "docker.io/library/python:" + debianPython + "-trixie", config: config}},
	}
}

// debianPackageVersion is the upstream version of a trixie package ("3.13.5" of "3.13.5-2").
func debianPackageVersion(ctx context.Context, b *builder, p v1.Platform, name string) (string, error) {
	apt, err := b.aptRoot(ctx, trixie)
	if err != nil {
		return "", err
	}
	debs, err := apt.resolve(ctx, []string{name}, p.Architecture)
	if err != nil {
		return "", err
	}
	v := debs[0].Version
	if _, rest, ok := strings.Cut(v, ":"); ok {
		v = rest
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return v, nil
}

// distrolessPythonPackages are what distroless python3-debian13 adds to cc (python3/config.bzl).
var distrolessPythonPackages = []string{"libbz2-1.0", "libdb5.3t64", "libexpat1", "liblzma5", "libsqlite3-0",
	"libuuid1", "libncursesw6", "libtinfo6", "zlib1g", "libcom-err2", "libcrypt1", "libc-bin", "libgssapi-krb5-2",
	"libk5crypto3", "libkeyutils1", "libkrb5-3", "libkrb5support0", "libnsl2", "libreadline8t64", "libtirpc3t64",
	"libffi8", "libpython3.13-minimal", "libpython3.13-stdlib", "python3.13-minimal", "python3.13-venv"}

// distrolessPythonStandIn is gcr.io/distroless/python3-debian13: the cc image's layers plus Debian's CPython 3.13,
// /usr/bin/python3.13 the entrypoint with /usr/bin/python3 and /usr/bin/python linked to it, LANG=C.UTF-8
// (python3/python.bzl); no pip or shell.
func distrolessPythonStandIn() standIn {
	return standIn{
		name:      "distroless-python3-debian13",
		platforms: []v1.Platform{linuxAMD64, linuxARM64},
		layers: func(ctx context.Context, b *builder, p v1.Platform) ([]layerRecipe, error) {
			ls, err := distrolessLayers(ctx, b, p, trixie, ccFlavor, distrolessPythonPackages)
			if err != nil {
				return nil, err
			}
			return append(ls, layerRecipe{
				key:       []string{"/usr/bin/python3 and /usr/bin/python -> /usr/bin/python" + debianPython},
				createdBy: "python aliases",
				build: func(context.Context, *builder, string) (*tree, writeOptions, error) {
					t := newTree()
					t.addSymlink("usr/bin/python3", "/usr/bin/python"+debianPython)
					t.addSymlink("usr/bin/python", "/usr/bin/python"+debianPython)
					return t, writeOptions{}, nil
				},
			}), nil
		},
		tags: distrolessConfigs("gcr.io/distroless/python3-debian13", []string{"/usr/bin/python" + debianPython}, "LANG=C.UTF-8"),
	}
}
