package vulns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
)

// maxOutput bounds a scanner's JSON report.
const maxOutput = 256 << 20

// Scanners are the supported scanners, in the order Find prefers them.
var Scanners = []string{"trivy", "grype"}

// ErrNoScanner says no supported scanner is on PATH.
var ErrNoScanner = errors.New("neither trivy nor grype is on PATH")

// Scanner is a scanner found on PATH.
type Scanner struct {
	Name string
	Path string
}

// Find looks for a scanner on PATH: the one named, or the first of Scanners found.
func Find(name string) (Scanner, error) {
	names := Scanners
	if name != "" {
		names = []string{name}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return Scanner{Name: n, Path: p}, nil
		}
	}
	if name != "" {
		return Scanner{}, fmt.Errorf("%s is not on PATH", name)
	}
	return Scanner{}, ErrNoScanner
}

// Args are the scanner's arguments to scan a source and print JSON.
func (s Scanner) Args(src image.Source, platform string) ([]string, error) {
	switch s.Name {
	case "trivy":
		args := []string{"image", "--quiet", "--format", "json", "--scanners", "vuln"}
		if platform != "" && src.Kind == image.Registry {
			args = append(args, "--platform", platform)
		}
		if src.Kind == image.Registry {
			return append(args, src.Ref), nil
		}
		return append(args, "--input", src.Ref), nil
	case "grype":
		args := []string{"-o", "json", "-q"}
		if platform != "" && src.Kind == image.Registry {
			args = append(args, "--platform", platform)
		}
		scheme := map[image.Kind]string{
			image.Registry: "registry:", image.Layout: "oci-dir:",
			image.OCIArchive: "oci-archive:", image.DockerArchive: "docker-archive:",
		}[src.Kind]
		if scheme == "" {
			return nil, fmt.Errorf("grype cannot read a %s", src.Kind)
		}
		return append(args, scheme+src.Ref), nil
	}
	return nil, fmt.Errorf("unknown scanner %q", s.Name)
}

// Scan runs the scanner on a source and returns what it reports, one finding per
// (vulnerability, package, version); Count counts them.
func (s Scanner) Scan(ctx context.Context, src image.Source, platform string) ([]Finding, error) {
	args, err := s.Args(src, platform)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, s.Path, args...)
	var stdout limited
	var stderr bytes.Buffer
	stdout.max = maxOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("%s %s: %w: %s", s.Name, strings.Join(args, " "), err, msg)
	}
	if stdout.over {
		return nil, fmt.Errorf("%s printed more than %d bytes", s.Name, maxOutput)
	}
	return Findings(s.Name, stdout.Bytes())
}

// limited is a buffer that stops growing at max.
type limited struct {
	bytes.Buffer
	max  int
	over bool
}

func (l *limited) Write(p []byte) (int, error) {
	if l.Len()+len(p) > l.max {
		l.over = true
		return len(p), nil
	}
	return l.Buffer.Write(p)
}

// Finding is one vulnerability of one package, as a scanner reported it.
type Finding struct {
	ID, Package, Version, Severity string
}

// Parse reads a scanner's JSON report and counts its findings.
func Parse(scanner string, data []byte) (*audit.Vulnerabilities, error) {
	fs, err := Findings(scanner, data)
	if err != nil {
		return nil, err
	}
	return Count(scanner, fs), nil
}

// Findings reads a scanner's JSON report: each (vulnerability, package, version) once, though a
// scanner may list it once per file.
func Findings(scanner string, data []byte) ([]Finding, error) {
	var fs []Finding
	var err error
	switch scanner {
	case "trivy":
		fs, err = trivyFindings(data)
	case "grype":
		fs, err = grypeFindings(data)
	default:
		return nil, fmt.Errorf("unknown scanner %q", scanner)
	}
	if err != nil {
		return nil, err
	}
	seen := map[Finding]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := Finding{ID: f.ID, Package: f.Package, Version: f.Version}
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// ParseReport reads a Trivy (schema version 2) or Grype JSON report, telling which by its
// fields, and returns its findings and the scanner's name.
func ParseReport(data []byte) ([]Finding, string, error) {
	var probe struct {
		SchemaVersion *int
		Matches       json.RawMessage `json:"matches"`
	}
	if err := decode(data, &probe); err != nil {
		return nil, "", fmt.Errorf("reading the scan report: %w", err)
	}
	switch {
	case probe.SchemaVersion != nil:
		fs, err := Findings("trivy", data)
		return fs, "trivy", err
	case probe.Matches != nil:
		fs, err := Findings("grype", data)
		return fs, "grype", err
	}
	return nil, "", errors.New("reading the scan report: neither trivy's JSON (SchemaVersion) nor grype's (matches); write it with trivy --format json or grype -o json")
}

// Count counts findings by severity, grype's negligible as low.
func Count(scanner string, fs []Finding) *audit.Vulnerabilities {
	v := &audit.Vulnerabilities{Scanner: scanner}
	for _, f := range fs {
		switch strings.ToLower(f.Severity) {
		case "critical":
			v.Critical++
		case "high":
			v.High++
		case "medium":
			v.Medium++
		case "low", "negligible":
			v.Low++
		default:
			v.Unknown++
		}
	}
	return v
}

// trivyFindings reads `trivy image --format json` (schema version 2).
func trivyFindings(data []byte) ([]Finding, error) {
	var r struct {
		SchemaVersion int
		Results       []struct {
			Target          string
			Vulnerabilities []struct {
				VulnerabilityID  string
				PkgName          string
				InstalledVersion string
				Severity         string
			}
		}
	}
	if err := decode(data, &r); err != nil {
		return nil, fmt.Errorf("reading trivy's JSON: %w", err)
	}
	if r.SchemaVersion != 2 {
		return nil, fmt.Errorf("reading trivy's JSON: schema version %d, want 2", r.SchemaVersion)
	}
	var out []Finding
	for _, res := range r.Results {
		for _, v := range res.Vulnerabilities {
			out = append(out, Finding{v.VulnerabilityID, v.PkgName, v.InstalledVersion, v.Severity})
		}
	}
	return out, nil
}

// grypeFindings reads `grype -o json`.
func grypeFindings(data []byte) ([]Finding, error) {
	var r struct {
		Matches *[]struct {
			Vulnerability struct {
				ID       string `json:"id"`
				Severity string `json:"severity"`
			} `json:"vulnerability"`
			Artifact struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"artifact"`
		} `json:"matches"`
	}
	if err := decode(data, &r); err != nil {
		return nil, fmt.Errorf("reading grype's JSON: %w", err)
	}
	if r.Matches == nil {
		return nil, errors.New("reading grype's JSON: no matches field")
	}
	var out []Finding
	for _, m := range *r.Matches {
		out = append(out, Finding{m.Vulnerability.ID, m.Artifact.Name, m.Artifact.Version, m.Vulnerability.Severity})
	}
	return out, nil
}

func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty output")
		}
		return err
	}
	return nil
}
