package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// SchemaVersion is the version of the JSON report; it changes only when a field changes
// meaning or goes away (new fields keep it).
const SchemaVersion = 1

// PredicateType is the in-toto predicate type of the report attached to an image as an attestation.
const PredicateType = "https://github.com/hardenedbuild/hardened/attestations/check/v1"

// Status is a check's verdict.
type Status string

const (
	StatusPass   Status = "pass"
	StatusFail   Status = "fail"
	StatusSkip   Status = "skip"
	StatusWaived Status = "waived"
)

// Evidence is one thing a check found: a file, a config field, a layer.
type Evidence struct {
	Path   string    `json:"path,omitempty"`
	Field  string    `json:"field,omitempty"`
	Layer  *LayerRef `json:"layer,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// Waiver is set on evidence an ignore-file entry covers.
	Waiver *WaiverRef `json:"waiver,omitempty"`

	history int // 1 + the history index the evidence comes from, 0 for none
	// capped evidence counts for at most capAt: a result with nothing else fails at the highest
	// cap among its evidence (a release ending soon warns; a world-writable file outside the
	// application is medium where one inside it is high).
	capped bool
	capAt  Severity
}

// atMost caps what a piece of evidence counts for.
func (e Evidence) atMost(s Severity) Evidence { e.capped, e.capAt = true, s; return e }

// LayerRef names a layer by its position (0 is the bottom) and its diff id.
type LayerRef struct {
	Index  int    `json:"index"`
	Digest string `json:"digest,omitempty"`
}

// WaiverRef is the waiver that covers a piece of evidence.
type WaiverRef struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
	Source  string `json:"source,omitempty"`
}

// Where is the evidence's location in one phrase: the path or the field.
func (e Evidence) Where() string {
	if e.Path != "" {
		return e.Path
	}
	return e.Field
}

func (e Evidence) String() string {
	s := e.Where()
	if e.Detail != "" {
		if s != "" {
			s += ": "
		}
		s += e.Detail
	}
	if e.Layer != nil {
		s += fmt.Sprintf(" (layer %d)", e.Layer.Index)
	}
	return s
}

// Result is one check's verdict on one image.
type Result struct {
	Check
	Status Status `json:"status"`
	// Message says in one line what was found, or why the check passed or was skipped.
	Message  string     `json:"message"`
	Evidence []Evidence `json:"evidence,omitempty"`
	// Omitted counts evidence left out past the per-check limit.
	Omitted int        `json:"omitted,omitempty"`
	Waived  []Evidence `json:"waived,omitempty"`
}

// Failing says whether the result counts against the image.
func (r Result) Failing() bool { return r.Status == StatusFail }

// Report is the outcome of every check on one image.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	PredicateType string    `json:"predicateType"`
	Tool          Tool      `json:"tool"`
	Date          time.Time `json:"date"`
	Image         ImageInfo `json:"image"`
	// OnlyAdded names the base the report was narrowed to, when it was.
	OnlyAdded *ImageInfo     `json:"onlyAdded,omitempty"`
	Gate      Gate           `json:"gate"`
	Summary   Summary        `json:"summary"`
	Results   []Result       `json:"results"`
	Waivers   []WaiverStatus `json:"waivers,omitempty"`
	// ValidUntil is when the earliest waiver stops holding (the day after its expires date,
	// UTC), so admission can refuse a report that outlived its waivers; nil when none expires.
	ValidUntil      *time.Time       `json:"validUntil,omitempty"`
	Vulnerabilities *Vulnerabilities `json:"vulnerabilities,omitempty"`
	Comparison      *Comparison      `json:"comparison,omitempty"`
}

// Tool names what made the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	URI     string `json:"uri"`
}

// ImageInfo describes an image: what it is and how big.
type ImageInfo struct {
	Name       string     `json:"name,omitempty"`
	Digest     string     `json:"digest,omitempty"`
	Platform   string     `json:"platform,omitempty"`
	Created    *time.Time `json:"created,omitempty"`
	BaseName   string     `json:"baseName,omitempty"`
	BaseDigest string     `json:"baseDigest,omitempty"`
	LayerData  bool       `json:"layerData"`
	Stats      Stats      `json:"stats"`
}

// Stats are the numbers a comparison compares.
type Stats struct {
	Layers int `json:"layers"`
	Files  int `json:"files"`
	// Bytes is the size of the merged filesystem's regular files; LayerBytes the size of the
	// regular files in every layer (deleted and replaced ones included); CompressedBytes the sum
	// of the layer blobs. Zero means unknown.
	Bytes           int64 `json:"bytes"`
	LayerBytes      int64 `json:"layerBytes,omitempty"`
	CompressedBytes int64 `json:"compressedBytes,omitempty"`
	// Packages is -1 when the image has a package database the report cannot count (rpm).
	Packages       int    `json:"packages"`
	PackageManager string `json:"packageManager,omitempty"`
}

// Size is the best size known: every layer's files, else the merged files.
func (s Stats) Size() int64 {
	if s.LayerBytes > 0 {
		return s.LayerBytes
	}
	return s.Bytes
}

// Gate is the exit decision: FailOn is the lowest failing severity that fails it, or "none".
type Gate struct {
	FailOn  string   `json:"failOn"`
	Passed  bool     `json:"passed"`
	Reasons []string `json:"reasons,omitempty"`
}

// Summary counts results by status, and failing results by severity.
type Summary struct {
	Checks  int            `json:"checks"`
	Passed  int            `json:"passed"`
	Failed  int            `json:"failed"`
	Skipped int            `json:"skipped"`
	Waived  int            `json:"waived"`
	Failing SeverityCounts `json:"failing"`
}

// SeverityCounts counts results by severity.
type SeverityCounts struct {
	High   int `json:"high"`
	Medium int `json:"medium"`
	Low    int `json:"low"`
	Info   int `json:"info"`
}

// Of is the count for one severity.
func (c SeverityCounts) Of(s Severity) int {
	return [...]int{c.Info, c.Low, c.Medium, c.High}[s]
}

func (c *SeverityCounts) add(s Severity) {
	*[...]*int{&c.Info, &c.Low, &c.Medium, &c.High}[s]++
}

// Vulnerabilities are the CVE counts an external scanner reported.
type Vulnerabilities struct {
	Scanner string `json:"scanner"`
	// Unavailable says why no scan ran although one was asked for; the counts are then empty.
	Unavailable string `json:"unavailable,omitempty"`
	Critical    int    `json:"critical"`
	High        int    `json:"high"`
	Medium      int    `json:"medium"`
	Low         int    `json:"low"`
	Unknown     int    `json:"unknown"`
	// VEX is what signed VEX statements left out of the counts (hardened check --vulns --key);
	// absent when no VEX was read.
	VEX *VEXApplied `json:"vex,omitempty"`
}

// VEXApplied records the VEX a scan's counts honoured, so an auditor sees what was suppressed,
// on whose word and why.
type VEXApplied struct {
	// Key is the SHA-256 of the DER public key the documents' signatures verified with.
	Key        string          `json:"key"`
	Suppressed []VEXSuppressed `json:"suppressed"`
}

// VEXSuppressed is one finding a signed VEX statement left out of the counts.
type VEXSuppressed struct {
	ID              string `json:"id"`
	Package         string `json:"package"`
	Version         string `json:"version,omitempty"`
	Severity        string `json:"severity,omitempty"`
	Status          string `json:"status"`
	Justification   string `json:"justification,omitempty"`
	ImpactStatement string `json:"impactStatement,omitempty"`
	// Statement and Document are the OpenVEX @id of the statement (often empty) and its document.
	Statement string `json:"statement,omitempty"`
	Document  string `json:"document"`
	Author    string `json:"author"`
	Timestamp string `json:"timestamp,omitempty"`
	// Where is where the signed document was found beside the image.
	Where string `json:"where"`
}

// Total counts every vulnerability.
func (v *Vulnerabilities) Total() int {
	return v.Critical + v.High + v.Medium + v.Low + v.Unknown
}

// Comparison sets the image against another (Before) image.
type Comparison struct {
	Before                ImageInfo        `json:"before"`
	BeforeVulnerabilities *Vulnerabilities `json:"beforeVulnerabilities,omitempty"`
	// Reductions in percent of the before value, negative when the image grew.
	SizeReduction          float64  `json:"sizeReduction"`
	FileReduction          float64  `json:"fileReduction"`
	PackageReduction       *float64 `json:"packageReduction,omitempty"`
	VulnerabilityReduction *float64 `json:"vulnerabilityReduction,omitempty"`
}

// validUntil is the earliest instant a waiver with an expiry date stops holding.
func validUntil(ws []WaiverStatus) *time.Time {
	var first *time.Time
	for _, w := range ws {
		day, err := time.Parse(time.DateOnly, w.Expires)
		if err != nil {
			continue
		}
		if end := day.AddDate(0, 0, 1); first == nil || end.Before(*first) {
			first = &end
		}
	}
	return first
}

// JSON is the report as indented JSON, the documented schema.
func (r *Report) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// ReportJSON runs every check on a filesystem and config (and layers, when the caller has
// them; nil otherwise) and returns the JSON report, as a build attaches it to its image.
func ReportJSON(ctx context.Context, fsys FS, img *dockerspec.DockerOCIImage, layers Layers, opts ...Option) ([]byte, error) {
	r, err := Run(ctx, &Target{FS: fsys, Config: img, Layers: layers}, opts...)
	if err != nil {
		return nil, err
	}
	return r.JSON()
}

// platformString formats an image's platform as os/arch[/variant].
func platformString(img *dockerspec.DockerOCIImage) string {
	parts := []string{img.OS, img.Architecture}
	if img.Variant != "" {
		parts = append(parts, img.Variant)
	}
	if parts[0] == "" && parts[1] == "" {
		return ""
	}
	return strings.Join(parts, "/")
}
