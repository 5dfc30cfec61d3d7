package tensor

import "math"

// Code shared by the K-quant formats (Q2_K … Q6_K, Q8_K) and IQ4_XS, which all
// work on super-blocks of 256 values.
//
// The quantizers reproduce the reference's C float code operation by
// operation, so that they produce the reference's bytes. Every product that
// feeds an addition, directly or through a variable, is wrapped in
// float32(...): without it the Go compiler may fuse the two into one
// multiply-add on arm64 and other FMA machines, which rounds once instead of
// twice and changes the result. On amd64 the conversions cost nothing. (The
// dot products need no such care: the reference's own SIMD kernels sum in
// another order and with fused multiply-adds.)

// qkK is the number of values in a super-block (QK_K).
const qkK = 256

// groupMaxEps is the magnitude below which a group of values counts as all
// zero (GROUP_MAX_EPS).
const groupMaxEps = 1e-15

// sqrt32 is sqrtf: the float64 square root rounded to float32 is the correctly
// rounded float32 square root.
func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// nearestInt rounds to the nearest integer, ties to even, with the
// reference's trick: adding 1.5·2²³ leaves the integer in the low mantissa
// bits. It is exact for |f| < 2²²; larger or NaN inputs, which only degenerate
// data produce, give a meaningless but harmless value, as in the reference.
func nearestInt(f float32) int32 {
	v := float32(f) + 12582912 // float32() keeps a caller's product from being fused into this add
	return int32(math.Float32bits(v)&0x7fffff) - 0x400000
}

// makeQxQuants chooses a scale for the signed values x so that
// x[i] ≈ scale·(L[i]-nmax) with L[i] in [0, 2·nmax), minimising the squared
// error weighted by x² (make_qx_quants with rmse_type 1 and no importance
// weights). It tries 18 scales around -nmax/max and returns the best one.
func makeQxQuants(x []float32, nmax int32, L []int8) float32 {
	amax, maxV := blockPeak(x)
	if amax < groupMaxEps {
		clear(L[:len(x)])
		return 0
	}
	fnmax := float32(nmax)
	iscale := -fnmax / maxV
	var sumlx, suml2 float32
	for i, v := range x {
		l := min(max(nearestInt(iscale*v), -nmax), nmax-1)
		L[i] = int8(l + nmax)
		w, fl := v*v, float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for is := int32(-9); is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(0.1*float32(is))) / maxV
		sumlx, suml2 = 0, 0
		for _, v := range x {
			l := min(max(nearestInt(iscale*v), -nmax), nmax-1)
			w, fl := v*v, float32(l)
			sumlx += float32(w * v * fl)
			suml2 += float32(w * fl * fl)
		}
		if suml2 > 0 && sumlx*sumlx > best*suml2 {
			for i, v := range x {
				L[i] = int8(min(max(nearestInt(iscale*v), -nmax), nmax-1) + nmax)
			}
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

// makeQ3Quants is makeQxQuants' counterpart for Q3_K (make_q3_quants with
// do_rmse): after the first guess it moves single values to the level that
// most improves the x²-weighted fit, for up to five rounds.
func makeQ3Quants(x []float32, nmax int32, L []int8) float32 {
	amax, maxV := blockPeak(x)
	if amax < groupMaxEps {
		clear(L[:len(x)])
		return 0
	}
	iscale := -float32(nmax) / maxV
	var sumlx, suml2 float32
	for i, v := range x {
		l := min(max(nearestInt(iscale*v), -nmax), nmax-1)
		L[i] = int8(l)
		w, fl := v*v, float32(l)
		sumlx += float32(w * v * fl)
		suml2 += float32(w * fl * fl)
	}
	for range 5 {
		changed := false
		for i, v := range x {
			w, fl := v*v, float32(L[i])
			slx := sumlx - float32(w*v*fl)
			if slx <= 0 {
				continue
			}
			sl2 := suml2 - float32(w*fl*fl)
			newL := min(max(nearestInt(v*sl2/slx), -nmax), nmax-1)
			if newL == int32(L[i]) {
				continue
			}
			fn := float32(newL)
			slx += float32(w * v * fn)
			sl2 += float32(w * fn * fn)
			if sl2 > 0 && slx*slx*suml2 > sumlx*sumlx*sl2 {
				L[i] = int8(newL)
				sumlx, suml2 = slx, sl2
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for i := range x {
		L[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// makeQkx2Quants fits x[i] ≈ scale·L[i] - negMin with L[i] in [0, nmax]
// (make_qkx2_quants): starting from the min/max fit it tries nstep+1 scales,
// solves the weighted least-squares scale and offset for each rounding, and
// keeps the one with the least weighted error (absolute when useMad, squared
// otherwise). The offset is never positive, so negMin >= 0.
func makeQkx2Quants(x, weights []float32, nmax int32, L, Laux []uint8, rmin, rdelta float32, nstep int, useMad bool) (scale, negMin float32) {
	n := len(x)
	minV, maxV := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		// Comparisons rather than min and max, which would let a NaN win.
		if x[i] < minV {
			minV = x[i]
		}
		if x[i] > maxV {
			maxV = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if minV > 0 {
		minV = 0
	}
	if maxV == minV {
		clear(L[:n])
		return 0, -minV
	}
	fnmax := float32(nmax)
	iscale := fnmax / (maxV - minV)
	scale = 1 / iscale
	var bestErr float32
	for i, v := range x {
		l := min(max(nearestInt(iscale*(v-minV)), 0), nmax)
		L[i] = uint8(l)
		diff := float32(scale*float32(l)) + minV - v
		if useMad {
			diff = abs32(diff)
		} else {
			diff *= diff
		}
		bestErr += float32(weights[i] * diff)
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fnmax) / (maxV - minV)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			l := min(max(nearestInt(iscale*(v-minV)), 0), nmax)
			Laux[i] = uint8(l)
			w, fl := weights[i], float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(w * fl * fl)
			sumXL += float32(w * fl * v)
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D <= 0 {
			continue
		}
		thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
		thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
		if thisMin > 0 {
			thisMin = 0
			thisScale = sumXL / sumL2
		}
		var curErr float32
		for i, v := range x {
			diff := float32(thisScale*float32(Laux[i])) + thisMin - v
			if useMad {
				diff = abs32(diff)
			} else {
				diff *= diff
			}
			curErr += float32(weights[i] * diff)
		}
		if curErr < bestErr {
			copy(L[:n], Laux[:n])
			bestErr, scale, minV = curErr, thisScale, thisMin
		}
	}
	return scale, -minV
}

// Q4_K and Q5_K store eight 6-bit scales and eight 6-bit mins in 12 bytes:
// bytes 0-3 hold scales 0-3 and bytes 4-7 mins 0-3 in their low 6 bits; bytes
// 8-11 hold the low nibbles of scale j+4 (low) and min j+4 (high), whose top
// two bits sit in the spare top bits of bytes j and j+4.

// unpackScaleMinK4 decodes the packed scales and mins (get_scale_min_k4).
func unpackScaleMinK4(p *[12]byte) (sc, m [8]uint8) {
	for j := range 4 {
		sc[j] = p[j] & 63
		m[j] = p[j+4] & 63
		sc[j+4] = p[j+8]&0xF | p[j]>>6<<4
		m[j+4] = p[j+8]>>4 | p[j+4]>>6<<4
	}
	return sc, m
}

// packScaleMinK4 is the inverse of unpackScaleMinK4 for values below 64.
func packScaleMinK4(sc, m *[8]uint8, p *[12]byte) {
	for j := range 4 {
		p[j] = sc[j] | sc[j+4]>>4<<6
		p[j+4] = m[j] | m[j+4]>>4<<6
		p[j+8] = sc[j+4]&0xF | m[j+4]<<4
	}
}

// quantizeScaleMinK does the part of the Q4_K and Q5_K reference quantizers
// (quantize_row_q4_K_ref, quantize_row_q5_K_ref) they share: fit each of the
// eight 32-value sub-blocks of x with makeQkx2Quants, quantize the scales and
// mins to 6 bits against the super-block scales d and dmin, and requantize
// the values to [0, nmax] with the rounded scales. It writes the 16-byte
// header both formats start with (d, dmin, packed scales and mins) and leaves
// the levels in L.
func quantizeScaleMinK(x []float32, nmax int32, rmin, rdelta float32, nstep int, L *[qkK]uint8, header *[16]byte) {
	var scales, mins [8]float32
	var w [32]float32
	var laux [32]uint8
	var maxScale, maxMin float32
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for l, v := range xs {
			w[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQkx2Quants(xs, w[:], nmax, L[32*j:32*j+32], laux[:], rmin, rdelta, nstep, false)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	var ls, lm [8]uint8
	for j := range 8 {
		ls[j] = min(63, uint8(nearestInt(invScale*scales[j])))
		lm[j] = min(63, uint8(nearestInt(invMin*mins[j])))
	}
	packScaleMinK4(&ls, &lm, (*[12]byte)(header[4:]))
	storeF16(header[0:], maxScale/63)
	storeF16(header[2:], maxMin/63)
	d, dmin := loadF16(header[0:]), loadF16(header[2:])
	for j := range 8 {
		sd := d * float32(ls[j])
		if sd == 0 {
			continue
		}
		dm := float32(dmin * float32(lm[j]))
		for i, v := range x[32*j : 32*j+32] {
			L[32*j+i] = uint8(min(max(nearestInt((v+dm)/sd), 0), nmax))
		}
	}
}

// pack2Bits stores 256 two-bit levels as Q2_K and Q3_K do: byte l of each
// 32-byte half holds, from the low bits up, the levels l, l+32, l+64 and
// l+96 of that half's 128 values.
func pack2Bits(L *[qkK]uint8, qs *[64]byte) {
	for h := range 2 {
		l := L[128*h:]
		for j := range 32 {
			qs[32*h+j] = l[j] | l[j+32]<<2 | l[j+64]<<4 | l[j+96]<<6
		}
	}
}
