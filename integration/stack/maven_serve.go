package stack

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// The Maven repository the stack serves beside the registry, on the same address, as a company's mirror is
// reached: over HTTP with a user and password, which a build gets from a settings.xml passed as a build secret.
const (
	mavenRepoPath = "/maven2/"
	// MavenUser is the user the Maven repository accepts; its password is made anew by each serve.
	MavenUser = "hardened-ci"
)

// newMavenPassword is a random password for one serve's Maven repository, so a test can search outputs for it.
func newMavenPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "m2-" + hex.EncodeToString(b), nil
}

// mavenRepoHandler serves the files of dir (a link Up points at the repository in the cache) under
// mavenRepoPath to GET and HEAD requests that carry MavenUser and password by basic authentication, and next
// serves everything else. Without them it answers 401 with a challenge, as repository managers do.
func mavenRepoHandler(dir, password string, next http.Handler) http.Handler {
	files := http.StripPrefix(strings.TrimSuffix(mavenRepoPath, "/"), http.FileServer(http.Dir(dir)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, mavenRepoPath) {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != MavenUser || subtle.ConstantTimeCompare([]byte(pass), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="hardened stack Maven repository"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read only", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// linkMavenRepo points STATE/maven-repo at the repository dir, replacing the link in one rename.
func linkMavenRepo(stateDir, dir string) error {
	link := filepath.Join(stateDir, "maven-repo")
	if cur, err := os.Readlink(link); err == nil && cur == dir {
		return nil
	}
	tmp := link + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(dir, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// checkMavenRepo says whether the registry's address also serves the Maven repository: a serve started before
// the stack had one does not, and is restarted.
func checkMavenRepo(client *http.Client, registry string) error {
	resp, err := client.Get("http://" + registry + mavenRepoPath)
	if err != nil {
		return fmt.Errorf("maven repository: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("%s%s answers HTTP %d, not 401: the serve predates the Maven repository", registry, mavenRepoPath, resp.StatusCode)
	}
	return nil
}
