package tensor

import (
	"encoding/binary"
	"math"
)

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

// The dot products of the 32-value formats unpack a weight block into its
// levels, one signed byte per value in value order, and then sum them with
// the activation quants the way the reference's kernels do.

// unpackNibbles stores the 16 low nibbles of qs, then the 16 high ones, each
// minus offset, in v: the value order of Q4_0 and Q4_1.
func unpackNibbles(qs []byte, offset int8, v *[legacyBlock]int8) {
	qs = qs[:16]
	for j, q := range qs {
		v[j] = int8(q&15) - offset
		v[j+16] = int8(q>>4) - offset
	}
}

// blockLevels sets v to the 32 levels of the block wb of typ (Q4_0, Q5_0,
// Q8_0 or IQ4_NL), in value order. It is a switch rather than a function
// value per format so that v, which the Go twins keep on their stacks,
// stays there.
func blockLevels(typ Type, wb []byte, v *[legacyBlock]int8) {
	switch typ {
	case Q4_0:
		unpackNibbles(wb[2:], 8, v)
	case Q5_0:
		unpackNibbles5(wb[6:], binary.LittleEndian.Uint32(wb[2:]), 16, v)
	case Q8_0:
		for k, q := range wb[2:q8_0Bytes] {
			v[k] = int8(q)
		}
	case IQ4_NL:
		iq4nlBlockLevels(wb, v)
	default:
		panic("tensor: no block levels for " + typ.String())
	}
}

// unpackNibbles5 is unpackNibbles with a fifth bit per value, bit j of qh
// for value j: the value order of Q5_0 and Q5_1.
func unpackNibbles5(qs []byte, qh uint32, offset int8, v *[legacyBlock]int8) {
	qs = qs[:16]
	for j, q := range qs {
		lo, hi := q5Levels(q, qh, j)
		v[j] = int8(lo) - offset
		v[j+16] = int8(hi) - offset
	}
}

// blockLanes computes the integer sums of the lanes8 scheme for one block:
// lane l gets Σ v[i]·xq[i] over values 4l…4l+3.
func blockLanes(v *[legacyBlock]int8, xq []byte, lanes *[8]int32) {
	xq = xq[:legacyBlock]
	for l := range lanes {
		w, a := v[4*l:4*l+4], xq[4*l:4*l+4]
		lanes[l] = int32(w[0])*int32(int8(a[0])) + int32(w[1])*int32(int8(a[1])) +
			int32(w[2])*int32(int8(a[2])) + int32(w[3])*int32(int8(a[3]))
	}
}
