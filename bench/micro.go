package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// convertTimes runs the conversion micro-benchmark (convert_bench_test.go) and returns its time per example, in
// seconds: the frontend's own CPU work for one platform, without any gateway round trip.
func convertTimes(ctx context.Context, root string, exs []*example) (map[string]float64, error) {
	// Only the examples this run builds: another's conversion may be mid-change.
	var names []string
	for _, e := range exs {
		names = append(names, regexp.QuoteMeta(e.Name))
	}
	pattern := "^BenchmarkConvert$/^(" + strings.Join(names, "|") + ")$"
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", "200x", "./bench/")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench BenchmarkConvert: %w: %s", err, out)
	}
	res := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// BenchmarkConvert/go-2   200   656654 ns/op   136174 B/op   1464 allocs/op
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkConvert/") || f[3] != "ns/op" {
			continue
		}
		name := strings.TrimPrefix(f[0], "BenchmarkConvert/")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		ns, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		res[name] = ns / 1e9
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench BenchmarkConvert printed no result: %s", out)
	}
	return res, nil
}
