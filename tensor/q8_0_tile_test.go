package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestTileMatchesVecDot checks the tile kernels of each weight format
// against the format's lanes8 dot product product by product, in both
// layouts: split, in AVX2 where the CPU has it and in Go, and VNNI, in
// AVX-512 where the CPU has it and in Go. Weight rows are packed tightly or
// apart, quants are at the extremes (-128 included), and each kernel must
// write only its results.
func TestTileMatchesVecDot(t *testing.T) {
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(41, 42))
	pool := NewPool(2)
	defer pool.Close()
	formats := []struct {
		f    *tileFormat
		want func(n int, w, x []byte) float32
	}{{&q8_0Tile, vecDotQ8_0Generic}, {&q5_0Tile, vecDotQ5_0Generic}, {&iq4nlTile, batchDotIQ4_NLGeneric}}
	for _, format := range formats {
		f := format.f
		for _, n := range testLengths {
			for trial := range 20 {
				testTile(t, r, pool, f, format.want, n, trial)
			}
		}
	}
}

// testTile checks the tile kernels of format f, against want, on one random
// case of n columns.
func testTile(t *testing.T, r *rand.Rand, pool *Pool, f *tileFormat, want func(n int, w, x []byte) float32, n, trial int) {
	t.Helper()
	const pad = 3
	kernels := []struct {
		name      string
		vnni, asm bool
	}{{"split/AVX2", false, true}, {"split/Go", false, false}, {"VNNI/AVX512", true, true}, {"VNNI/Go", true, false}}
	rowBytes := n / legacyBlock * q8_0Bytes
	wRowBytes := n / legacyBlock * f.blockBytes
	wStride := wRowBytes + r.IntN(2)*(1+r.IntN(100))
	w := make([]byte, wStride+wRowBytes)
	copy(w, randomLegacyBlocks(r, n, f.blockBytes, 2))
	copy(w[wStride:], randomLegacyBlocks(r, n, f.blockBytes, 2))
	rows := q8TileColsVNNI + r.IntN(4)
	var xq []byte
	for range rows {
		xq = append(xq, randomLegacyBlocks(r, n, q8_0Bytes, 2)...)
	}
	outStride := q8TileRows + r.IntN(4)
	for _, kernel := range kernels {
		if kernel.asm && (!useAVX2 || kernel.vnni && !hasAVX512()) {
			continue
		}
		useAVX512 = kernel.vnni
		var s q8Split
		s.set(pool, xq, rows, n/legacyBlock)
		if s.vnni != kernel.vnni {
			t.Fatalf("%s: layout VNNI %v", kernel.name, s.vnni)
		}
		first := r.IntN(rows - s.cols + 1)
		buf := make([]float32, pad+(s.cols-1)*outStride+q8TileRows+pad)
		for i := range buf {
			buf[i] = -7
		}
		out := buf[pad : len(buf)-pad]
		if kernel.asm {
			tile(f, w, wStride, &s, first, out, outStride)
		} else {
			tileGeneric(f, w, wStride, &s, first, out, outStride)
		}
		written := map[int]bool{}
		for c := range s.cols {
			for row := range q8TileRows {
				got, exp := out[c*outStride+row], want(n, w[row*wStride:], xq[(first+c)*rowBytes:])
				if !sameBits(got, exp) {
					t.Fatalf("%s %s: n=%d trial %d: weight row %d, activation row %d = %g, want %g", f.typ, kernel.name, n, trial, row, first+c, got, exp)
				}
				written[pad+c*outStride+row] = true
			}
		}
		for i, v := range buf {
			if !written[i] && v != -7 {
				t.Fatalf("%s %s: n=%d trial %d: wrote %g at %d, outside its results", f.typ, kernel.name, n, trial, v, i-pad)
			}
		}
	}
}

// TestRowsQ8_0MatchesVecDot checks generation's Q8_0 kernel for
// activations in the VNNI layout, in AVX-512 where the CPU has it and in Go,
// against vecDotQ8_0Generic row by row, with weight rows packed tightly or
// apart, quants at the extremes (-128 included), and that it writes only
// its results.
func TestRowsQ8_0MatchesVecDot(t *testing.T) {
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(45, 46))
	pool := NewPool(1)
	defer pool.Close()
	for _, n := range testLengths {
		for trial := range 20 {
			rowBytes := n / legacyBlock * q8_0Bytes
			stride := rowBytes + r.IntN(2)*(1+r.IntN(100))
			rows := 1 + r.IntN(6)
			w := make([]byte, (rows-1)*stride+rowBytes)
			for row := range rows {
				copy(w[row*stride:], randomLegacyBlocks(r, n, q8_0Bytes, 2))
			}
			x := randomLegacyBlocks(r, n, q8_0Bytes, 2)
			useAVX512 = true
			var s q8Split
			s.set(pool, x, 1, n/legacyBlock)
			for _, asm := range []bool{false, true} {
				if asm && !hasAVX512() {
					continue
				}
				out := make([]float32, rows+1)
				out[rows] = -7
				if asm {
					rowsQ8_0(w, stride, rows, &s, out[:rows])
				} else {
					rowsQ8_0Generic(w, stride, rows, &s, out[:rows])
				}
				for row := range rows {
					if got, want := out[row], vecDotQ8_0Generic(n, w[row*stride:], x); !sameBits(got, want) {
						t.Fatalf("asm %v: n=%d trial %d row %d: %g, want %g", asm, n, trial, row, got, want)
					}
				}
				if out[rows] != -7 {
					t.Fatalf("asm %v: n=%d trial %d: wrote past its results", asm, n, trial)
				}
			}
		}
	}
}

// BenchmarkTileQ8_0 compares, per product of one 4096-value block row, the
// tile kernel (two weight rows by five activation rows, eight with VNNI)
// with the two-by-four
// kernel it replaces for prompts; both report the time of a single product
// (ns/product).
func BenchmarkTileQ8_0(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(9, 10))
	rowBytes := n / legacyBlock * q8_0Bytes
	w := randomLegacyBlocks(r, 2*n, q8_0Bytes, 2)
	var xq []byte
	cols := q8TileCols()
	for range cols {
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
	s.set(pool, xq, cols, n/legacyBlock)
	out := make([]float32, q8TileRows*cols)
	perProduct := func(b *testing.B, products int) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*products), "ns/product")
	}
	b.Run("tile", func(b *testing.B) {
		for b.Loop() {
			tile(&q8_0Tile, w, rowBytes, &s, 0, out, q8TileRows)
		}
		perProduct(b, q8TileRows*cols)
	})
	b.Run("dot2x4", func(b *testing.B) {
		for b.Loop() {
			vecDot2x4Q8_0(n, w, rowBytes, xq, rowBytes, out, 2)
		}
		perProduct(b, 8)
	})
}
