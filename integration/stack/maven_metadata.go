package stack

import (
	"archive/zip"
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The maven-metadata.xml files a repository manager (Central, Nexus, Artifactory) serves and Debian's maven-repo
// lacks: Maven reads a group's to turn a goal prefix (dependency:go-offline) into a plugin of a plugin group,
// and an artifact's to pick a version the pom does not name (the plugin's release, else its latest).

// mavenMetadata is one maven-metadata.xml: an artifact's versions, a group's plugin prefixes, or both where a
// group's path is also an artifact's (org/apache/maven/plugins is the group and org.apache.maven:plugins).
type mavenMetadata struct {
	XMLName    xml.Name         `xml:"metadata"`
	GroupID    string           `xml:"groupId,omitempty"`
	ArtifactID string           `xml:"artifactId,omitempty"`
	Versioning *mavenVersioning `xml:"versioning,omitempty"`
	Plugins    *mavenPlugins    `xml:"plugins,omitempty"`
}

type mavenPlugins struct {
	Plugin []mavenPluginName `xml:"plugin"`
}

type mavenVersioning struct {
	Latest      string   `xml:"latest"`
	Release     string   `xml:"release,omitempty"`
	Versions    []string `xml:"versions>version"`
	LastUpdated string   `xml:"lastUpdated"`
}

type mavenPluginName struct {
	Name       string `xml:"name"`
	Prefix     string `xml:"prefix"`
	ArtifactID string `xml:"artifactId"`
}

// writeMavenMetadata writes maven-metadata.xml, with its .sha1, into every artifact directory of the repository
// dir (one that holds <version>/<artifactId>-<version>.pom) and into every group directory holding a plugin
// (a jar with META-INF/maven/plugin.xml), as a repository manager publishes them. now is lastUpdated.
func writeMavenMetadata(dir string, now time.Time) error {
	versions := map[string][]string{} // artifact directory -> its versions
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".pom") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		versionDir := path.Dir(filepath.ToSlash(rel)) // group/artifact/version
		artifactDir, version := path.Dir(versionDir), path.Base(versionDir)
		if path.Base(rel) == path.Base(artifactDir)+"-"+version+".pom" && path.Dir(artifactDir) != "." {
			versions[artifactDir] = append(versions[artifactDir], version)
		}
		return err
	})
	if err != nil {
		return err
	}
	files := map[string]*mavenMetadata{}
	get := func(d string) *mavenMetadata {
		if files[d] == nil {
			files[d] = &mavenMetadata{}
		}
		return files[d]
	}
	for artifactDir, vs := range versions {
		slices.SortFunc(vs, compareMavenVersions)
		m := get(artifactDir)
		m.GroupID = strings.ReplaceAll(path.Dir(artifactDir), "/", ".")
		m.ArtifactID = path.Base(artifactDir)
		m.Versioning = &mavenVersioning{Latest: vs[len(vs)-1], Versions: vs, LastUpdated: now.UTC().Format("20060102150405")}
		for _, v := range slices.Backward(vs) {
			if !strings.HasSuffix(v, "-SNAPSHOT") {
				m.Versioning.Release = v
				break
			}
		}
		if p, ok, err := pluginName(filepath.Join(dir, artifactDir), m.ArtifactID, vs); err != nil {
			return err
		} else if ok {
			g := get(path.Dir(artifactDir))
			if g.Plugins == nil {
				g.Plugins = &mavenPlugins{}
			}
			g.Plugins.Plugin = append(g.Plugins.Plugin, p)
		}
	}
	for d, m := range files {
		if m.Plugins != nil {
			slices.SortFunc(m.Plugins.Plugin, func(a, b mavenPluginName) int { return cmp.Compare(a.ArtifactID, b.ArtifactID) })
		}
		data, err := xml.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		data = append([]byte(xml.Header), append(data, '\n')...)
		if err := writeWithSHA1(filepath.Join(dir, d, "maven-metadata.xml"), data); err != nil {
			return err
		}
	}
	return nil
}

// pluginName reads the goal prefix and name from the plugin descriptor of the newest version with a jar; ok is
// false for an artifact that is not a Maven plugin.
func pluginName(artifactDir, artifactID string, versions []string) (mavenPluginName, bool, error) {
	for _, v := range slices.Backward(versions) {
		jar := filepath.Join(artifactDir, v, artifactID+"-"+v+".jar")
		if _, err := os.Stat(jar); err != nil {
			continue
		}
		var desc struct {
			Name       string `xml:"name"`
			GoalPrefix string `xml:"goalPrefix"`
		}
		found, err := readZipXML(jar, "META-INF/maven/plugin.xml", &desc)
		if err != nil || !found || desc.GoalPrefix == "" {
			return mavenPluginName{}, false, err
		}
		return mavenPluginName{Name: desc.Name, Prefix: desc.GoalPrefix, ArtifactID: artifactID}, true, nil
	}
	return mavenPluginName{}, false, nil
}

// readZipXML decodes the XML file name of the zip archive into v; found is false when the archive has none.
func readZipXML(archive, name string, v any) (found bool, err error) {
	z, err := zip.OpenReader(archive)
	if err != nil {
		return false, err
	}
	defer z.Close()
	f, err := z.Open(name)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	return true, xml.NewDecoder(io.LimitReader(f, 1<<20)).Decode(v)
}

// writeWithSHA1 writes data, readable by all, with its SHA-1 beside it in <name>.sha1 as repositories publish
// it (Maven warns of each download it cannot check).
func writeWithSHA1(name string, data []byte) error {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		return err
	}
	sum := sha1.Sum(data)
	return os.WriteFile(name+".sha1", []byte(hex.EncodeToString(sum[:])), 0o644)
}

// compareMavenVersions orders versions as Maven does (its "Version Order Specification"): numbers numerically,
// qualifiers alpha < beta < milestone < rc < snapshot < release < sp < any other, a missing part as 0 or
// release, so 1.0 = 1, 1-alpha-1 < 1 < 1-sp and 3.x < 3.9.9. Equal orderings fall back to the text.
func compareMavenVersions(a, b string) int {
	return cmp.Or(mavenVersionOrder(a, b), cmp.Compare(a, b))
}

// mavenVersionOrder is Maven's order of two versions: 0 where Maven takes them as the same version.
func mavenVersionOrder(a, b string) int {
	x, y := mavenVersionItems(a), mavenVersionItems(b)
	for i := range max(len(x), len(y)) {
		var p, q mavenVersionItem
		if i < len(x) {
			p = x[i]
		}
		if i < len(y) {
			q = y[i]
		}
		if c := p.compare(q); c != 0 {
			return c
		}
	}
	return 0
}

// mavenVersionItem is a number (num, with no leading zeros) or a qualifier's rank and text; the zero value is
// a missing part.
type mavenVersionItem struct {
	isNum bool
	num   string
	rank  int
	text  string
}

// mavenQualifiers rank the known qualifiers; release (the empty qualifier) is releaseRank.
var mavenQualifiers = map[string]int{"alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3, "m": 3, "rc": 4, "cr": 4,
	"snapshot": 5, "ga": releaseRank, "final": releaseRank, "release": releaseRank, "sp": 7}

const releaseRank, otherRank = 6, 8

func (p mavenVersionItem) compare(q mavenVersionItem) int {
	switch {
	case p.isNum && q.isNum:
		return cmp.Or(cmp.Compare(len(p.num), len(q.num)), cmp.Compare(p.num, q.num))
	case p.isNum && q.rank == 0: // a number against a missing part, which counts as 0
		return cmp.Compare(p.num, "")
	case p.isNum: // a number is newer than any qualifier
		return 1
	case q.isNum:
		return -q.compare(p)
	}
	return cmp.Or(cmp.Compare(p.rankOrRelease(), q.rankOrRelease()), cmp.Compare(p.text, q.text))
}

// rankOrRelease is the qualifier's rank; a missing part (rank 0) counts as a release.
func (p mavenVersionItem) rankOrRelease() int {
	if p.rank == 0 {
		return releaseRank
	}
	return p.rank
}

// mavenVersionItems splits a version at dots, hyphens and changes between digits and letters, and drops the
// trailing parts that mean nothing (1.0.0 is 1, 2.0-final is 2). An empty part is 0.
func mavenVersionItems(v string) []mavenVersionItem {
	v = strings.ToLower(v)
	var items []mavenVersionItem
	start := 0
	for i := 0; i <= len(v); i++ {
		sep := i < len(v) && (v[i] == '.' || v[i] == '-')
		change := i > start && i < len(v) && !sep && isDigit(v[i]) != isDigit(v[i-1])
		if i < len(v) && !sep && !change {
			continue
		}
		items = append(items, newMavenVersionItem(v[start:i]))
		start = i
		if sep {
			start = i + 1
		}
	}
	for len(items) > 0 && items[len(items)-1].isNull() {
		items = items[:len(items)-1]
	}
	return items
}

func newMavenVersionItem(part string) mavenVersionItem {
	if part == "" || isDigit(part[0]) {
		return mavenVersionItem{isNum: true, num: strings.TrimLeft(part, "0")}
	}
	if rank, ok := mavenQualifiers[part]; ok {
		return mavenVersionItem{rank: rank}
	}
	return mavenVersionItem{rank: otherRank, text: part}
}

// isNull says whether the part means nothing at the end of a version: 0 or a release qualifier.
func (p mavenVersionItem) isNull() bool {
	return p.isNum && p.num == "" || !p.isNum && p.rank == releaseRank
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
