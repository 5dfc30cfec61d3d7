package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// wideKernel is the signature of Ops.BatchDotWide2x3 and BatchDotWide4x6.
type wideKernel = func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int)

// TestWideKernelsMatchBatchDot checks the F16 and BF16 kernels of two
// weight rows by three widened activation rows (in AVX2, in AVX-512 where
// the CPU has it and in Go) and of four by six (in AVX-512 where the CPU
// has it, else made of the former, and in Go), against the type's BatchDot
// of each weight row and each activation row, with special values mixed
// in, rows apart, and that each writes only its results.
func TestWideKernelsMatchBatchDot(t *testing.T) {
	requireAsm(t)
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(53, 54))
	for _, c := range []struct {
		typ   Type
		tiles *wideTiles
		row   func(n int, special bool) []byte
	}{
		{F16, &f16Wide, func(n int, special bool) []byte {
			b := make([]byte, 2*n)
			for k, h := range randomHalfRow(r, n, special) {
				binary.LittleEndian.PutUint16(b[2*k:], h)
			}
			return b
		}},
		{BF16, &bf16Wide, func(n int, special bool) []byte { return floatRow(r, BF16, n, special) }},
	} {
		o, _ := OpsFor(c.typ)
		wide4x6Go := func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int) {
			wide4x6By2x3(c.tiles.dot2x3Generic, n, w, wStride, x, xStride, out, outStride)
		}
		for _, shape := range []struct {
			rows, cols int
			asm, twin  wideKernel
		}{{2, 3, o.BatchDotWide2x3, c.tiles.dot2x3Generic}, {4, 6, o.BatchDotWide4x6, wide4x6Go}} {
			for _, n := range []int{0, 15, 16, 17, 48, 64, 160, 1000, 4096 + 48} {
				for trial := range 20 {
					testWide(t, r, o, c.row, shape.rows, shape.cols, shape.asm, shape.twin, n, trial)
				}
			}
		}
	}
}

// testWide checks one random case of TestWideKernelsMatchBatchDot for the
// kernels of rows weight rows by cols activation rows of a type whose Ops
// are o and whose random rows row makes.
func testWide(t *testing.T, r *rand.Rand, o *Ops, row func(n int, special bool) []byte, rows, cols int, asm, twin wideKernel, n, trial int) {
	t.Helper()
	special := trial%4 == 3
	wStride := 2*n + 2*r.IntN(2)*(1+r.IntN(20))
	w := make([]byte, (rows-1)*wStride+2*n)
	ws := make([][]byte, rows)
	for i := range ws {
		ws[i] = row(n, special)
		copy(w[i*wStride:], ws[i])
	}
	xStride := n + r.IntN(2)*(1+r.IntN(20))
	xs := make([][]byte, cols)
	x := make([]float32, (cols-1)*xStride+n)
	for j := range xs {
		xs[j] = row(n, special)
		o.ToFloat(xs[j], x[j*xStride:][:n])
	}
	outStride := rows + 1
	for _, name := range []string{"avx2", "avx512", "go"} {
		if name == "avx512" && !hasAVX512() {
			continue
		}
		useAVX512 = name == "avx512"
		kernel := asm
		if name == "go" {
			kernel = twin
		}
		out := make([]float32, cols*outStride)
		for k := range out {
			out[k] = -7
		}
		kernel(n, w, wStride, x, xStride, out, outStride)
		for k, v := range out {
			i, j := k%outStride, k/outStride
			if i >= rows {
				if v != -7 {
					t.Fatalf("%s %dx%d %s n=%d trial %d: wrote out[%d] = %g", o.Type, rows, cols, name, n, trial, k, v)
				}
				continue
			}
			if want := o.BatchDot(n, ws[i], xs[j]); !sameBits(v, want) {
				t.Fatalf("%s %dx%d %s n=%d trial %d: weight row %d, activation row %d: %g (%#x), BatchDot %g (%#x)", o.Type, rows, cols, name, n, trial, i, j, v, math.Float32bits(v), want, math.Float32bits(want))
			}
		}
	}
}

// TestWidenedFollowsType multiplies one batch by an F16 matrix, a BF16
// matrix and the F16 matrix again: each product must see its own type's
// widened activations, not the ones the batch widened for the matrix before.
func TestWidenedFollowsType(t *testing.T) {
	const rows, cols, n = 8, 64, 7
	r := rand.New(rand.NewPCG(59, 60))
	pool := NewPool(2)
	defer pool.Close()
	x := randomRow(r, n*cols)
	var shared Activations
	shared.Set(x, n, cols)
	for _, typ := range []Type{F16, BF16, F16} {
		w, _ := quantizedRow(t, r, typ, rows*cols)
		m, err := NewMatrix(typ, rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		var fresh Activations
		fresh.Set(x, n, cols)
		got, want := make([]float32, n*rows), make([]float32, n*rows)
		m.MulInto(pool, got, &shared)
		m.MulInto(pool, want, &fresh)
		for k := range got {
			if !sameBits(got[k], want[k]) {
				t.Fatalf("%s: output %d = %g after the other type's product, %g alone", typ, k, got[k], want[k])
			}
		}
	}
}
