package tensor

// Rotary position embeddings and RMSNorm's scaling, element by element. The
// assembly (rotate_amd64.s) takes eight values at a time when useAVX2 is
// set, the Go twins the rest and everything on other CPUs; each value is
// the same rounding of the same operations either way.

// RotatePairs rotates each pair (x[2i], x[2i+1]) by the angle whose cosine
// and sine are cs[2i] and cs[2i+1], as the reference's RoPE does for
// adjacent pairs: x[2i]·cos − x[2i+1]·sin and x[2i]·sin + x[2i+1]·cos, the
// second product of each rounded and the first fused into the subtraction
// or addition (the reference's C compiler fuses them). sc holds cs with
// each pair swapped (sin, cos). len(x) is even, and cs and sc hold as many
// values.
func RotatePairs(x, cs, sc []float32) {
	cs, sc = cs[:len(x)], sc[:len(x)]
	done := rotatePairs(x, cs, sc)
	for i := done; i+1 < len(x); i += 2 {
		x0, x1 := x[i], x[i+1]
		x[i] = fma32(x0, cs[i], -float32(x1*cs[i+1]))
		x[i+1] = fma32(x0, cs[i+1], float32(x1*cs[i]))
	}
}

// RotateHalves is RotatePairs for the pairs (lo[i], hi[i]) of NeoX-style
// RoPE, turned by the angles whose cosines are cos[i] and sines sin[i].
func RotateHalves(lo, hi, cos, sin []float32) {
	hi, cos, sin = hi[:len(lo)], cos[:len(lo)], sin[:len(lo)]
	for i := rotateHalves(lo, hi, cos, sin); i < len(lo); i++ {
		x0, x1 := lo[i], hi[i]
		lo[i] = fma32(x0, cos[i], -float32(x1*sin[i]))
		hi[i] = fma32(x0, sin[i], float32(x1*cos[i]))
	}
}

// ScaleMul sets dst[i] to x[i]·s·w[i], rounded after each product, as the
// reference's RMSNorm scales a row and then multiplies it by the norm's
// weight. x and w hold at least len(dst) values.
func ScaleMul(dst, x, w []float32, s float32) {
	x, w = x[:len(dst)], w[:len(dst)]
	for i := scaleMul(dst, x, w, s); i < len(dst); i++ {
		dst[i] = float32(x[i]*s) * w[i]
	}
}
