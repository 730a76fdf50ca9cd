package main

import (
	"fmt"
	"math"
	"sort"
)

// dist summarizes the successful runs of one measurement. Failed runs are
// counted, never folded into the figures.
type dist struct {
	ok, failed         int
	med, p90, min, max float64
}

// summarize is the distribution of xs (the successful runs' values).
func summarize(xs []float64, failed int) dist {
	d := dist{ok: len(xs), failed: failed, med: math.NaN(), p90: math.NaN(), min: math.NaN(), max: math.NaN()}
	if len(xs) == 0 {
		return d
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	d.min, d.max = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		d.med = s[n/2]
	} else {
		d.med = (s[n/2-1] + s[n/2]) / 2
	}
	d.p90 = s[int(math.Ceil(0.9*float64(len(s))))-1] // nearest rank
	return d
}

// num formats a figure with three significant digits or so.
func num(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "—"
	case v == math.Trunc(v) && a < 1e6:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// ratio is a/b as "×1.23", "—" when either is unknown or b is 0.
func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "—"
	}
	return fmt.Sprintf("×%.2f", a/b)
}
