package model

import "math"

// sinf and cosf compute single-precision sine and cosine the way the C
// library the reference is built against does (glibc's x86-64 FMA variant of
// the Arm optimized routines): in double precision with short polynomials,
// then rounded to float. They differ from correctly rounded results in about
// one case in a hundred by one unit in the last place, and RoPE passes those
// differences on to the F16 KV cache, so matching the reference's logits
// needs its sine and cosine, not the exact ones.

type sincosPoly struct {
	c0, c1, c2, c3, c4 float64 // cosine
	s1, s2, s3         float64 // sine
}

// The second entry computes -cos(x), folding a quadrant's negation into the
// coefficients.
var sincosPolys = [2]sincosPoly{
	{0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
	{-0x1p0, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
}

var quadrantSign = [4]float64{1, -1, -1, 1}

const (
	halfPiInv = 0x1.45F306DC9C883p+23 // 2/π scaled by 2^24
	halfPi    = 0x1.921FB54442D18p0
	pi63      = 0x1.921FB54442D18p-62
)

// invPio4 holds the bits of 4/π (a2f9836e…) as overlapping 32-bit windows:
// entry i is the four bytes that start at byte i-3, the first three padded
// on the left.
var invPio4 = func() [24]uint32 {
	digits := [...]byte{0xa2, 0xf9, 0x83, 0x6e, 0x4e, 0x44, 0x15, 0x29, 0xfc, 0x27, 0x57, 0xd1,
		0xf5, 0x34, 0xdd, 0xc0, 0xdb, 0x62, 0x95, 0x99, 0x3c, 0x43, 0x90, 0x41}
	var t [24]uint32
	for i := range t {
		var v uint32
		for b := i - 3; b <= i; b++ {
			v <<= 8
			if b >= 0 {
				v |= uint32(digits[b])
			}
		}
		t[i] = v
	}
	return t
}()

func abstop12(x float32) uint32 { return (math.Float32bits(x) >> 20) & 0x7ff }

// sincosPolyEval evaluates sine (n even) or cosine (n odd) of a reduced x.
func sincosPolyEval(x, x2 float64, p *sincosPoly, n int) float32 {
	if n&1 == 0 {
		x3 := x * x2
		s1 := math.FMA(x2, p.s3, p.s2)
		x7 := x3 * x2
		s := math.FMA(x3, p.s1, x)
		return float32(math.FMA(x7, s1, s))
	}
	x4 := x2 * x2
	c2 := math.FMA(x2, p.c4, p.c3)
	c1 := math.FMA(x2, p.c1, p.c0)
	x6 := x4 * x2
	c := math.FMA(x4, p.c2, c1)
	return float32(math.FMA(x6, c2, c))
}

// reduce returns x minus the nearest multiple n of π/2, and n.
func reduce(y float32) (float64, int) {
	x := float64(y)
	if abstop12(y) < abstop12(120) {
		n := (int32(x*halfPiInv) + 0x800000) >> 24
		return math.FMA(-float64(n), halfPi, x), int(n)
	}
	xi := math.Float32bits(y)
	sign := int(xi >> 31)
	arr := invPio4[(xi>>26)&15:]
	shift := (xi >> 23) & 7
	xi = (xi&0xffffff | 0x800000) << shift
	res0 := uint64(xi * arr[0])
	res1 := uint64(xi) * uint64(arr[4])
	res2 := uint64(xi) * uint64(arr[8])
	res0 = res2>>32 | res0<<32
	res0 += res1
	n := (res0 + 1<<61) >> 62
	res0 -= n << 62
	// The sign of the input is folded into the quadrant.
	return float64(int64(res0)) * pi63, int(n) + sign
}

// sincosf returns sinf(y) and cosf(y) for finite y.
func sincosf(y float32) (sin, cos float32) {
	if abstop12(y) < abstop12(0x1.921FB6p-1) {
		if abstop12(y) < abstop12(0x1p-12) {
			return y, 1
		}
		x := float64(y)
		p := &sincosPolys[0]
		return sincosPolyEval(x, x*x, p, 0), sincosPolyEval(x, x*x, p, 1)
	}
	x, n := reduce(y)
	p := &sincosPolys[0]
	if n&2 != 0 {
		p = &sincosPolys[1]
	}
	xs := x * quadrantSign[n&3]
	return sincosPolyEval(xs, x*x, p, n), sincosPolyEval(xs, x*x, p, n^1)
}
