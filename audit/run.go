package audit

import (
	"context"
	"fmt"
	"sort"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// maxEvidence bounds the evidence one result lists; the rest is counted in Omitted.
const maxEvidence = 500

// Default budgets of HX-MIN-SIZE.
const (
	DefaultMaxBytes  = 1_000_000_000
	DefaultMaxLayers = 20
)

// Option changes what Run does.
type Option func(*options)

type options struct {
	only        map[string]bool
	base        *Target
	waivers     []Waiver
	now         time.Time
	failOn      Severity
	noGate      bool
	maxBytes    int64
	maxLayers   int
	vulns       *Vulnerabilities
	compare     *Comparison
	toolVersion string
	// describeOnly skips what only checks need (the secret search of every layer).
	describeOnly bool
	// runTest is the build's own test of the image (WithRunTest).
	runTest *RunTest
	// lazy reads the directories the checks look into, when they do, instead of walking the whole tree.
	lazy bool
}

// WithChecks runs only the named checks (ids or catalogue numbers).
func WithChecks(ids ...string) Option {
	return func(o *options) {
		o.only = map[string]bool{}
		for _, id := range ids {
			if c, ok := LookupCheck(id); ok {
				o.only[c.ID] = true
			}
		}
	}
}

// OnlyAdded narrows the report to what the image adds over base: files its own layers wrote,
// its own history; the config is always the image's own. The base also anchors HX-SUPPLY-BASE.
func OnlyAdded(base *Target) Option { return func(o *options) { o.base = base } }

// WithWaivers applies an ignore file's waivers.
func WithWaivers(ws ...Waiver) Option {
	return func(o *options) { o.waivers = append(o.waivers, ws...) }
}

// WithTime sets the report's date and the day waivers expire against (default: now).
func WithTime(t time.Time) Option { return func(o *options) { o.now = t } }

// FailOn sets the lowest severity whose failure fails the gate (default High).
func FailOn(s Severity) Option { return func(o *options) { o.failOn, o.noGate = s, false } }

// NoGate makes the gate pass whatever fails.
func NoGate() Option { return func(o *options) { o.noGate = true } }

// WithBudget sets HX-MIN-SIZE's limits; zero keeps a default.
func WithBudget(maxBytes int64, maxLayers int) Option {
	return func(o *options) {
		if maxBytes > 0 {
			o.maxBytes = maxBytes
		}
		if maxLayers > 0 {
			o.maxLayers = maxLayers
		}
	}
}

// WithVulnerabilities adds an external scanner's counts; HX-SCAN-VULNS is skipped without them.
func WithVulnerabilities(v *Vulnerabilities) Option { return func(o *options) { o.vulns = v } }

// CompareWith sets the image against a before image, described by Describe.
func CompareWith(before ImageInfo, beforeVulns *Vulnerabilities) Option {
	return func(o *options) { o.compare = &Comparison{Before: before, BeforeVulnerabilities: beforeVulns} }
}

// WithToolVersion records the version of the program that made the report.
func WithToolVersion(v string) Option { return func(o *options) { o.toolVersion = v } }

func (o *options) selected(id string) bool { return o.only == nil || o.only[id] }

// searchesLayers says whether the layers' contents are searched for secrets; their listings
// are read anyway, for evidence attribution and sizes.
func (o *options) searchesLayers() bool {
	return !o.describeOnly && (o.selected("HX-SEC-FILES") || o.selected("HX-SEC-CONTENT") || o.selected("HX-SEC-LAYERS"))
}

// Run audits one image with every check (or those WithChecks names) and returns the report.
// It fails only when the image cannot be read; findings are in the report.
func Run(ctx context.Context, t *Target, opts ...Option) (*Report, error) {
	o := &options{failOn: High, maxBytes: DefaultMaxBytes, maxLayers: DefaultMaxLayers, toolVersion: "0.0.0-dev"}
	for _, opt := range opts {
		opt(o)
	}
	if o.now.IsZero() {
		o.now = time.Now()
	}
	var baseInfo *ImageInfo
	if o.base != nil {
		info, err := Describe(ctx, o.base)
		if err != nil {
			return nil, fmt.Errorf("reading the base image %s: %w", o.base.Name, err)
		}
		baseInfo = &info
	}
	f, err := newFacts(ctx, t, o)
	if err != nil {
		return nil, err
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		PredicateType: PredicateType,
		Tool:          Tool{Name: "hardened", Version: o.toolVersion, URI: "https://github.com/hardenedbuild/hardened"},
		Date:          o.now.UTC(),
		OnlyAdded:     baseInfo,
	}
	if !o.lazy { // a lazy run checks a few paths; describing the image would read more
		r.Image = f.describe()
	}
	for _, c := range registry {
		if !o.selected(c.ID) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.Results = append(r.Results, f.evaluate(c))
		if f.err != nil {
			return nil, f.err
		}
	}
	r.Waivers = applyWaivers(r.Results, o.waivers, o.now)
	r.ValidUntil = validUntil(r.Waivers)
	for i := range r.Results {
		capSeverity(&r.Results[i])
		capEvidence(&r.Results[i])
	}
	r.Vulnerabilities = o.vulns
	if o.compare != nil {
		r.Comparison = o.compare.complete(r.Image.Stats, o.vulns)
	}
	r.Summary = summarize(r.Results)
	r.Gate = gate(r, o)
	return r, nil
}

// evaluate runs one check and narrows its evidence to what the image adds, when asked.
func (f *facts) evaluate(c Check) Result {
	res := Result{Check: c}
	if c.NeedsLayers && f.layers == nil {
		res.Status, res.Message = StatusSkip, "skipped: layer data not available"
		return res
	}
	out := c.run(f)
	if out.skip != "" {
		res.Status, res.Message = StatusSkip, "skipped: "+out.skip
		return res
	}
	ev := out.evidence
	if f.base != nil && len(ev) > 0 {
		var own []Evidence
		for _, e := range ev {
			if f.added(e) {
				own = append(own, e)
			}
		}
		if len(own) == 0 {
			res.Status = StatusPass
			res.Message = fmt.Sprintf("nothing added over the base (%s only in the base)", plural(len(ev), "finding", "findings"))
			return res
		}
		if len(own) < len(ev) {
			out.message += fmt.Sprintf(" (%d more only in the base)", len(ev)-len(own))
		}
		ev = own
	}
	sortEvidence(ev)
	res.Message, res.Evidence = out.message, ev
	res.Status = StatusPass
	if len(ev) > 0 {
		res.Status = StatusFail
	}
	return res
}

func sortEvidence(ev []Evidence) {
	sort.SliceStable(ev, func(i, j int) bool {
		a, b := ev[i], ev[j]
		if (a.Path == "") != (b.Path == "") {
			return a.Path == "" // config fields first
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		li, lj := -1, -1
		if a.Layer != nil {
			li = a.Layer.Index
		}
		if b.Layer != nil {
			lj = b.Layer.Index
		}
		return li < lj
	})
}

// capSeverity lowers a failing result to the highest cap of its evidence (after waivers) when
// every piece of it is capped.
func capSeverity(r *Result) {
	if r.Status != StatusFail {
		return
	}
	highest := Info
	for _, ev := range r.Evidence {
		if !ev.capped {
			return
		}
		highest = max(highest, ev.capAt)
	}
	r.Severity = min(r.Severity, highest)
}

func capEvidence(r *Result) {
	if len(r.Evidence) > maxEvidence {
		r.Omitted = len(r.Evidence) - maxEvidence
		r.Evidence = r.Evidence[:maxEvidence]
	}
}

func summarize(results []Result) Summary {
	s := Summary{Checks: len(results)}
	for _, r := range results {
		switch r.Status {
		case StatusPass:
			s.Passed++
		case StatusFail:
			s.Failed++
			s.Failing.add(r.Severity)
		case StatusSkip:
			s.Skipped++
		case StatusWaived:
			s.Waived++
		}
	}
	return s
}

func gate(r *Report, o *options) Gate {
	g := Gate{FailOn: o.failOn.String(), Passed: true}
	if o.noGate {
		g.FailOn = "none"
		return g
	}
	for sev := High; sev >= o.failOn; sev-- {
		if n := r.Summary.Failing.Of(sev); n > 0 {
			g.Reasons = append(g.Reasons, fmt.Sprintf("%s failing", plural(n, sev.String()+" check", sev.String()+" checks")))
		}
	}
	for _, w := range r.Waivers {
		if w.Status == WaiverExpired {
			g.Reasons = append(g.Reasons, fmt.Sprintf("the waiver of %s at %s expired on %s", w.ID, w.Source, w.Expires))
		}
	}
	g.Passed = len(g.Reasons) == 0
	return g
}

// describe sums up the image being checked.
func (f *facts) describe() ImageInfo {
	if f.info != nil {
		return *f.info
	}
	info := describeFiles(f.t, f.cfg, f.files)
	if f.layers != nil {
		info.LayerData = true
		if info.Stats.Layers == 0 {
			info.Stats.Layers = len(f.layers.entries)
		}
		for _, b := range f.layers.bytes {
			info.Stats.LayerBytes += b
		}
	}
	pk := f.packages()
	info.Stats.Packages, info.Stats.PackageManager = pk.count(), pk.manager
	f.info = &info
	return info
}

// Describe sums up an image for a comparison: size, files, packages.
func Describe(ctx context.Context, t *Target) (ImageInfo, error) {
	f, err := newFacts(ctx, t, &options{describeOnly: true})
	if err != nil {
		return ImageInfo{}, err
	}
	info := f.describe()
	if f.err != nil {
		return ImageInfo{}, f.err
	}
	return info, nil
}

func describeFiles(t *Target, cfg *dockerspec.DockerOCIImage, files []Entry) ImageInfo {
	info := ImageInfo{
		Name:       t.Name,
		Digest:     t.Digest,
		Platform:   platformString(cfg),
		Created:    cfg.Created,
		BaseName:   cfg.Config.Labels[LabelBaseName],
		BaseDigest: cfg.Config.Labels[LabelBaseDigest],
	}
	info.Stats.Layers = len(cfg.RootFS.DiffIDs)
	info.Stats.CompressedBytes = t.CompressedSize
	for _, e := range files {
		if !e.Mode.IsDir() {
			info.Stats.Files++
		}
		if e.Mode.IsRegular() {
			info.Stats.Bytes += e.Size
		}
	}
	return info
}

// complete fills in the reductions once the after image is known.
func (c *Comparison) complete(after Stats, afterVulns *Vulnerabilities) *Comparison {
	out := *c
	out.SizeReduction = reduction(float64(c.Before.Stats.Size()), float64(after.Size()))
	out.FileReduction = reduction(float64(c.Before.Stats.Files), float64(after.Files))
	if c.Before.Stats.Packages >= 0 && after.Packages >= 0 && c.Before.Stats.PackageManager != "" {
		v := reduction(float64(c.Before.Stats.Packages), float64(after.Packages))
		out.PackageReduction = &v
	}
	if c.BeforeVulnerabilities != nil && afterVulns != nil && c.BeforeVulnerabilities.Unavailable == "" && afterVulns.Unavailable == "" {
		v := reduction(float64(c.BeforeVulnerabilities.Total()), float64(afterVulns.Total()))
		out.VulnerabilityReduction = &v
	}
	return &out
}

func reduction(before, after float64) float64 {
	if before == 0 {
		return 0
	}
	v := (before - after) / before * 100
	return float64(int64(v*10+sign(v)*0.5)) / 10 // one decimal, rounded half away from zero
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}
