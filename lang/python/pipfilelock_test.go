package python

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hardenedbuild/hardened/llb"
)

// The Pipfile.lock of testdata: the default section, pinned, hashed and with its markers, sorted;
// never the develop section; PyPI, the lock's only source, is pip's own index.
func TestPipfileLockRequirements(t *testing.T) {
	data, err := os.ReadFile("testdata/pipenvapp/Pipfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := readLock(pySpec(t), llb.Files{"Pipfile.lock": data})
	if err != nil {
		t.Fatal(err)
	}
	want := `# Pipfile.lock, as pinned and hashed there; written by the hardened frontend for pip --require-hashes --no-deps.
greeting==1.0.0 \
    --hash=sha256:a2f25cb8c792044f42f30b75b3600b1c70cbc80442efe5361bbb6aa44ed37061
shout==0.3.0 \
    --hash=sha256:3cc699133e59073e9cdfbb11dd1e005312e2f04b2d5aba9d61df103e63b5a10a
winonly==1.0.0 ; sys_platform == 'win32' \
    --hash=sha256:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f
words==2.1.0 ; python_version >= '3.8' \
    --hash=sha256:648e63fd9c692a5805c90d1ba7b48715e8f130c51ec600c8af33443bde744732
`
	if got := string(plan.reqs); got != want {
		t.Errorf("requirements:\n%s\nwant:\n%s", got, want)
	}
	if plan.installRoot || plan.file != "Pipfile.lock" {
		t.Errorf("plan %+v", plan)
	}
	buildGraph(t, llb.Files{"Pipfile.lock": data}).Named(t, "write /hardened/python/requirements.txt from Pipfile.lock")
}

// Another index is given to pip as an extra one, a direct https file as name @ url.
func TestPipfileLockIndexesAndFiles(t *testing.T) {
	lock := `{"_meta": {"sources": [{"name": "pypi", "url": "https://pypi.org/simple"}, {"name": "corp", "url": "https://pypi.corp.example/simple/"}]},
 "default": {
  "private-lib": {"hashes": ["sha256:aaaa"], "index": "corp", "version": "==2.0"},
  "tool": {"file": "https://files.example/tool-1.0-py3-none-any.whl", "hashes": ["sha256:bbbb"], "version": "==1.0"}}}`
	plan, err := readLock(pySpec(t), llb.Files{"Pipfile.lock": []byte(lock)})
	if err != nil {
		t.Fatal(err)
	}
	got := string(plan.reqs)
	for _, want := range []string{"\n--extra-index-url https://pypi.corp.example/simple/\n", "\nprivate-lib==2.0 \\\n    --hash=sha256:aaaa\n",
		"\ntool @ https://files.example/tool-1.0-py3-none-any.whl \\\n    --hash=sha256:bbbb\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("requirements lack %q:\n%s", want, got)
		}
	}
}

// Every package pip cannot install exactly as locked fails at the language line and at the
// lock's own key, saying what and what to do.
func TestPipfileLockErrors(t *testing.T) {
	src := `{"_meta": {"sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]},` + "\n" + ` "default": {` + "\n"
	one := func(entry string) llb.Files {
		return llb.Files{"Pipfile.lock": []byte(src + `  "dep": ` + entry + "\n }}")}
	}
	for name, c := range map[string]struct {
		files llb.Files
		want  string
	}{
		"git": {one(`{"git": "https://git.example/dep.git", "ref": "abc"}`),
			"Pipfile.lock:3:11: default.dep.git: dep comes from git (https://git.example/dep.git), which pip --require-hashes cannot check against a hash; publish it"},
		"path": {one(`{"path": "./libs/dep"}`),
			`Pipfile.lock:3:11: default.dep.path: dep comes from the local path "./libs/dep", which pip --require-hashes cannot check against a hash; build it into a wheel`},
		"editable": {one(`{"editable": true, "path": "."}`),
			`Pipfile.lock:3:29: default.dep.path: dep comes from the local path "."`},
		"local file": {one(`{"file": "wheels/dep-1-py3-none-any.whl", "hashes": ["sha256:ab"]}`),
			`Pipfile.lock:3:11: default.dep.file: dep comes from the file "wheels/dep-1-py3-none-any.whl", which is not an http(s) URL`},
		"not pinned": {one(`{"version": "*", "hashes": ["sha256:ab"]}`),
			`Pipfile.lock:3:11: default.dep.version: dep is locked as "*", not one pinned version; run ` + "`pipenv lock`"},
		"no hash": {one(`{"version": "==1"}`),
			"Pipfile.lock:3:3: default.dep.hashes: dep 1 has no hash; lock again where the index gives hashes"},
		"unknown index": {one(`{"version": "==1", "hashes": ["sha256:ab"], "index": "corp"}`),
			`Pipfile.lock:3:54: default.dep.index: dep names the index "corp", which _meta.sources does not have`},
		"credentials": {llb.Files{"Pipfile.lock": []byte(`{"_meta": {"sources": [{"name": "corp",` + "\n" + `"url": "https://u:p@idx.example/simple"}]}, "default": {"dep": {"version": "==1", "hashes": ["sha256:ab"]}}}`)},
			"Pipfile.lock:2:1: _meta.sources.0.url: Pipfile.lock names an index with credentials, or a variable pipenv would expand, in its URL; keep the credentials out"},
		"variable": {llb.Files{"Pipfile.lock": []byte(`{"_meta": {"sources": [{"name": "corp", "url": "https://${PIP_TOKEN}.idx.example/simple"}]}, "default": {"dep": {"version": "==1", "hashes": ["sha256:ab"]}}}`)},
			"Pipfile.lock:1:41: _meta.sources.0.url: Pipfile.lock names an index with credentials, or a variable pipenv would expand"},
		"parse":      {llb.Files{"Pipfile.lock": []byte("x")}, "Pipfile.lock does not parse: "},
		"no default": {llb.Files{"Pipfile.lock": []byte(`{"develop": {}}`)}, "Pipfile.lock has no default section; run `pipenv lock` again"},
		// Hostile values: nothing the lock says may become another line or option of the file pip reads.
		"marker with a line break": {one(`{"version": "==1", "hashes": ["sha256:ab"], "markers": "os_name == 'posix'\n-r /run/secrets/netrc"}`),
			`Pipfile.lock:3:3: default.dep: dep "os_name == 'posix'\n-r /run/secrets/netrc" is not a marker pip can be given; lock again with pipenv`},
		"version with an option": {one(`{"version": "==1 --index-url=https://evil.example", "hashes": ["sha256:ab"]}`),
			`Pipfile.lock:3:3: default.dep: dep "1 --index-url=https://evil.example" is not a version pip can be given`},
		"hash not a hash": {one(`{"version": "==1", "hashes": ["sha256:ab -r x"]}`),
			`Pipfile.lock:3:3: default.dep: dep "sha256:ab -r x" is not a hash pip can be given`},
		"name with an option": {llb.Files{"Pipfile.lock": []byte(`{"default": {"-r /etc/passwd": {"version": "==1", "hashes": ["sha256:ab"]}}}`)},
			`Pipfile.lock:1:14: default.-r /etc/passwd: -r /etc/passwd "-r /etc/passwd" is not a name pip can be given`},
	} {
		_, err := readLock(pySpec(t), c.files)
		if want := "hardened.yaml:1:11: language: " + c.want; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error = %v\nwant prefix %q", name, err, want)
		}
	}
}

// The position is the key's own, wherever the lock puts it; for a key it lacks, the nearest
// one above it that is there.
func TestJSONKeyPos(t *testing.T) {
	doc := []byte("{\n  \"a\": [1, {\"b\": 2}],\n  \"c\": {\n    \"d\": {\"e\": true}\n  }\n}")
	for want, path := range map[string][]string{
		"2:3": {"a"}, "2:13": {"a", "1", "b"}, "3:3": {"c"}, "4:5": {"c", "d"}, "4:11": {"c", "d", "e"}, "3:3 ": {"c", "x"}, "1:1": {"x"},
	} {
		if got := jsonKeyPos(doc, path...); got != strings.TrimSpace(want) {
			t.Errorf("%v at %s, want %s", path, got, want)
		}
	}
}

// init reads a Pipfile project as any other: the lock's packages are its dependencies (a
// server found there is used); without a lock it says the build needs one.
func TestDetectPipfile(t *testing.T) {
	lock, err := os.ReadFile("testdata/pipenvapp/Pipfile.lock")
	if err != nil {
		t.Fatal(err)
	}
	det, err := Language{}.Detect(writeProject(t, map[string]string{"Pipfile": "[packages]\ngreeting = \"*\"\n", "Pipfile.lock": string(lock),
		"greeter/__init__.py": "", "greeter/__main__.py": "print('hi')\n"}))
	if err != nil || det == nil {
		t.Fatalf("detect: %v %v", det, err)
	}
	if det.Marker != "Pipfile" || !slices.Equal(det.Artifacts, []string{"greeter"}) || len(det.Warnings) != 0 {
		t.Errorf("detection %+v", det)
	}
	gunicorn := strings.Replace(string(lock), `"words": {`, `"gunicorn": {"hashes": ["sha256:ab"], "version": "==23.0.0"}, "flask": {"hashes": ["sha256:ab"], "version": "==3.0.0"}, "words": {`, 1)
	det, err = Language{}.Detect(writeProject(t, map[string]string{"Pipfile": "", "Pipfile.lock": gunicorn,
		"app.py": "from flask import Flask\napp = Flask(__name__)\n"}))
	if err != nil || !slices.Contains(det.Entrypoint, "gunicorn") {
		t.Errorf("gunicorn in Pipfile.lock: %+v %v", det, err)
	}
	det, err = Language{}.Detect(writeProject(t, map[string]string{"Pipfile": "", "main.py": "print('hi')\n"}))
	if err != nil || len(det.Warnings) != 1 || !strings.Contains(det.Warnings[0], "Pipfile has no Pipfile.lock beside it") {
		t.Errorf("a Pipfile without its lock: %+v %v", det, err)
	}
}
