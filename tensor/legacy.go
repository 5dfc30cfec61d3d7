package tensor

import "math"

// The formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 and IQ4_NL all hold 32
// values per block, a float16 scale first. Their kernels share the helpers
// below, which find a block's range the way the reference's quantizers do.
const legacyBlock = 32

// abs32 is fabsf.
func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// blockAbsMax returns the largest magnitude in x.
func blockAbsMax(x []float32) float32 {
	var amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax = a
		}
	}
	return amax
}

// blockPeak returns the first value of x with the largest magnitude, and
// that magnitude. The symmetric formats scale a block so that its peak, sign
// included, maps to the most negative level.
func blockPeak(x []float32) (amax, peak float32) {
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, peak = a, v
		}
	}
	return amax, peak
}

// blockMinMax returns the smallest and largest values of x.
func blockMinMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

// inverse returns 1/d, or 0 when d is 0, as the reference's quantizers do to
// encode an all-zero block as zeros.
func inverse(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}
