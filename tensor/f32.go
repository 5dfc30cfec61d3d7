package tensor

import (
	"encoding/binary"
	"math"
	"unsafe"
)

func init() {
	register(Ops{
		Type:       F32,
		VecDotType: F32,
		ToFloat:    toFloatF32,
		Quantize:   quantizeF32,
		VecDot:     vecDotF32,
		BatchDot:   batchDotF32,
	})
}

func toFloatF32(src []byte, dst []float32) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = loadF32(src[4*i:])
	}
}

func quantizeF32(src []float32, dst []byte) {
	dst = dst[:4*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// loadF32 returns the little-endian float32 at the start of b.
func loadF32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// floats views a row of n float32s as []float32 (little-endian machines).
func floats(b []byte, n int) []float32 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[:4*n][0])), n)
}

// vecDotF32Generic sums as ggml_vec_dot_f32: in rounds of 64 (see
// roundAcc), then the values past the last whole round one by one into the
// float32 sum with fused multiply-adds (the compiler fuses the reference's
// sumf += x*y).
func vecDotF32Generic(n int, w, x []byte) float32 {
	ws, xs := floats(w, n), floats(x, n)
	var acc roundAcc
	i := 0
	for ; i+roundLen <= n; i += roundLen {
		acc.add((*[roundLen]float32)(ws[i:]), (*[roundLen]float32)(xs[i:]))
	}
	sum := acc.sum()
	for ; i < n; i++ {
		sum = fma32(ws[i], xs[i], sum)
	}
	return sum
}

// batchDotF32Generic sums as the reference's tinyBLAS kernel (see tileAcc).
func batchDotF32Generic(n int, w, x []byte) float32 {
	var acc tileAcc
	acc.add(floats(w, n/16*16), floats(x, n/16*16))
	return acc.sum()
}
