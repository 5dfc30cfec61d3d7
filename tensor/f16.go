package tensor

import (
	"encoding/binary"
	"unsafe"
)

func init() {
	register(Ops{
		Type:            F16,
		VecDotType:      F16,
		ToFloat:         toFloatF16,
		Quantize:        quantizeF16,
		VecDot:          vecDotF16,
		BatchDot:        batchDotF16,
		BatchDotWide2x3: f16Wide.dot2x3,
		BatchDotWide4x6: f16Wide.dot4x6,
	})
}

// f16Table holds the float32 value of every half. The kernels read halves
// through it (as the reference's CPU backend does) because a lookup is much
// cheaper than F16ToF32's bit manipulation, which does not inline.
var f16Table = func() (t [1 << 16]float32) {
	for h := range t {
		t[h] = F16ToF32(uint16(h))
	}
	return t
}()

// loadF16 returns the little-endian half at the start of b as float32.
func loadF16(b []byte) float32 { return f16Table[binary.LittleEndian.Uint16(b)] }

// storeF16 rounds f to half precision and stores it little-endian at the
// start of b.
func storeF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

func toFloatF16(src []byte, dst []float32)  { decodeF16(dst, halves(src, len(dst))) }
func quantizeF16(src []float32, dst []byte) { encodeF16(halves(dst, len(src)), src) }

// halves views a row of n halves as []uint16. Like the rest of the package
// it assumes a little-endian machine.
func halves(b []byte, n int) []uint16 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[:2*n][0])), n)
}

func vecDotF16(n int, w, x []byte) float32   { return DotF16(halves(w, n), halves(x, n)) }
func batchDotF16(n int, w, x []byte) float32 { return DotF16Batch(halves(w, n), halves(x, n)) }

// EncodeF16 rounds the values of src to half precision, as F32ToF16 does,
// into dst[:len(src)].
func EncodeF16(dst []uint16, src []float32) { encodeF16(dst[:len(src)], src) }

// DecodeF16 converts the halves of src to float32, as F16ToF32 does, into
// dst[:len(src)].
func DecodeF16(dst []float32, src []uint16) { decodeF16(dst[:len(src)], src) }

// encodeF16Generic converts len(src) values into dst.
func encodeF16Generic(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = F32ToF16(v)
	}
}

// decodeF16Generic converts len(dst) halves of src to float32.
func decodeF16Generic(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = f16Table[h]
	}
}

// DotF16 returns Σ x[i]·y[i] over two half-precision vectors, summed as the
// reference's ggml_vec_dot_f16 sums a product with a single activation row:
// in rounds of 64 values (see roundAcc), then the values past the last whole
// round one by one in float64.
func DotF16(x, y []uint16) float32 {
	n := min(len(x), len(y))
	return dotF16(x[:n], y[:n])
}

// dotF16Generic is DotF16 for vectors of the same length.
func dotF16Generic(x, y []uint16) float32 {
	n := len(x)
	var acc roundAcc
	var xs, ys [roundLen]float32
	i := 0
	for ; i+roundLen <= n; i += roundLen {
		decodeF16Generic(xs[:], x[i:])
		decodeF16Generic(ys[:], y[i:])
		acc.add(&xs, &ys)
	}
	sum := float64(acc.sum())
	for ; i < n; i++ {
		sum += float64(f16Table[x[i]] * f16Table[y[i]])
	}
	return float32(sum)
}

// DotF16Batch returns Σ x[i]·y[i] over two half-precision vectors, summed as
// the reference's tinyBLAS kernel sums each output of a matrix product with
// two or more activation rows (see tileAcc). It takes only lengths that are
// a multiple of 16 (see TinyBLASFits) and ignores any rest.
func DotF16Batch(x, y []uint16) float32 {
	n := min(len(x), len(y)) / 16 * 16
	return dotF16Batch(x[:n], y[:n])
}

// DotF16BatchRows sets out[r] to DotF16Batch of row r of x, stride halves
// after row r-1, and the halves whose values y holds, times scale, for r <
// len(out). It is attention's products of a query with each key, and of
// the probabilities with each value row: y holds the other operand decoded
// once (DecodeF16) instead of once per row, and the rows go through one
// call. len(y) must be a multiple of 16.
func DotF16BatchRows(x []uint16, stride int, y []float32, scale float32, out []float32) {
	if len(y)%16 != 0 {
		panic("tensor: DotF16BatchRows takes a multiple of 16 values")
	}
	if len(out) > 0 {
		_ = x[(len(out)-1)*stride+len(y)-1]
	}
	dotF16BatchRows(x, stride, y, scale, out)
}

// dotF16BatchRowsGeneric is DotF16BatchRows once its arguments are checked.
func dotF16BatchRowsGeneric(x []uint16, stride int, y []float32, scale float32, out []float32) {
	var xs [16]float32
	for r := range out {
		row := x[r*stride:][:len(y)]
		var acc tileAcc
		for i := 0; i < len(y); i += 16 {
			decodeF16Generic(xs[:], row[i:i+16])
			acc.add(xs[:], y[i:i+16])
		}
		out[r] = acc.sum() * scale
	}
}

// dotF16BatchGeneric is DotF16Batch for vectors of the same length, a
// multiple of 16.
func dotF16BatchGeneric(x, y []uint16) float32 {
	n := len(x)
	var acc tileAcc
	var xs, ys [roundLen]float32
	for i := 0; i < n; i += roundLen {
		m := min(roundLen, n-i)
		decodeF16Generic(xs[:m], x[i:])
		decodeF16Generic(ys[:m], y[i:])
		acc.add(xs[:m], ys[:m])
	}
	return acc.sum()
}

// TinyBLASFits reports whether the reference hands a product of a float
// (F32, F16 or BF16) matrix of rows×cols with two or more activation rows to
// its tinyBLAS kernel (BatchDot, DotF16Batch); otherwise it uses its
// single-row dot product (VecDot, DotF16) for every row.
func TinyBLASFits(rows, cols int) bool { return rows%4 == 0 && cols%16 == 0 }
