package tensor

import "math"

// The reference's CPU kernels (llama.cpp built for an AVX-512 machine) sum
// dot products in SIMD registers: each lane of a register accumulates every
// lane-th product, and the lanes are added together at the end in a fixed
// tree. Float addition is not associative, so matching the reference's logits
// to the last bit needs the same lanes, the same fused multiply-adds and the
// same final tree. This file holds those building blocks; each kernel's
// comment says which scheme it follows:
//
//   - lanes8: the quantized kernels (ggml_vec_dot_q8_0_q8_0 and friends,
//     tinyBLAS_Q0_AVX) use 256-bit registers even on AVX-512. Lane l of a
//     32-value block holds the integer sum of products 4l…4l+3, and each
//     block adds that sum times the product of the two block scales to the
//     lane with a fused multiply-add. The lanes are reduced by sum8.
//   - repack: the kernels for matrices the reference stores interleaved
//     (Q4_0, see Ops.RepackDot) keep one accumulator per output, to which
//     each block adds its whole integer sum times the scales.
//   - rounds: ggml_vec_dot_f16 and ggml_vec_dot_f32, which multiply by a
//     single activation row, keep four 16-lane registers that take turns
//     over rounds of 64 values (roundAcc).
//   - tiles: llamafile's tinyBLAS, which multiplies float matrices by two or
//     more activation rows, keeps one 16-lane register per output (tileAcc).
//
// Go does not fuse a multiplication into a following addition when the
// product is converted explicitly (float32(a*b)), and the kernels rely on
// that: every fused multiply-add here is an explicit fma32.

// fma32 returns x·y+z rounded once to float32, as a fused multiply-add
// instruction does.
func fma32(x, y, z float32) float32 {
	if r, ok := fma32Fast(x, y, z); ok {
		return r
	}
	return fma32Exact(x, y, z)
}

// fma32Fast returns x·y+z rounded once to float32 and true, or false in the
// rare cases it cannot vouch for the result. The product of two float32s is
// exact in float64, so the float64 sum is the exact result rounded once;
// rounding it again to float32 can only go wrong when it lands exactly
// halfway between two float32s, or in float32's subnormal range. It is small
// enough to inline, which the hot loops need: they call it and fall back to
// fma32Exact.
func fma32Fast(x, y, z float32) (float32, bool) {
	s := float64(x)*float64(y) + float64(z)
	b := math.Float64bits(s)
	return float32(s), b&(1<<29-1) != 1<<28 && (b&0x7ff0000000000000 >= 0x3810000000000000 || s == 0)
}

// fma32Exact returns x·y+z rounded once to float32 in every case. The
// rounding error of the float64 sum (exact, by Knuth's two-sum) settles the
// ties that rounding the sum again would get wrong.
func fma32Exact(x, y, z float32) float32 {
	p, zz := float64(x)*float64(y), float64(z)
	s := p + zz
	bb := s - p
	e := (p - (s - bb)) + (zz - bb)
	f := float32(s)
	if e == 0 || float64(f) == s {
		return f
	}
	toward := float32(math.Inf(1))
	if float64(f) > s {
		toward = float32(math.Inf(-1))
	}
	g := math.Nextafter32(f, toward) // the float32 on s's other side
	if (float64(f)+float64(g))/2 != s {
		return f // s is not a tie: rounding it once more is right
	}
	if (e > 0) == (g > f) {
		return g
	}
	return f
}

// sum8 adds the eight lanes of an AVX register as the reference's horizontal
// sums do (hsum_float_8, tinyBLAS's hsum): high half onto low half, three
// times.
func sum8(a *[8]float32) float32 {
	return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

// sum16 adds the sixteen lanes of an AVX-512 register as
// _mm512_reduce_add_ps does: high half onto low half, four times.
func sum16(a *[16]float32) float32 {
	var h [8]float32
	for i := range h {
		h[i] = a[i] + a[i+8]
	}
	return sum8(&h)
}

// accumulateLanes8 is one block's step of the lanes8 scheme: it adds d times
// each lane's integer sum to that lane's accumulator.
func accumulateLanes8(acc *[8]float32, lanes *[8]int32, d float32) {
	for l, s := range lanes {
		r, ok := fma32Fast(d, float32(s), acc[l])
		if !ok {
			r = fma32Exact(d, float32(s), acc[l])
		}
		acc[l] = r
	}
}

// sumInts returns the sum of the lanes (integer addition is exact in any
// order).
func sumInts(lanes *[8]int32) int32 {
	var s int32
	for _, v := range lanes {
		s += v
	}
	return s
}

// dotInt8x4 returns Σ a[i]·b[i] over four signed bytes: one lane of the
// lanes8 scheme.
func dotInt8x4(a, b []byte) int32 {
	a, b = a[:4], b[:4]
	return int32(int8(a[0]))*int32(int8(b[0])) + int32(int8(a[1]))*int32(int8(b[1])) +
		int32(int8(a[2]))*int32(int8(b[2])) + int32(int8(a[3]))*int32(int8(b[3]))
}

// roundLen is the number of values in one round of roundAcc.
const roundLen = 64

// roundAcc holds the accumulators of the rounds scheme: four 16-lane
// registers, register r taking values 16r…16r+15 of each round of 64.
type roundAcc [4][16]float32

// add accumulates one round of products with fused multiply-adds.
func (a *roundAcc) add(x, y *[roundLen]float32) {
	for r := range a {
		acc := &a[r]
		xs, ys := x[16*r:16*r+16], y[16*r:16*r+16]
		for l := range acc {
			v, ok := fma32Fast(xs[l], ys[l], acc[l])
			if !ok {
				v = fma32Exact(xs[l], ys[l], acc[l])
			}
			acc[l] = v
		}
	}
}

// sum reduces the registers pairwise ((0+2)+(1+3)) and then their lanes.
func (a *roundAcc) sum() float32 {
	var r [16]float32
	for l := range r {
		r[l] = (a[0][l] + a[2][l]) + (a[1][l] + a[3][l])
	}
	return sum16(&r)
}

// tileAcc is the accumulator of the tiles scheme: one 16-lane register.
type tileAcc [16]float32

// add accumulates products with fused multiply-adds; len(x) is a multiple
// of 16 and value i goes to lane i%16.
func (a *tileAcc) add(x, y []float32) {
	y = y[:len(x)]
	for i := 0; i+16 <= len(x); i += 16 {
		xs, ys := x[i:i+16], y[i:i+16]
		for l := range a {
			r, ok := fma32Fast(xs[l], ys[l], a[l])
			if !ok {
				r = fma32Exact(xs[l], ys[l], a[l])
			}
			a[l] = r
		}
	}
}

// sum reduces the lanes.
func (a *tileAcc) sum() float32 { return sum16((*[16]float32)(a)) }
