package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestTileQ8_0MatchesVecDot checks the tile kernel, in assembly where the
// CPU has it and in Go, against vecDotQ8_0Generic product by product, with
// weight rows packed tightly or apart, quants at the extremes (-128
// included), and that it writes only its ten results.
func TestTileQ8_0MatchesVecDot(t *testing.T) {
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
			s.set(pool, s.layOut, xq, rows, n/legacyBlock)
			first := r.IntN(rows - q8TileCols + 1)
			outStride := q8TileRows + r.IntN(4)
			for _, kernel := range []struct {
				name string
				tile func(w []byte, wStride int, s *q8Split, first int, out []float32, outStride int)
			}{{"tileQ8_0", tileQ8_0}, {"tileQ8_0Generic", tileQ8_0Generic}} {
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
