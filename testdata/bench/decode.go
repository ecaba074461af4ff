package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// pageDecode is the time to decode a 100-row transactions page: basiq's
// decoder (one strict pass, the tolerant reader as its fallback) and a
// plain json.Unmarshal of the same body into the same types, ns.
type pageDecode struct{ ours, plain float64 }

// decodePage runs the client's BenchmarkDecodePage100 count times (the two
// alternate within each) and takes each side's median.
func decodePage(module string, count int) (pageDecode, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "DecodePage100", "-count", strconv.Itoa(count), "./basiq/")
	cmd.Dir = module
	out, err := cmd.CombinedOutput()
	if err != nil {
		return pageDecode{}, fmt.Errorf("decode benchmark: %v: %s", err, out)
	}
	runs := map[string][]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		name, rest, ok := strings.Cut(line, "BenchmarkDecodePage100/")
		if !ok || name != "" {
			continue
		}
		f := strings.Fields(rest)
		for i := 1; i < len(f); i++ {
			if f[i] == "ns/op" {
				v, _ := strconv.ParseFloat(f[i-1], 64)
				side := strings.Split(f[0], "-")[0]
				runs[side] = append(runs[side], v)
			}
		}
	}
	median := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	d := pageDecode{ours: median(runs["ours"]), plain: median(runs["plain"])}
	if d.ours == 0 || d.plain == 0 {
		return d, fmt.Errorf("decode benchmark printed no figures: %s", out)
	}
	return d, nil
}
