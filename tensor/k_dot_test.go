package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKMulIntoMatchesVecDot multiplies K-quant matrices by batches of every
// size up to 9, which MulInto hands to VecDotBatch (groups of eight, of four
// and single rows), and checks every output against VecDot bit for bit. The
// widest matrix has activation rows so long that MulInto takes them four at
// a time (activationCache).
func TestKMulIntoMatchesVecDot(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, typ := range []Type{Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS} {
		o, _ := OpsFor(typ)
		if o.VecDotBatch == nil {
			t.Fatalf("%s: no VecDotBatch", typ)
		}
		for _, shape := range []struct{ rows, cols, minBatch int }{{6, 3 * qkK, 1}, {2, 256 * qkK, 9}} {
			checkMulInto(t, r, typ, shape.rows, shape.cols, shape.minBatch, 9, o.VecDot)
		}
	}
}

// checkMulInto multiplies a random rows×cols matrix of type typ by batches
// of minBatch to maxBatch random activation rows and checks every output against
// single, the one-row kernel the product must reproduce, bit for bit.
func checkMulInto(t *testing.T, r *rand.Rand, typ Type, rows, cols, minBatch, maxBatch int, single func(n int, w, x []byte) float32) {
	t.Helper()
	pool := NewPool(2)
	defer pool.Close()
	w, _ := quantizedRow(t, r, typ, rows*cols)
	m, err := NewMatrix(typ, rows, cols, w)
	if err != nil {
		t.Fatal(err)
	}
	vt := m.ops.VecDotType
	vops, _ := OpsFor(vt)
	wRow, _ := typ.RowSize(cols)
	xRow, _ := vt.RowSize(cols)
	for n := minBatch; n <= maxBatch; n++ {
		x := randomRow(r, n*cols)
		var a Activations
		a.Set(x, n, cols)
		out := make([]float32, n*rows)
		m.MulInto(pool, out, &a)
		xq := make([]byte, n*xRow)
		for i := range n {
			vops.FromFloat(x[i*cols:(i+1)*cols], xq[i*xRow:(i+1)*xRow])
		}
		for i := range n {
			for row := range rows {
				want := single(cols, w[row*wRow:], xq[i*xRow:])
				if got := out[i*rows+row]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%s %dx%d, batch of %d: output %d of row %d = %g, want %g", typ, rows, cols, n, i, row, got, want)
				}
			}
		}
	}
}

// TestVecDotBatchMatchesVecDot checks every VecDotBatch against its VecDot,
// in AVX-512 where the CPU has it and in
// AVX2 or Go, for 0 to 21 activation rows (several groups of eight and of
// four, and the rows left over), packed tightly or apart, and that it
// writes only its results.
func TestVecDotBatchMatchesVecDot(t *testing.T) {
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(47, 48))
	for _, typ := range []Type{Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS, Q8_0, Q5_0, Q4_1, Q5_1} {
		o, _ := OpsFor(typ)
		batch, single := o.VecDotBatch, o.VecDot
		if batch == nil {
			t.Fatalf("%s: no batch kernel", typ)
		}
		n := 2 * qkK
		w, _ := quantizedRow(t, r, typ, n)
		for _, avx512 := range []bool{false, true} {
			if avx512 && !hasAVX512() {
				continue
			}
			useAVX512 = avx512
			for rows := range 22 {
				var x []byte
				stride := 0
				for range rows {
					_, xq := quantizedRow(t, r, typ, n)
					if stride == 0 {
						stride = len(xq) + r.IntN(2)*(1+r.IntN(50))
					}
					x = append(x, xq...)
					x = append(x, make([]byte, stride-len(xq))...)
				}
				outStride := 1 + r.IntN(3)
				out := make([]float32, rows*outStride+1)
				for i := range out {
					out[i] = -7
				}
				batch(n, w, x, stride, rows, out, outStride)
				for i, v := range out {
					switch {
					case i%outStride == 0 && i/outStride < rows:
						if want := single(n, w, x[i/outStride*stride:]); !sameBits(v, want) {
							t.Fatalf("%s AVX-512 %v, %d rows: row %d = %g, want %g", typ, avx512, rows, i/outStride, v, want)
						}
					case v != -7:
						t.Fatalf("%s AVX-512 %v, %d rows: wrote out[%d] = %g", typ, avx512, rows, i, v)
					}
				}
			}
		}
	}
}

// TestMulIntoDoesNotAllocate multiplies matrices of every kind of kernel
// (tiles, repacked rows, wide tiles, several-row and one-row kernels) by a
// batch whose size is no multiple of any kernel's rows, and checks that a
// product, once the batch's conversions exist, allocates nothing.
func TestMulIntoDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	pool := NewPool(2)
	defer pool.Close()
	const n, cols = 7, 512
	for _, c := range []struct {
		typ  Type
		rows int
	}{{Q8_0, 16}, {Q5_0, 16}, {IQ4_NL, 12}, {Q4_0, 16}, {Q4_K, 16}, {Q6_K, 16}, {Q3_K, 16}, {F16, 16}, {BF16, 16}, {Q4_1, 16}, {Q5_1, 16}, {Q2_K, 16}, {IQ4_XS, 16}} {
		w, _ := quantizedRow(t, r, c.typ, c.rows*cols)
		m, err := NewMatrix(c.typ, c.rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		var a Activations
		a.Set(randomRow(r, n*cols), n, cols)
		out := make([]float32, n*c.rows)
		m.MulInto(pool, out, &a)
		if allocs := testing.AllocsPerRun(10, func() { m.MulInto(pool, out, &a) }); allocs > 0 {
			t.Errorf("%s: a product allocates %.0f times", c.typ, allocs)
		}
	}
}
