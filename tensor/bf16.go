package tensor

import "encoding/binary"

func init() {
	register(Ops{
		Type:       BF16,
		VecDotType: BF16,
		ToFloat:    toFloatBF16,
		Quantize:   quantizeBF16,
		VecDot:     vecDotBF16,
	})
}

func toFloatBF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = loadBF16(src[2*i:])
	}
}

func quantizeBF16(src []float32, dst []byte) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

// loadBF16 returns the little-endian bfloat16 at the start of b as float32.
func loadBF16(b []byte) float32 { return BF16ToF32(binary.LittleEndian.Uint16(b)) }

// vecDotBF16 accumulates in four partial sums as vecDotF32.
func vecDotBF16(n int, w, x []byte) float32 {
	w, x = w[:2*n], x[:2*n]
	var s0, s1, s2, s3 float32
	for len(w) >= 8 && len(x) >= 8 {
		s0 += loadBF16(w) * loadBF16(x)
		s1 += loadBF16(w[2:]) * loadBF16(x[2:])
		s2 += loadBF16(w[4:]) * loadBF16(x[4:])
		s3 += loadBF16(w[6:]) * loadBF16(x[6:])
		w, x = w[8:], x[8:]
	}
	for len(w) >= 2 && len(x) >= 2 {
		s0 += loadBF16(w) * loadBF16(x)
		w, x = w[2:], x[2:]
	}
	return (s0 + s1) + (s2 + s3)
}
