package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKMulIntoMatchesVecDot multiplies K-quant matrices by batches of every
// size up to 9, which MulInto splits into groups of four rows (VecDot4) and
// single rows, and checks every output against VecDot bit for bit. The
// widest matrix has activation rows so long that MulInto takes them four at
// a time (activationCache).
func TestKMulIntoMatchesVecDot(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, typ := range []Type{Q4_K, Q5_K, Q6_K} {
		o, _ := OpsFor(typ)
		if o.VecDot4 == nil {
			t.Fatalf("%s: no VecDot4", typ)
		}
		for _, shape := range []struct{ rows, cols, minBatch int }{{6, 3 * qkK, 1}, {2, 256 * qkK, 9}} {
			checkMulInto(t, r, typ, shape.rows, shape.cols, shape.minBatch, o.VecDot)
		}
	}
}

// checkMulInto multiplies a random rows×cols matrix of type typ by batches
// of minBatch to 9 random activation rows and checks every output against
// single, the one-row kernel the product must reproduce, bit for bit.
func checkMulInto(t *testing.T, r *rand.Rand, typ Type, rows, cols, minBatch int, single func(n int, w, x []byte) float32) {
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
	for n := minBatch; n <= 9; n++ {
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
