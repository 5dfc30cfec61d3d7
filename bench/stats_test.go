package bench

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMeanStdDev(t *testing.T) {
	for _, c := range []struct {
		xs       []float64
		mean, sd float64
	}{
		{nil, 0, 0},
		{[]float64{7}, 7, 0},
		{[]float64{3, 3, 3}, 3, 0},
		{[]float64{1, 3}, 2, math.Sqrt2},
		// Sample (n-1) deviation: sum of squares 32 over 7.
		{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7)},
	} {
		if m, sd := Mean(c.xs), StdDev(c.xs); math.Abs(m-c.mean) > 1e-12 || math.Abs(sd-c.sd) > 1e-12 {
			t.Errorf("%v: mean %g sd %g, want %g and %g", c.xs, m, sd, c.mean, c.sd)
		}
	}
}

// llama-bench computes the deviation as sqrt(Σx²/(n-1) - mean²·n/(n-1)); the
// two-pass form here is the same quantity, computed more stably.
func TestStdDevMatchesLlamaBenchFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 2; n < 20; n++ {
		xs := make([]float64, n)
		var sq float64
		for i := range xs {
			xs[i] = 100 + 10*rng.NormFloat64()
			sq += xs[i] * xs[i]
		}
		m, k := Mean(xs), float64(n)
		want := math.Sqrt(sq/(k-1) - m*m*k/(k-1))
		if got := StdDev(xs); math.Abs(got-want) > 1e-6*want {
			t.Errorf("n=%d: %g, llama-bench's formula %g", n, got, want)
		}
	}
}
