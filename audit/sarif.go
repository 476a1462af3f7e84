package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// SARIF 2.1.0, as much of it as code-scanning UIs read: rules with help and severities, one
// result per piece of evidence with a location, suppressions for waived evidence.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// docsURI is where each rule's help lives; the anchor is the check id in lower case.
	docsURI = "https://github.com/hardenedbuild/hardened/blob/main/docs/check.md"
	// configURI is the location of evidence about the image config rather than a file.
	configURI = "image-config.json"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	HelpURI              string         `json:"helpUri"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifLevel     `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifLevel struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool   `json:"executionSuccessful"`
	EndTimeUTC          string `json:"endTimeUtc"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical     `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLoc `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogicalLoc struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// sarifLevelOf maps a severity to a SARIF level: high and medium fail, low warns, info notes.
func sarifLevelOf(s Severity) string {
	switch s {
	case High, Medium:
		return "error"
	case Low:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning sorts security alerts by.
func securitySeverity(s Severity) string {
	return [...]string{"2.0", "3.5", "5.5", "8.0"}[s]
}

// SARIF renders the report as a SARIF 2.1.0 log.
func (r *Report) SARIF() ([]byte, error) {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: r.Tool.Name, Version: r.Tool.Version, InformationURI: r.Tool.URI}},
		Invocations: []sarifInvocation{{
			ExecutionSuccessful: true,
			EndTimeUTC:          r.Date.UTC().Format(time.RFC3339),
		}},
		Results: []sarifResult{},
		Properties: map[string]any{
			"image":       r.Image.Name,
			"imageDigest": r.Image.Digest,
			"gatePassed":  r.Gate.Passed,
		},
	}
	// Rules are every check in the report, so a rule's index is its result's position.
	for _, res := range r.Results {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(res.Check))
	}
	for i, res := range r.Results {
		for _, ev := range res.Evidence {
			run.Results = append(run.Results, r.sarifResultOf(i, res, ev))
		}
		for _, ev := range res.Waived {
			sr := r.sarifResultOf(i, res, ev)
			sr.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: waiverLine(ev.Waiver)}}
			run.Results = append(run.Results, sr)
		}
	}
	out, err := json.MarshalIndent(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func sarifRuleOf(c Check) sarifRule {
	tags := []string{"security", "container", "hardening"}
	for _, m := range c.Mappings.CIS {
		tags = append(tags, "CIS-Docker-"+m)
	}
	tags = append(tags, c.Mappings.Dockle...)
	tags = append(tags, c.Mappings.Hadolint...)
	tags = append(tags, c.Mappings.Trivy...)
	help := fmt.Sprintf("%s\n\nLooks at: %s\n\nSeverity: %s. See %s#%s", c.Rationale, c.How, c.Severity, docsURI, strings.ToLower(c.ID))
	props := map[string]any{
		"tags":              tags,
		"precision":         "high",
		"problem.severity":  sarifLevelOf(c.Severity),
		"security-severity": securitySeverity(c.Severity),
	}
	if c.Catalogue != "" {
		props["catalogue"] = c.Catalogue
	}
	return sarifRule{
		ID:                   c.ID,
		Name:                 ruleName(c.Title),
		ShortDescription:     sarifText{Text: c.Title},
		FullDescription:      sarifText{Text: c.Rationale},
		HelpURI:              docsURI + "#" + strings.ToLower(c.ID),
		Help:                 sarifText{Text: help, Markdown: help},
		DefaultConfiguration: sarifLevel{Level: sarifLevelOf(c.Severity)},
		Properties:           props,
	}
}

// pathURI makes an image path a relative URI reference: segments escaped, and no first
// segment that would read as a scheme.
func pathURI(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	uri := strings.Join(segs, "/")
	if strings.Contains(segs[0], ":") {
		uri = "./" + uri
	}
	return uri
}

// ruleName is a title in PascalCase, the form SARIF viewers expect of a rule name.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + strings.ToLower(w[1:]))
	}
	return b.String()
}

func (r *Report) sarifResultOf(ruleIndex int, res Result, ev Evidence) sarifResult {
	uri, logical := configURI, []sarifLogicalLoc(nil)
	if ev.Path != "" {
		uri = pathURI(ev.Path)
	}
	if ev.Field != "" {
		logical = []sarifLogicalLoc{{Name: ev.Field, FullyQualifiedName: ev.Field, Kind: "member"}}
	}
	msg := fmt.Sprintf("%s: %s", res.Title, ev.String())
	if r.Image.Name != "" {
		msg += " in " + r.Image.Name
	}
	sum := sha256.Sum256([]byte(res.ID + "\x00" + ev.Path + "\x00" + ev.Field + "\x00" + ev.Detail))
	sr := sarifResult{
		RuleID:              res.ID,
		RuleIndex:           ruleIndex,
		Level:               sarifLevelOf(res.Severity),
		Message:             sarifText{Text: msg},
		Locations:           []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}, Region: sarifRegion{StartLine: 1}}, LogicalLocations: logical}},
		PartialFingerprints: map[string]string{"hardenedFinding/v1": hex.EncodeToString(sum[:16])},
	}
	if ev.Layer != nil {
		sr.Properties = map[string]any{"layer": ev.Layer.Index, "layerDigest": ev.Layer.Digest}
	}
	return sr
}
