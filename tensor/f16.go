package tensor

import "encoding/binary"

func init() {
	register(Ops{
		Type:       F16,
		VecDotType: F16,
		ToFloat:    toFloatF16,
		Quantize:   quantizeF16,
		VecDot:     vecDotF16,
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

// vecDotF16 multiplies two F16 rows, accumulating in float32 as the
// reference's SIMD kernel does, in four partial sums as vecDotF32.
func vecDotF16(n int, w, x []byte) float32 {
	w, x = w[:2*n], x[:2*n]
	var s0, s1, s2, s3 float32
	for len(w) >= 8 && len(x) >= 8 {
		s0 += loadF16(w) * loadF16(x)
		s1 += loadF16(w[2:]) * loadF16(x[2:])
		s2 += loadF16(w[4:]) * loadF16(x[4:])
		s3 += loadF16(w[6:]) * loadF16(x[6:])
		w, x = w[8:], x[8:]
	}
	for len(w) >= 2 && len(x) >= 2 {
		s0 += loadF16(w) * loadF16(x)
		w, x = w[2:], x[2:]
	}
	return (s0 + s1) + (s2 + s3)
}
