package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/hardenedbuild/hardened/integration/stack"
)

// Results is bench/results/latest.json.
type Results struct {
	Date     string       `json:"date"`
	Runs     int          `json:"runs"`
	CIRuns   int          `json:"ci_runs"`
	Machine  Machine      `json:"machine"`
	Frontend FrontendInfo `json:"frontend"`
	// PeerFrontend is the docker/dockerfile:1 image variant S names.
	PeerFrontend *FrontendInfo     `json:"peer_frontend,omitempty"`
	Examples     []*ExampleResults `json:"examples"`
	// ConvertSeconds is the conversion micro-benchmark per example (parse, convert, marshal; no gateway).
	ConvertSeconds map[string]float64 `json:"convert_seconds,omitempty"`
	Goals          []Goal             `json:"goals"`
}

// ExampleResults are one example's figures.
type ExampleResults struct {
	Name string `json:"name"`
	// Dir is the app's directory in the repository (examples/<name> when empty, as in older results).
	Dir       string  `json:"dir,omitempty"`
	Toolchain string  `json:"toolchain"`
	Cases     []*Case `json:"cases"`
	// Images are the warm builds of A, B and C.
	Images map[string]*ImageStats `json:"images,omitempty"`
	// ImageWithoutProbe is A built without its healthcheck.http probe (example.Probe), like B.
	ImageWithoutProbe *ImageStats `json:"image_a_without_probe,omitempty"`
	// DeployDelta is what a node running the image before a one-line change pulls to run the image after it.
	DeployDelta map[string]int64 `json:"deploy_delta_bytes,omitempty"`
	Overhead    *Overhead        `json:"frontend_overhead,omitempty"`
	// FirstOp names each variant's first builder operation, where the overhead is read.
	FirstOp map[string]string `json:"first_op,omitempty"`
}

type Machine struct {
	CPUs     int    `json:"cpus"`
	MemoryMB int64  `json:"memory_mb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	BuildKit string `json:"buildkit"`
	Buildx   string `json:"buildx"`
}

type FrontendInfo struct {
	Source string      `json:"source"`
	Digest string      `json:"digest"`
	Image  *ImageStats `json:"image"`
}

// Overhead compares when the first builder operation starts: A (through the frontend) against B (the builtin
// Dockerfile frontend), both counted from the moment buildx is launched.
type Overhead struct {
	Case      string  `json:"case"`
	AFirstOp  float64 `json:"a_first_op_seconds"`
	BFirstOp  float64 `json:"b_first_op_seconds"`
	OverheadS float64 `json:"overhead_seconds"`
	// FrontendStart is the part of the overhead BuildKit spends starting the frontend container.
	FrontendStart float64 `json:"frontend_start_seconds,omitempty"`
	// SFirstOp and PeerFrontendStart are the same figures for S (B's Dockerfile through docker/dockerfile:1).
	SFirstOp          float64 `json:"s_first_op_seconds,omitempty"`
	PeerFrontendStart float64 `json:"peer_frontend_start_seconds,omitempty"`
}

type Goal struct {
	Example string `json:"example,omitempty"`
	Goal    string `json:"goal"`
	Target  string `json:"target"`
	Value   string `json:"value"`
	Met     bool   `json:"met"`
	// Info marks a figure the goals ask to be shown, with no target to meet.
	Info bool `json:"info,omitempty"`
	// Why names the explanation of a miss (the why table); Note is a miss's own detail.
	Why  string `json:"why,omitempty"`
	Note string `json:"note,omitempty"`
}

func machine(ctx context.Context, st *stack.Stack, root string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(firstLine(string(data)), "MemTotal:"), "%d", &kb)
		m.MemoryMB = kb / 1024
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	m.BuildKit = requiredVersion(filepath.Join(root, "tools", "buildkit", "go.mod"), "github.com/moby/buildkit")
	m.Buildx = requiredVersion(filepath.Join(root, "tools", "buildx", "go.mod"), "github.com/docker/buildx")
	return m
}

// requiredVersion reads the version a tools module pins (the daemon reports v0.0.0+unknown when built that way).
func requiredVersion(gomod, module string) string {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "require "))
		if len(f) >= 2 && f[0] == module {
			return f[1]
		}
	}
	return "unknown"
}

func writeJSON(file string, res *Results) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(data, '\n'), 0o644)
}

func median[T ~int64 | ~float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	// The lower middle: an integer median stays an observed value.
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2
}

func human(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
