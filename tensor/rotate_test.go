package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRotateMatchesGo checks RotatePairs, RotateHalves and ScaleMul in
// assembly against their Go twins, bit for bit, on every length up to 40
// (whole eights and the values after them), with the values of
// randomActivations (huge, tiny, infinite, NaN) mixed in.
func TestRotateMatchesGo(t *testing.T) {
	requireAsm(t)
	defer func() { useAVX2 = true }()
	r := rand.New(rand.NewPCG(63, 64))
	twice := func(f func() []float32) (asm, twin []float32) {
		useAVX2 = true
		asm = f()
		useAVX2 = false
		twin = f()
		useAVX2 = true
		return asm, twin
	}
	for n := 0; n <= 40; n++ {
		for trial := range 8 {
			x := randomActivations(r, 2*n)
			angles := make([]float32, n)
			for i := range angles {
				angles[i] = float32(r.Float64() * 1000)
			}
			cs, sc, cos, sin := make([]float32, 2*n), make([]float32, 2*n), make([]float32, n), make([]float32, n)
			for i, a := range angles {
				s, c := math.Sincos(float64(a))
				cos[i], sin[i] = float32(c), float32(s)
				cs[2*i], cs[2*i+1] = cos[i], sin[i]
				sc[2*i], sc[2*i+1] = sin[i], cos[i]
			}
			w := randomActivations(r, 2*n)
			s := float32(r.NormFloat64())
			for name, f := range map[string]func() []float32{
				"RotatePairs": func() []float32 { y := slices.Clone(x); RotatePairs(y, cs, sc); return y },
				"RotateHalves": func() []float32 {
					y := slices.Clone(x)
					RotateHalves(y[:n], y[n:], cos, sin)
					return y
				},
				"ScaleMul": func() []float32 { y := make([]float32, 2*n); ScaleMul(y, x, w, s); return y },
			} {
				asm, twin := twice(f)
				for i := range asm {
					if !sameBits(asm[i], twin[i]) {
						t.Fatalf("%s, %d values, trial %d: value %d is %g in assembly, %g in Go", name, 2*n, trial, i, asm[i], twin[i])
					}
				}
			}
		}
	}
}

// TestRotatePairsRotates checks the arithmetic itself on one pair: a
// quarter turn of (1, 2) is (-2, 1).
func TestRotatePairsRotates(t *testing.T) {
	x := []float32{1, 2}
	RotatePairs(x, []float32{0, 1}, []float32{1, 0})
	if x[0] != -2 || x[1] != 1 {
		t.Fatalf("a quarter turn of (1, 2) gave %v", x)
	}
}

// BenchmarkRotate compares RotatePairs, RotateHalves and ScaleMul in
// assembly with their Go twins on a row of 2048 values.
func BenchmarkRotate(b *testing.B) {
	const n = 2048
	r := rand.New(rand.NewPCG(65, 66))
	x, cs, w := randomRow(r, n), randomRow(r, n), randomRow(r, n)
	dst := make([]float32, n)
	defer func(old bool) { useAVX2 = old }(useAVX2)
	for _, asm := range []bool{true, false} {
		name := "go"
		if asm {
			name = "asm"
		}
		run := func(b *testing.B, f func()) {
			if asm {
				requireAsm(b)
			}
			useAVX2 = asm
			b.SetBytes(4 * n)
			for b.Loop() {
				f()
			}
		}
		b.Run("pairs/"+name, func(b *testing.B) { run(b, func() { RotatePairs(x, cs, w) }) })
		b.Run("halves/"+name, func(b *testing.B) { run(b, func() { RotateHalves(x[:n/2], x[n/2:], cs, w) }) })
		b.Run("scalemul/"+name, func(b *testing.B) { run(b, func() { ScaleMul(dst, x, w, 0.5) }) })
	}
}
