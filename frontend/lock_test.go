package frontend

import (
	"strings"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
	"github.com/hardenedbuild/hardened/lockfile"
)

func TestCheckLockedLibs(t *testing.T) {
	l := lockfile.New()
	l.SetPackages("linux/amd64", map[string]string{"libsqlite3-0": "3.40.1-2", "libpq5": "15.10-0"})
	resolved := []hllb.DebPackage{{Name: "libpq5", Version: "15.10-0"}, {Name: "libsqlite3-0", Version: "3.40.1-2"}}
	if err := checkLockedLibs(l, "linux/amd64", resolved); err != nil {
		t.Errorf("the locked versions gave %v", err)
	}
	for name, tc := range map[string]struct {
		platform string
		pkgs     []hllb.DebPackage
		want     []string
	}{
		"point release": {"linux/amd64", []hllb.DebPackage{{Name: "libpq5", Version: "15.10-0"}, {Name: "libsqlite3-0", Version: "3.40.1-2+deb12u1"}},
			[]string{"packages.linux/amd64.libsqlite3-0 pins 3.40.1-2, but Debian now serves 3.40.1-2+deb12u1"}},
		"new dependency": {"linux/amd64", append(resolved, hllb.DebPackage{Name: "libssl3", Version: "3.0.15-1"}),
			[]string{"no entry packages.linux/amd64.libssl3"}},
		"dropped package": {"linux/amd64", resolved[:1],
			[]string{"packages.linux/amd64.libsqlite3-0 pins 3.40.1-2, which runtime.libs no longer installs"}},
		"other platform": {"linux/arm64", resolved, []string{"no packages.linux/arm64"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := checkLockedLibs(l, tc.platform, tc.pkgs)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range append(tc.want, "run `hardened lock`") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
