package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestDotF16BatchRows checks DotF16BatchRows, in AVX2 and AVX-512 where the
// CPU has them and in Go, against DotF16Batch times the scale row by row:
// one to nine rows, packed tightly or apart, halves of every kind (random
// bits give infinities, NaNs and subnormals), and that it writes only its
// results.
func TestDotF16BatchRows(t *testing.T) {
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(45, 46))
	for _, n := range []int{16, 32, 64, 128, 512} {
		for trial := range 20 {
			rows := 1 + r.IntN(9)
			stride := n + r.IntN(2)*(1+r.IntN(40))
			x := make([]uint16, (rows-1)*stride+n)
			y16 := make([]uint16, n)
			if trial%2 == 0 {
				for i := range x {
					x[i] = uint16(r.Uint32())
				}
				for i := range y16 {
					y16[i] = uint16(r.Uint32())
				}
			} else {
				x, _ = randomHalves(r, len(x))
				y16, _ = randomHalves(r, n)
			}
			y := make([]float32, n)
			DecodeF16(y, y16)
			scale := []float32{1, 0.125, float32(r.NormFloat64())}[trial%3]
			for _, kernel := range []struct {
				name string
				rows func(x []uint16, stride int, y []float32, scale float32, out []float32)
			}{{"DotF16BatchRows", DotF16BatchRows}, {"DotF16BatchRows/AVX512", DotF16BatchRows}, {"dotF16BatchRowsGeneric", dotF16BatchRowsGeneric}} {
				if kernel.name == "DotF16BatchRows/AVX512" && !hasAVX512() {
					continue
				}
				useAVX512 = kernel.name == "DotF16BatchRows/AVX512"
				out := make([]float32, rows+1)
				out[rows] = -7
				kernel.rows(x, stride, y, scale, out[:rows])
				for row := range rows {
					want := DotF16Batch(x[row*stride:][:n], y16) * scale
					if !sameBits(out[row], want) {
						t.Fatalf("%s: n=%d trial %d, row %d of %d: %g, want %g", kernel.name, n, trial, row, rows, out[row], want)
					}
				}
				if out[rows] != -7 {
					t.Fatalf("%s: n=%d trial %d: wrote past its %d results", kernel.name, n, trial, rows)
				}
			}
		}
	}
}

// BenchmarkDotF16BatchRows compares attention's scores of one 128-value
// query against 512 keys in one call with DotF16Batch called per key.
func BenchmarkDotF16BatchRows(b *testing.B) {
	const n, rows = 128, 512
	r := rand.New(rand.NewPCG(47, 48))
	x, _ := randomHalves(r, rows*n)
	y16, _ := randomHalves(r, n)
	y := make([]float32, n)
	out := make([]float32, rows)
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			DecodeF16(y, y16)
			DotF16BatchRows(x, n, y, 0.125, out)
		}
	})
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			for j := range out {
				out[j] = DotF16Batch(x[j*n:(j+1)*n], y16) * 0.125
			}
		}
	})
}
