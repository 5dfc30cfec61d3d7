package tensor

import (
	"encoding/binary"
	"math"
)

func init() {
	register(Ops{
		Type:       F32,
		VecDotType: F32,
		ToFloat:    toFloatF32,
		Quantize:   quantizeF32,
		VecDot:     vecDotF32,
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

// vecDotF32 keeps four partial sums so that each addition need not wait for
// the one before; the reference's SIMD kernel splits the sum further still.
func vecDotF32(n int, w, x []byte) float32 {
	w, x = w[:4*n], x[:4*n]
	var s0, s1, s2, s3 float32
	for len(w) >= 16 && len(x) >= 16 {
		s0 += loadF32(w) * loadF32(x)
		s1 += loadF32(w[4:]) * loadF32(x[4:])
		s2 += loadF32(w[8:]) * loadF32(x[8:])
		s3 += loadF32(w[12:]) * loadF32(x[12:])
		w, x = w[16:], x[16:]
	}
	for len(w) >= 4 && len(x) >= 4 {
		s0 += loadF32(w) * loadF32(x)
		w, x = w[4:], x[4:]
	}
	return (s0 + s1) + (s2 + s3)
}
