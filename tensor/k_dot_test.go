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
	pool := NewPool(2)
	defer pool.Close()
	for _, typ := range []Type{Q4_K, Q5_K, Q6_K} {
		o, _ := OpsFor(typ)
		if o.VecDot4 == nil {
			t.Fatalf("%s: no VecDot4", typ)
		}
		for _, shape := range []struct{ rows, cols, minBatch int }{{6, 3 * qkK, 1}, {2, 256 * qkK, 9}} {
			rows, cols := shape.rows, shape.cols
			w, _ := quantizedRow(t, r, typ, rows*cols)
			m, err := NewMatrix(typ, rows, cols, w)
			if err != nil {
				t.Fatal(err)
			}
			wRow, _ := typ.RowSize(cols)
			xRow, _ := Q8_K.RowSize(cols)
			for n := shape.minBatch; n <= 9; n++ {
				x := randomRow(r, n*cols)
				var a Activations
				a.Set(x, n, cols)
				out := make([]float32, n*rows)
				m.MulInto(pool, out, &a)
				xq := make([]byte, n*xRow)
				quantizeQ8K(x, xq)
				for i := range n {
					for row := range rows {
						want := o.VecDot(cols, w[row*wRow:], xq[i*xRow:])
						if got := out[i*rows+row]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s %dx%d, batch of %d: output %d of row %d = %g, VecDot %g",
								typ, rows, cols, n, i, row, got, want)
						}
					}
				}
			}
		}
	}
}
