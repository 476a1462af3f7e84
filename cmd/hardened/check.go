package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hardenedbuild/hardened/audit"
	"github.com/hardenedbuild/hardened/audit/image"
	"github.com/hardenedbuild/hardened/audit/vulns"
	"github.com/hardenedbuild/hardened/sign"
)

// Exit statuses of hardened check.
const (
	exitPass      = 0 // every check at or above --fail-on passed
	exitFail      = 1 // a check at or above --fail-on failed, or a waiver expired
	exitUsage     = 2 // bad flags or a bad ignore file
	exitNoVerdict = 3 // an image could not be read, or a requested scan could not run
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "0.0.0-dev"

// checkFlags are hardened check's options.
type checkFlags struct {
	format, output, failOn, ignore, onlyAdded, compare, scanner, platform, checks, maxSize string
	vulns, insecure                                                                        bool
	maxLayers                                                                              int
	// key verifies the VEX that --vulns applies (verify_vex.go).
	key    string
	vexKey *ecdsa.PublicKey
}

func newCheckFlags(stderr io.Writer) (*flag.FlagSet, *checkFlags) {
	fs := newFlagSet("hardened check", stderr)
	c := &checkFlags{}
	fs.StringVar(&c.format, "format", "text", "")
	fs.StringVar(&c.output, "o", "", "")
	fs.StringVar(&c.output, "output", "", "")
	fs.StringVar(&c.failOn, "fail-on", "high", "")
	fs.StringVar(&c.ignore, "ignore", "", "")
	fs.StringVar(&c.onlyAdded, "only-added", "", "")
	fs.StringVar(&c.compare, "compare", "", "")
	fs.BoolVar(&c.vulns, "vulns", false, "")
	fs.StringVar(&c.scanner, "scanner", "", "")
	fs.StringVar(&c.platform, "platform", "", "")
	fs.StringVar(&c.checks, "checks", "", "")
	fs.StringVar(&c.maxSize, "max-size", "", "")
	fs.IntVar(&c.maxLayers, "max-layers", 0, "")
	fs.BoolVar(&c.insecure, "insecure-registry", false, "")
	fs.StringVar(&c.key, "key", "", "")
	return fs, c
}

// parseInterspersed parses flags before and after the positional arguments, so
// `hardened check IMAGE --format json` works as users type it.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	var positional []string
	for {
		if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
			return nil, code, false
		}
		if fs.NArg() == 0 {
			return positional, 0, true
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func check(args []string, stdout, stderr io.Writer) int {
	fs, c := newCheckFlags(stderr)
	pos, code, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	opts, iopts, ok := c.options(len(pos), stderr)
	if !ok {
		return exitUsage
	}

	ctx := context.Background()
	status := exitPass
	noVerdict := func(err error) {
		fmt.Fprintf(stderr, "hardened check: %v\n", err)
		status = exitNoVerdict
	}
	load := func(arg string) (*audit.Target, image.Source, bool) {
		src, err := image.ParseSource(arg)
		if err == nil {
			src, err = image.Resolve(src)
		}
		if err != nil {
			noVerdict(err)
			return nil, src, false
		}
		t, err := image.LoadSource(ctx, src, iopts...)
		if err != nil {
			noVerdict(err)
			return nil, src, false
		}
		return t, src, true
	}

	target, src, ok := load(pos[0])
	if !ok {
		return status
	}
	if c.onlyAdded != "" {
		base, _, ok := load(c.onlyAdded)
		if !ok {
			return status
		}
		opts = append(opts, audit.OnlyAdded(base))
	}
	var scanner *vulns.Scanner
	if c.vulns {
		s, err := vulns.Find(c.scanner)
		if err != nil {
			noVerdict(fmt.Errorf("--vulns: %v; install one, or drop --vulns", err))
			opts = append(opts, audit.WithVulnerabilities(&audit.Vulnerabilities{Unavailable: err.Error()}))
		} else {
			scanner = &s
			opts = append(opts, audit.WithVulnerabilities(c.scan(ctx, s, src, target, stderr, noVerdict)))
		}
	}
	if c.compare != "" {
		other, otherSrc, ok := load(c.compare)
		if !ok {
			return status
		}
		before, err := audit.Describe(ctx, other)
		if err != nil {
			noVerdict(fmt.Errorf("%s: %w", c.compare, err))
			return status
		}
		var beforeVulns *audit.Vulnerabilities
		if scanner != nil {
			beforeVulns = c.scan(ctx, *scanner, otherSrc, other, stderr, noVerdict)
		}
		opts = append(opts, audit.CompareWith(before, beforeVulns))
	}

	report, err := audit.Run(ctx, target, opts...)
	if err != nil {
		noVerdict(fmt.Errorf("%s: %w", pos[0], err))
		return status
	}
	if err := writeReport(report, c.format, c.output, stdout); err != nil {
		noVerdict(err)
		return status
	}
	if status == exitPass && !report.Gate.Passed {
		status = exitFail
	}
	return status
}

// options are the audit's and the image loader's options the flags ask for; a usage error is
// written to stderr and gives ok false.
func (c *checkFlags) options(images int, stderr io.Writer) (opts []audit.Option, iopts []image.Option, ok bool) {
	usageErr := func(format string, a ...any) ([]audit.Option, []image.Option, bool) {
		fmt.Fprintf(stderr, "hardened check: "+format+"\n\n%s", append(a, usage)...)
		return nil, nil, false
	}
	if images != 1 {
		return usageErr("want exactly one image, got %d", images)
	}
	opts, err := c.auditOptions()
	if err != nil {
		return usageErr("%v", err)
	}
	switch c.format {
	case "text", "json", "sarif":
	default:
		return usageErr("unknown --format %q; write text, json or sarif", c.format)
	}
	if c.ignore != "" {
		ws, err := readWaivers(c.ignore)
		if err != nil {
			fmt.Fprintf(stderr, "hardened check: %v\n", err)
			return nil, nil, false
		}
		opts = append(opts, audit.WithWaivers(ws...))
	}
	iopts, err = c.imageOptions()
	if err != nil {
		return usageErr("%v", err)
	}
	if c.key != "" {
		if !c.vulns {
			return usageErr("--key verifies the VEX --vulns applies; add --vulns, or drop --key")
		}
		if c.vexKey, err = sign.LoadPublicKey(c.key, os.Getenv); err != nil {
			return usageErr("--key: %v", err)
		}
	}
	return opts, iopts, true
}

// scan runs the scanner and counts what no signed VEX rules out; a failure is reported and
// leaves the counts marked unavailable.
func (c *checkFlags) scan(ctx context.Context, s vulns.Scanner, src image.Source, t *audit.Target, stderr io.Writer, fail func(error)) *audit.Vulnerabilities {
	fs, err := s.Scan(ctx, src, c.platform)
	if err != nil {
		fail(fmt.Errorf("--vulns: %v", err))
		return &audit.Vulnerabilities{Scanner: s.Name, Unavailable: s.Name + " failed"}
	}
	kept, applied := c.applySignedVEX(ctx, src, t, fs, stderr)
	v := vulns.Count(s.Name, kept)
	v.VEX = applied
	return v
}

func (c *checkFlags) auditOptions() ([]audit.Option, error) {
	opts := []audit.Option{audit.WithToolVersion(version)}
	switch strings.ToLower(c.failOn) {
	case "none":
		opts = append(opts, audit.NoGate())
	default:
		s, err := audit.ParseSeverity(c.failOn)
		if err != nil {
			return nil, fmt.Errorf("--fail-on: %v, or none", err)
		}
		opts = append(opts, audit.FailOn(s))
	}
	if c.checks != "" {
		var ids []string
		for _, id := range strings.Split(c.checks, ",") {
			id = strings.TrimSpace(id)
			if _, ok := audit.LookupCheck(id); !ok {
				return nil, fmt.Errorf("--checks: unknown check %q", id)
			}
			ids = append(ids, id)
		}
		opts = append(opts, audit.WithChecks(ids...))
	}
	var maxBytes int64
	if c.maxSize != "" {
		n, err := parseSize(c.maxSize)
		if err != nil {
			return nil, fmt.Errorf("--max-size: %v", err)
		}
		maxBytes = n
	}
	if c.maxLayers < 0 {
		return nil, errors.New("--max-layers: want a positive number")
	}
	opts = append(opts, audit.WithBudget(maxBytes, c.maxLayers))
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		sec, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", epoch)
		}
		opts = append(opts, audit.WithTime(time.Unix(sec, 0)))
	}
	return opts, nil
}

func (c *checkFlags) imageOptions() ([]image.Option, error) {
	var opts []image.Option
	if c.platform != "" {
		p, err := v1.ParsePlatform(c.platform)
		if err != nil {
			return nil, fmt.Errorf("--platform: %v", err)
		}
		opts = append(opts, image.WithPlatform(*p))
	}
	if c.insecure {
		opts = append(opts, image.Insecure())
	}
	return opts, nil
}

// parseSize reads 500MB, 1GiB, 12345 (bytes).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.n
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a size like 500MB or 1GiB", s)
	}
	return int64(v * float64(mult)), nil
}

func readWaivers(name string) ([]audit.Waiver, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, err
	}
	return audit.ParseWaivers(name, data)
}

func writeReport(r *audit.Report, format, output string, stdout io.Writer) error {
	w := stdout
	if output != "" {
		f, err := os.Create(output)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	var err error
	switch format {
	case "json":
		var out []byte
		if out, err = r.JSON(); err == nil {
			_, err = w.Write(out)
		}
	case "sarif":
		var out []byte
		if out, err = r.SARIF(); err == nil {
			_, err = w.Write(out)
		}
	default:
		err = r.WriteText(w)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if f, ok := w.(*os.File); ok && output != "" {
		return f.Close()
	}
	return nil
}
