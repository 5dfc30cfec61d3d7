package model

import (
	"math"

	"zhi/tensor"
)

// vexpf is the reference's vectorised e^x for AVX-512 (ggml_v_expf), which its
// softmax and SiLU apply to whole registers: a polynomial from Arm's
// optimized routines, evaluated with fused multiply-adds and scaled by 2^n.
// It differs from the correctly rounded e^x in the last bit now and then, and
// those bits reach the logits, so zhi computes it operation by operation.
func vexpf(x float32) float32 {
	const shift = 0x1.8p23
	fma := tensor.FMA32
	z := fma(x, 0x1.715476p+0, shift)
	n := z - shift
	b := fma(-n, 0x1.7f7d1cp-20, fma(-n, 0x1.62e4p-1, x))
	u := b * b
	j := fma(fma(fma(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u,
		fma(0x1.ffffecp-1, b, 1))
	if abs(n) > 192 {
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	// _mm512_scalef_ps: j·2^n, rounded once.
	return float32(math.Ldexp(float64(j), int(n)))
}

// expf is the C library's expf, which the reference uses on values past the
// last whole register. glibc's result is within about half an ulp; the
// correctly rounded one differs from it too rarely to matter here.
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }

func abs(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
