package llb_test

import (
	"strings"
	"testing"

	hllb "github.com/hardenedbuild/hardened/llb"
)

// A project file that names a file outside the build context (where a mounted secret or
// /proc/self/environ would be read, and printed in the tool's error) is refused before anything
// runs, with the project file's line; references inside the context still build.
func TestIncludesOutsideTheContext(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		files      hllb.Files
		want       []string // "FILE:LINE", nothing for a build
	}{
		{"pip -r secret", "language: python\nartifacts: [app.py]\n",
			hllb.Files{"requirements.txt": []byte("flask==3.0\n-r /run/secrets/netrc\n")}, []string{"requirements.txt:2"}},
		{"pip every spelling", "language: python\nartifacts: [app.py]\n",
			hllb.Files{"requirements.txt": []byte("-r/proc/self/environ\n--requirement=/run/secrets/x\n-c ../up.txt\n--constraint /etc/passwd\n" +
				"-r ${HOME}/x.txt\n--find-links file:///run/secrets\n-e /opt/src\nname @ file:///run/secrets/tok\n-i file:///proc/self/environ\n")},
			[]string{"requirements.txt:1", "requirements.txt:2", "requirements.txt:3", "requirements.txt:4", "requirements.txt:5",
				"requirements.txt:6", "requirements.txt:7", "requirements.txt:8", "requirements.txt:9"}},
		{"pip inside", "language: python\nartifacts: [app.py]\n",
			hllb.Files{"requirements.txt": []byte("-r requirements/base.txt\n-c ./c.txt\n-f wheels\n--index-url https://pypi.org/simple\nflask==3.0 # see /etc\n")}, nil},
		{"pyproject file URL", "language: python\nartifacts: [app.py]\n",
			hllb.Files{"pyproject.toml": []byte("[project]\nname = \"x\"\ndependencies = [\"tok @ file:///run/secrets/netrc\"]\n")}, []string{"pyproject.toml:3"}},
		{"npm file: and link:", "language: node\nversion: \"22\"\nartifacts: [server.js]\n",
			hllb.Files{"package.json": []byte("{\n  \"dependencies\": {\n    \"a\": \"file:/run/secrets/npmrc\",\n    \"b\": \"link:../../etc\",\n    \"c\": \"file:./packages/c\",\n    \"d\": \"^1.0.0\"\n  }\n}\n"), "package-lock.json": []byte(`{}`)},
			[]string{"package.json:3", "package.json:4"}},
		{".npmrc paths", "language: node\nversion: \"22\"\nartifacts: [server.js]\n",
			hllb.Files{"package.json": []byte(`{}`), "package-lock.json": []byte(`{}`),
				".npmrc": []byte("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\ncafile=/run/secrets/netrc\n")},
			[]string{".npmrc:3"}},
		{"yarnPath outside", "language: node\nversion: \"22\"\nartifacts: [server.js]\n",
			hllb.Files{"package.json": []byte(`{"packageManager": "yarn@4.5.3"}`), "yarn.lock": []byte("__metadata:\n  version: 8\n  cacheKey: 10\n"), ".yarnrc.yml": []byte("nodeLinker: node-modules\nyarnPath: /run/secrets/netrc\n")},
			[]string{".yarnrc.yml:2"}},
		{"go.mod replace", "language: go\nartifacts: [./cmd/server]\n",
			hllb.Files{"go.mod": []byte("module x\n\ngo 1.26\n\nreplace example.com/a => ../a\nreplace example.com/b => ./b\nreplace example.com/c v1.0.0 => example.com/d v1.1.0\n")},
			[]string{"go.mod:5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.yaml)
			_, err := hllb.Convert(s, resolved(t, s, tc.files, amd64))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("built, want %v refused", tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, ": language: "+w+": ") {
					t.Errorf("no problem at %s in:\n%s", w, msg)
				}
			}
			if n := strings.Count(msg, "\n") + 1; n != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%s", n, len(tc.want), msg)
			}
			if !strings.HasPrefix(msg, "hardened.yaml:1:11: language: ") {
				t.Errorf("not at the language line: %s", msg)
			}
		})
	}
}
