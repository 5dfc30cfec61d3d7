package tensor

import (
	"encoding/binary"
	"unsafe"
)

func init() {
	register(Ops{
		Type:       F16,
		VecDotType: F16,
		ToFloat:    toFloatF16,
		Quantize:   quantizeF16,
		VecDot:     vecDotF16,
		BatchDot:   batchDotF16,
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

func toFloatF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = loadF16(src[2*i:])
	}
}

func quantizeF16(src []float32, dst []byte) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		storeF16(dst[2*i:], v)
	}
}

// halves views a row of n little-endian halves as []uint16.
func halves(b []byte, n int) []uint16 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[:2*n][0])), n)
}

func vecDotF16(n int, w, x []byte) float32   { return DotF16(halves(w, n), halves(x, n)) }
func batchDotF16(n int, w, x []byte) float32 { return DotF16Batch(halves(w, n), halves(x, n)) }

// DotF16 returns Σ x[i]·y[i] over two half-precision vectors, summed as the
// reference's ggml_vec_dot_f16 sums a product with a single activation row:
// four registers of lanes take turns, each lane accumulating with fused
// multiply-adds; the registers are added pairwise, their lanes reduced, and
// the values past the last whole round of four registers added one by one
// in float64.
func DotF16(x, y []uint16) float32 {
	n := min(len(x), len(y))
	w := floatLanes
	step := 4 * w
	np := n / step * step
	var acc [4][16]float32
	for i := 0; i < np; i += step {
		for r := range 4 {
			a, xs, ys := &acc[r], x[i+r*w:i+r*w+w], y[i+r*w:i+r*w+w]
			for l := range w {
				a[l] = fma32(f16Table[xs[l]], f16Table[ys[l]], a[l])
			}
		}
	}
	var sum float64
	if np > 0 {
		var a [16]float32
		for l := range w {
			a[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
		}
		if w == 16 {
			sum = float64(sum16(&a))
		} else {
			t0, t1, t2, t3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
			sum = float64((t0 + t1) + (t2 + t3))
		}
	}
	for i := np; i < n; i++ {
		sum += float64(f16Table[x[i]] * f16Table[y[i]])
	}
	return float32(sum)
}

// DotF16Batch returns Σ x[i]·y[i] over two half-precision vectors, summed as
// the reference's llamafile tinyBLAS kernel sums each element of a matrix
// product with two or more activation rows: one register of lanes, lane l
// accumulating products l, l+lanes, l+2·lanes… with fused multiply-adds,
// then reduced. The reference uses it only when the length is a multiple of
// the lanes; use BatchF16OK.
func DotF16Batch(x, y []uint16) float32 {
	n := min(len(x), len(y))
	w := floatLanes
	var acc [16]float32
	for i := 0; i+w <= n; i += w {
		xs, ys := x[i:i+w], y[i:i+w]
		for l := range w {
			acc[l] = fma32(f16Table[xs[l]], f16Table[ys[l]], acc[l])
		}
	}
	if w == 16 {
		return sum16(&acc)
	}
	return sum8((*[8]float32)(acc[:8]))
}

// BatchF16OK reports whether the reference's tinyBLAS kernel takes an F16
// matrix product of rows×cols weights with two or more activation rows;
// otherwise it falls back to ggml_vec_dot_f16 (DotF16).
func BatchF16OK(rows, cols int) bool { return rows%4 == 0 && cols%floatLanes == 0 }
