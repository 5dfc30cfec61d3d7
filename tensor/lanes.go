package tensor

import "math"

// The reference's CPU kernels sum dot products in SIMD registers: each lane
// of a register accumulates every lane-th product, and the lanes are added
// together at the end in a fixed tree. Float addition is not associative, so
// matching the reference's logits to the last bit needs the same lanes, the
// same fused multiply-adds and the same final tree. The helpers below are
// those building blocks; each kernel's comment says which it uses.
//
// zhi assumes the reference build uses AVX-512 (16 float lanes; see
// floatLanes). Its quantized kernels use 256-bit registers on AVX2 and
// AVX-512 alike.

// floatLanes is the width in float32 lanes of the reference's widest float
// register: 16 for AVX-512, 8 for AVX2.
var floatLanes = 16

// fma32 returns x·y+z rounded once to float32, as a fused multiply-add
// instruction does. The product of two float32s is exact in float64, so the
// float64 sum is the exact result rounded once; rounding it again to float32
// can only go wrong when it lands exactly halfway between two float32s (or in
// float32's subnormal range), which fma32Exact settles.
func fma32(x, y, z float32) float32 {
	p := float64(x) * float64(y)
	s := p + float64(z)
	b := math.Float64bits(s)
	if b&(1<<29-1) == 1<<28 || b&0x7ff0000000000000 < 0x3810000000000000 {
		return fma32Exact(p, float64(z), s)
	}
	return float32(s)
}

// fma32Exact rounds p+z to float32 correctly, given s = p+z rounded to
// float64. The rounding error of s (exact, by Knuth's two-sum) breaks the
// tie that s would otherwise fall on.
func fma32Exact(p, z, s float64) float32 {
	bb := s - p
	e := (p - (s - bb)) + (z - bb)
	f := float32(s)
	if e == 0 || float64(f) == s {
		return f
	}
	dir := float32(math.Inf(1))
	if float64(f) > s {
		dir = float32(math.Inf(-1))
	}
	g := math.Nextafter32(f, dir) // the float32 on s's other side
	if (float64(f)+float64(g))/2 != s {
		return f // s is not a tie: one rounding was enough
	}
	if (e > 0) == (g > f) {
		return g
	}
	return f
}

// sum8 adds the eight lanes of an AVX register as the reference's horizontal
// sum does (hsum_float_8, tinyBLAS hsum): high half onto low half, then the
// same again twice.
func sum8(a *[8]float32) float32 {
	return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

// sum16 adds the sixteen lanes of an AVX-512 register as
// _mm512_reduce_add_ps does: halves folded onto each other down to one lane.
func sum16(a *[16]float32) float32 {
	var h [8]float32
	for i := range h {
		h[i] = a[i] + a[i+8]
	}
	return sum8(&h)
}
