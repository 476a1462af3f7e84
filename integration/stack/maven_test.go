package stack

import (
	"crypto/sha1"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWalkResolved: links inside the tree are followed as the unpacked system would (an absolute link
// starts at the tree's root, a relative one at its directory, chains too), a link to nothing is left out.
func TestWalkResolved(t *testing.T) {
	root := t.TempDir()
	mk := func(name, data string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(name, target string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/share/java/gson-2.10.1.jar", "gson")
	link("usr/share/java/gson.jar", "gson-2.10.1.jar")
	mk("etc/maven/settings.xml", "<settings/>")
	link("repo/gson/2.10.1/gson-2.10.1.jar", "../../../usr/share/java/gson.jar")
	link("repo/gson/debian", "2.10.1")
	link("repo/conf", "/etc/maven")
	link("repo/gone.jar", "/usr/share/java/missing.jar")

	got := map[string]string{}
	err := walkResolved(root, "repo", func(rel string, fi fs.FileInfo, host string) error {
		if fi.IsDir() {
			got[rel] = "dir"
			return nil
		}
		data, err := os.ReadFile(host)
		got[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"": "dir", "gson": "dir", "gson/2.10.1": "dir", "gson/2.10.1/gson-2.10.1.jar": "gson",
		"gson/debian": "dir", "gson/debian/gson-2.10.1.jar": "gson", "conf": "dir", "conf/settings.xml": "<settings/>"}
	if len(got) != len(want) {
		t.Errorf("walked %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %q, want %q", k, got[k], v)
		}
	}

	link("loop/a", "b")
	link("loop/b", "a")
	if _, err := resolveIn(root, "loop/a"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("a link loop resolved: %v", err)
	}
}

// TestMavenRepoHandler: the repository answers only with the user and password, read-only, under
// /maven2/; everything else goes to the registry.
func TestMavenRepoHandler(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "org/example/a/1.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyHostFile(writeTemp(t, "jar bytes"), filepath.Join(dir, "org/example/a/1.0/a-1.0.jar")); err != nil {
		t.Fatal(err)
	}
	registry := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(mavenRepoHandler(dir, "s3cret-password", registry))
	defer srv.Close()
	jar := "/maven2/org/example/a/1.0/a-1.0.jar"
	sum := sha1.Sum([]byte("jar bytes"))
	for _, tc := range []struct {
		method, path, user, pass string
		want                     int
		body                     string
	}{
		{"GET", jar, MavenUser, "s3cret-password", http.StatusOK, "jar bytes"},
		{"GET", jar + ".sha1", MavenUser, "s3cret-password", http.StatusOK, hex.EncodeToString(sum[:])},
		{"GET", jar, "", "", http.StatusUnauthorized, ""},
		{"GET", jar, MavenUser, "wrong", http.StatusUnauthorized, ""},
		{"PUT", jar, MavenUser, "s3cret-password", http.StatusMethodNotAllowed, ""},
		{"GET", "/v2/", "", "", http.StatusTeapot, ""},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 100)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.body != "" && tc.body != string(body[:n])) {
			t.Errorf("%s %s as %q: %d %q, want %d %q", tc.method, tc.path, tc.user, resp.StatusCode, body[:n], tc.want, tc.body)
		}
		if tc.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("%s %s: a 401 without a Basic challenge", tc.method, tc.path)
		}
	}
	if err := checkMavenRepo(http.DefaultClient, strings.TrimPrefix(srv.URL, "http://")); err != nil {
		t.Errorf("checkMavenRepo on a serve with the repository: %v", err)
	}
	old := httptest.NewServer(registry)
	defer old.Close()
	if err := checkMavenRepo(http.DefaultClient, strings.TrimPrefix(old.URL, "http://")); err == nil {
		t.Error("checkMavenRepo passed a serve without the repository")
	}
}

func writeTemp(t *testing.T, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
