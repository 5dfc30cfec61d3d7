package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestTileQ8_0MatchesVecDot checks the tile kernel, in AVX2 and AVX-512
// where the CPU has them and in Go, against vecDotQ8_0Generic product by product, with
// weight rows packed tightly or apart, quants at the extremes (-128
// included), and that it writes only its ten results.
func TestTileQ8_0MatchesVecDot(t *testing.T) {
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(41, 42))
	pool := NewPool(2)
	defer pool.Close()
	const pad = 3
	for _, n := range testLengths {
		for trial := range 20 {
			rowBytes := n / legacyBlock * q8_0Bytes
			wStride := rowBytes + r.IntN(2)*(1+r.IntN(100))
			w := make([]byte, wStride+rowBytes)
			copy(w, randomLegacyBlocks(r, n, q8_0Bytes, 2))
			copy(w[wStride:], randomLegacyBlocks(r, n, q8_0Bytes, 2))
			rows := q8TileCols + r.IntN(4)
			var xq []byte
			for range rows {
				xq = append(xq, randomLegacyBlocks(r, n, q8_0Bytes, 2)...)
			}
			var s q8Split
			s.set(pool, xq, rows, n/legacyBlock)
			first := r.IntN(rows - q8TileCols + 1)
			outStride := q8TileRows + r.IntN(4)
			for _, kernel := range []struct {
				name string
				tile func(w []byte, wStride int, s *q8Split, first int, out []float32, outStride int)
			}{{"tileQ8_0", tileQ8_0}, {"tileQ8_0/AVX512", tileQ8_0}, {"tileQ8_0Generic", tileQ8_0Generic}} {
				if kernel.name == "tileQ8_0/AVX512" && !hasAVX512() {
					continue
				}
				useAVX512 = kernel.name == "tileQ8_0/AVX512"
				buf := make([]float32, pad+(q8TileCols-1)*outStride+q8TileRows+pad)
				for i := range buf {
					buf[i] = -7
				}
				out := buf[pad : len(buf)-pad]
				kernel.tile(w, wStride, &s, first, out, outStride)
				written := map[int]bool{}
				for c := range q8TileCols {
					for row := range q8TileRows {
						want := vecDotQ8_0Generic(n, w[row*wStride:], xq[(first+c)*rowBytes:])
						got := out[c*outStride+row]
						if !sameBits(got, want) {
							t.Fatalf("%s: n=%d trial %d: weight row %d, activation row %d = %g, want %g", kernel.name, n, trial, row, first+c, got, want)
						}
						written[pad+c*outStride+row] = true
					}
				}
				for i, v := range buf {
					if !written[i] && v != -7 {
						t.Fatalf("%s: n=%d trial %d: wrote %g at %d, outside its results", kernel.name, n, trial, v, i-pad)
					}
				}
			}
		}
	}
}

// BenchmarkTileQ8_0 compares, per product of one 4096-value block row, the
// tile kernel (two weight rows by five activation rows) with the two-by-four
// kernel it replaces for prompts; both report the time of a single product
// (ns/product).
func BenchmarkTileQ8_0(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(9, 10))
	rowBytes := n / legacyBlock * q8_0Bytes
	w := randomLegacyBlocks(r, 2*n, q8_0Bytes, 2)
	var xq []byte
	for range q8TileCols {
		xq = append(xq, randomLegacyBlocks(r, n, q8_0Bytes, 2)...)
	}
	for i := range xq { // without -128, which sends dot2x4 to its twin
		if xq[i] == 0x80 {
			xq[i] = 0x81
		}
	}
	pool := NewPool(1)
	defer pool.Close()
	var s q8Split
	s.set(pool, xq, q8TileCols, n/legacyBlock)
	out := make([]float32, 2*q8TileCols)
	perProduct := func(b *testing.B, products int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*products), "ns/product")
	}
	b.Run("tile2x5", func(b *testing.B) {
		for b.Loop() {
			tileQ8_0(w, rowBytes, &s, 0, out, q8TileRows)
		}
		perProduct(b, q8TileRows*q8TileCols)
	})
	b.Run("dot2x4", func(b *testing.B) {
		for b.Loop() {
			vecDot2x4Q8_0(n, w, rowBytes, xq, rowBytes, out, 2)
		}
		perProduct(b, 8)
	})
}
