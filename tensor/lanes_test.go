package tensor

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The tests below restate each summation scheme of lanes.go plainly, from
// dequantized values and with fused multiply-adds computed in big floats,
// and check the kernels against them bit for bit. They are the specification
// that faster (SIMD) versions of the kernels must also meet.

// bigFMA is x·y+z rounded once to float32.
func bigFMA(x, y, z float32) float32 {
	p := new(big.Float).SetPrec(300).SetFloat64(float64(x))
	p.Mul(p, new(big.Float).SetFloat64(float64(y)))
	p.Add(p, new(big.Float).SetFloat64(float64(z)))
	f, _ := p.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randFloat := func(lo, hi int) float32 {
		return math.Float32frombits(r.Uint32()&0x807fffff | uint32(lo+r.IntN(hi-lo))<<23)
	}
	check := func(x, y, z float32) {
		t.Helper()
		if got, want := fma32(x, y, z), bigFMA(x, y, z); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", x, y, z, got, want)
		}
	}
	for range 200000 {
		check(randFloat(100, 150), randFloat(100, 150), randFloat(100, 150))
		check(randFloat(1, 30), randFloat(1, 30), randFloat(1, 10)) // subnormal results
	}
	// Exact ties and near ties between two float32s.
	for _, c := range [][3]float32{
		{0x1p-24, 1, 1}, {0x1p-24, 1 + 0x1p-23, 1}, {-0x1p-24, 1 + 0x1p-23, 1},
		{0x1.000002p-24, 1, 1}, {0x1.fffffep-25, 1, 1}, {-0x1.000002p-25, 1, 1},
		{3, 5, -15}, {0, 5, -0}, {float32(math.Copysign(0, -1)), 1, 0},
	} {
		check(c[0], c[1], c[2])
	}
	// (1+2⁻²³)·(2⁻²⁴-2⁻⁴⁷) = 2⁻²⁴-2⁻⁷⁰: added to 1+2⁻²³ it rounds in float64
	// to the float32 tie 1+2⁻²³+2⁻²⁴, which ties-to-even would take up to
	// 1+2⁻²², though the exact sum lies below the tie.
	x, y, z := float32(1+0x1p-23), float32(0x1.fffffep-25), float32(1+0x1p-23)
	if naive := float32(float64(x)*float64(y) + float64(z)); naive != 1+0x1p-22 {
		t.Fatalf("double rounding case gives %g without correction; the test needs another", naive)
	}
	check(x, y, z)
	check(-x, y, -z)
}

func TestSumOrders(t *testing.T) {
	// Values whose sum depends on the order: only the reference's tree
	// gives these results.
	a := [8]float32{1, 1e8, -1, -1e8, 3, 0, 0.5, 0}
	if got, want := sum8(&a), ((a[0]+a[4])+(a[2]+a[6]))+((a[1]+a[5])+(a[3]+a[7])); got != want {
		t.Errorf("sum8 = %g, want %g", got, want)
	}
	var b [16]float32
	for i := range b {
		b[i] = float32(i%3) * float32(math.Pow(10, float64(i%7)))
		if i%2 == 1 {
			b[i] = -b[i] + 0.25
		}
	}
	var h [8]float32
	for i := range h {
		h[i] = b[i] + b[i+8]
	}
	want := ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]))
	if got := sum16(&b); got != want {
		t.Errorf("sum16 = %g, want %g", got, want)
	}
}

// levels returns the integer levels of a row of one of the formats whose
// dequantized values are level·d exactly, and each block's d.
func levels(t *testing.T, typ Type, row []byte, n int) (lv []int32, d []float32) {
	t.Helper()
	v := make([]float32, n)
	if err := Dequantize(typ, row, v); err != nil {
		t.Fatal(err)
	}
	bs := typ.TypeSize()
	for b := range n / 32 {
		db := loadF16(row[b*bs:])
		d = append(d, db)
		for _, x := range v[32*b : 32*b+32] {
			q := float64(x / db)
			if db == 0 {
				q = 0
			}
			if q != math.Trunc(q) {
				t.Fatalf("%s: value %g is not a whole multiple of %g", typ, x, db)
			}
			lv = append(lv, int32(q))
		}
	}
	return lv, d
}

// lanes8Spec is the lanes8 scheme: per block, lane l sums products 4l…4l+3
// and takes d_w·d_x times that sum with a fused multiply-add; sum8 at the end.
func lanes8Spec(w, x []int32, dw, dx []float32) float32 {
	var acc [8]float32
	for b := range dw {
		for l := range acc {
			var s int32
			for k := 32*b + 4*l; k < 32*b+4*l+4; k++ {
				s += w[k] * x[k]
			}
			acc[l] = bigFMA(dw[b]*dx[b], float32(s), acc[l])
		}
	}
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

// repackSpec is the repack kernels' sum (Q4_0, IQ4_NL): per block, the whole integer
// dot product times d_w·d_x added to one accumulator with a fused
// multiply-add.
func repackSpec(w, x []int32, dw, dx []float32) float32 {
	var acc float32
	for b := range dw {
		var s int32
		for k := 32 * b; k < 32*b+32; k++ {
			s += w[k] * x[k]
		}
		acc = bigFMA(float32(s), dw[b]*dx[b], acc)
	}
	return acc
}

func TestLanes8Scheme(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range []Type{Q8_0, Q4_0, Q5_0} {
		o, _ := OpsFor(typ)
		for _, n := range []int{32, 256, 704} {
			for range 20 {
				w, x := quantizedRow(t, r, typ, n)
				wl, dw := levels(t, typ, w, n)
				xl, dx := levels(t, Q8_0, x, n)
				if got, want := o.VecDot(n, w, x), lanes8Spec(wl, xl, dw, dx); got != want {
					t.Fatalf("%s n=%d: VecDot = %g, lanes8 scheme %g", typ, n, got, want)
				}
			}
		}
	}
}

func TestRepackScheme(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, typ := range []Type{Q4_0, IQ4_NL} {
		o, _ := OpsFor(typ)
		for _, n := range []int{32, 256, 704} {
			for range 20 {
				w, x := quantizedRow(t, r, typ, n)
				wl, dw := levels(t, typ, w, n)
				xl, dx := levels(t, Q8_0, x, n)
				if got, want := o.RepackDot(n, w, x), repackSpec(wl, xl, dw, dx); got != want {
					t.Fatalf("%s n=%d: RepackDot = %g, repack scheme %g", typ, n, got, want)
				}
			}
		}
	}
}

// roundsSpec is ggml_vec_dot_f16: four registers of 16 lanes over rounds of
// 64 values, reduced (0+2)+(1+3) and then lane-wise; the rest in float64.
func roundsSpec(x, y []float32) float32 {
	var acc [4][16]float32
	n := len(x) / 64 * 64
	for i := range n {
		r, l := i%64/16, i%16
		acc[r][l] = bigFMA(x[i], y[i], acc[r][l])
	}
	var a [16]float32
	for l := range a {
		a[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
	}
	sum := float64(sum16(&a))
	for i := n; i < len(x); i++ {
		sum += float64(x[i] * y[i])
	}
	return float32(sum)
}

// tilesSpec is tinyBLAS: one register of 16 lanes, lane i%16 taking value i.
func tilesSpec(x, y []float32) float32 {
	var acc [16]float32
	for i := range x {
		acc[i%16] = bigFMA(x[i], y[i], acc[i%16])
	}
	return sum16(&acc)
}

func randomHalves(r *rand.Rand, n int) ([]uint16, []float32) {
	h, f := make([]uint16, n), make([]float32, n)
	for i := range h {
		h[i] = F32ToF16(float32(r.NormFloat64()))
		f[i] = F16ToF32(h[i])
	}
	return h, f
}

func TestFloatSchemes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 5, 16, 32, 64, 80, 96, 128, 200, 256, 704} {
		for range 10 {
			xh, xf := randomHalves(r, n)
			yh, yf := randomHalves(r, n)
			if got, want := DotF16(xh, yh), roundsSpec(xf, yf); got != want {
				t.Fatalf("n=%d: DotF16 = %g, rounds scheme %g", n, got, want)
			}
			if n%16 != 0 {
				continue
			}
			if got, want := DotF16Batch(xh, yh), tilesSpec(xf, yf); got != want {
				t.Fatalf("n=%d: DotF16Batch = %g, tiles scheme %g", n, got, want)
			}
			xb := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(xf))), 4*n)
			yb := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(yf))), 4*n)
			if got, want := batchDotF32(n, xb, yb), tilesSpec(xf, yf); got != want {
				t.Fatalf("n=%d: F32 BatchDot = %g, tiles scheme %g", n, got, want)
			}
		}
	}
}

// TestMatrixPicksKernel checks that a matrix product uses the kernel the
// reference would: tinyBLAS for F16 with two or more activation rows,
// ggml_vec_dot_f16 for one, and the repack kernel for Q4_0 matrices of a
// multiple of 8 rows whatever the batch.
func TestMatrixPicksKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const rows, cols = 8, 96
	wh, _ := randomHalves(r, rows*cols)
	m, err := NewMatrix(F16, rows, cols, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(wh))), 2*len(wh)))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*cols)
	for i := range x {
		x[i] = F16ToF32(F32ToF16(float32(r.NormFloat64())))
	}
	xh := make([]uint16, len(x))
	for i, v := range x {
		xh[i] = F32ToF16(v)
	}
	pool := NewPool(1)
	defer pool.Close()
	var a Activations
	for _, n := range []int{1, 2} {
		out := make([]float32, n*rows)
		a.Set(x, n, cols)
		m.MulInto(pool, out, &a)
		for i := range n {
			for row := range rows {
				w, xi := wh[row*cols:(row+1)*cols], xh[i*cols:(i+1)*cols]
				want := DotF16(w, xi)
				if n >= 2 {
					want = DotF16Batch(w, xi)
				}
				if out[i*rows+row] != want {
					t.Errorf("F16, batch of %d: row %d = %g, want %g", n, row, out[i*rows+row], want)
				}
			}
		}
	}

	o, _ := OpsFor(Q4_0)
	for _, rows := range []int{8, 12} {
		w, _ := quantizedRow(t, r, Q4_0, rows*cols)
		q, err := NewMatrix(Q4_0, rows, cols, w)
		if err != nil {
			t.Fatal(err)
		}
		a.Set(x, 1, cols)
		out := make([]float32, rows)
		q.MulInto(pool, out, &a)
		xq := make([]byte, 3*q8_0Bytes)
		fromFloatQ8_0(x[:cols], xq)
		dot := o.VecDot
		if rows%8 == 0 {
			dot = o.RepackDot
		}
		for row := range rows {
			if want := dot(cols, w[row*3*q4_0Bytes:], xq); out[row] != want {
				t.Errorf("Q4_0, %d rows: row %d = %g, want %g", rows, row, out[row], want)
			}
		}
	}
}
