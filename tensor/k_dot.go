package tensor

// The K-quant and IQ4_XS dot products, summed as the reference's AVX2
// kernels (used by its AVX-512 build too) sum them, in the lanes8 scheme of
// lanes.go: each super-block's integer sums per lane (exact in any order) are
// scaled by the product of the two super-block scales and added to the lane
// with a fused multiply-add. The offset terms of Q4_K and Q5_K are summed
// apart; those of Q2_K go into the same lanes, ahead of each super-block's
// levels. The Q2_K, Q3_K and IQ4_XS kernels live with their formats.

// kMinSums returns the sub-block mins times the Q8_K sums of their 32
// values, paired as the reference pairs them into four lanes: lane k holds
// sub-blocks 2k and 2k+1.
func kMinSums(y *[q8KBytes]byte, m *[8]uint8) (lanes [4]int32) {
	for k := range lanes {
		for j := 2 * k; j < 2*k+2; j++ {
			lanes[k] += int32(m[j]) * (q8KBsum(y, 2*j) + q8KBsum(y, 2*j+1))
		}
	}
	return lanes
}

// kLanes computes the integer lanes of a K-quant super-block: lane l holds
// Σ scale·level·q8 over values 4l…4l+3 of each of the eight 32-value runs,
// where the scale of the values 16i…16i+15 is scales[i].
func kLanes(levels *[qkK]int8, y *[q8KBytes]byte, scales *[16]int32, lanes *[8]int32) {
	*lanes = [8]int32{}
	var run [8]int32
	for j := range 8 {
		blockLanes((*[legacyBlock]int8)(levels[32*j:]), y[q8KQs+32*j:], &run)
		for l, s := range run {
			lanes[l] += scales[2*j+l/4] * s
		}
	}
}

// kScales16 spreads the eight 32-value scales of Q4_K and Q5_K over the
// 16-value runs kLanes takes.
func kScales16(sc *[8]uint8) (s [16]int32) {
	for i := range s {
		s[i] = int32(sc[i/2])
	}
	return s
}

// unpack2Bits is the inverse of pack2Bits: it unpacks the 256 2-bit levels
// of Q2_K and Q3_K in value order.
func unpack2Bits(qs *[64]byte, v *[qkK]int8) {
	for h := range 2 {
		for l, q := range qs[32*h : 32*h+32] {
			v[128*h+l], v[128*h+32+l], v[128*h+64+l], v[128*h+96+l] = int8(q&3), int8(q>>2&3), int8(q>>4&3), int8(q>>6)
		}
	}
}

// q4KLevels unpacks the 256 4-bit levels of a Q4_K block in value order.
func q4KLevels(b *[q4KBytes]byte, v *[qkK]int8) {
	for g := range 4 {
		for l, q := range b[q4KQs+32*g : q4KQs+32*g+32] {
			v[64*g+l] = int8(q & 0xF)
			v[64*g+32+l] = int8(q >> 4)
		}
	}
}

// q5KLevels unpacks the 256 5-bit levels of a Q5_K block in value order.
func q5KLevels(b *[q5KBytes]byte, v *[qkK]int8) {
	qh := b[q5KQh : q5KQh+32]
	for g := range 4 {
		for l, q := range b[q5KQs+32*g : q5KQs+32*g+32] {
			h := qh[l] >> (2 * g)
			v[64*g+l] = int8(q&0xF | h&1<<4)
			v[64*g+32+l] = int8(q>>4 | h&2<<3)
		}
	}
}

// vecDotQ4KGeneric sums as ggml_vec_dot_q4_K_q8_K: the levels in the
// lanes8 scheme with d = d8·d, the min terms in four lanes of their own with
// dmin = -d8·dmin, added last as ((0+2)+(1+3)).
func vecDotQ4KGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var accMin [4]float32
	var v [qkK]int8
	var lanes [8]int32
	for i := range n / qkK {
		b, y := q4KBlock(w, i), q8KBlock(x, i)
		d, dmin, sc, m := kScaleMinHeader(b[:])
		yd := q8KScale(y)
		for k, s := range kMinSums(y, &m) {
			accMin[k] = fma32(-yd*dmin, float32(s), accMin[k])
		}
		q4KLevels(b, &v)
		scales := kScales16(&sc)
		kLanes(&v, y, &scales, &lanes)
		accumulateLanes8(&acc, &lanes, yd*d)
	}
	return sum8(&acc) + ((accMin[0] + accMin[2]) + (accMin[1] + accMin[3]))
}

// vecDotQ5KGeneric sums as ggml_vec_dot_q5_K_q8_K: the levels as
// vecDotQ4KGeneric does, the min terms into one float32 with the fused
// multiply-add the compiler makes of summs += dmin*sum.
func vecDotQ5KGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var summs float32
	var v [qkK]int8
	var lanes [8]int32
	for i := range n / qkK {
		b, y := q5KBlock(w, i), q8KBlock(x, i)
		d, dmin, sc, m := kScaleMinHeader(b[:])
		yd := q8KScale(y)
		mins := kMinSums(y, &m)
		summs = fma32(-yd*dmin, float32((mins[0]+mins[1])+(mins[2]+mins[3])), summs)
		q5KLevels(b, &v)
		scales := kScales16(&sc)
		kLanes(&v, y, &scales, &lanes)
		accumulateLanes8(&acc, &lanes, yd*d)
	}
	return sum8(&acc) + summs
}

// vecDotQ6KGeneric sums as ggml_vec_dot_q6_K_q8_K, in the lanes8 scheme:
// lane l holds Σ scale·(level-32)·q8 over values 4l…4l+3 of each 32-value
// run, whose first and second 16 values have a scale each; d = d8·d.
func vecDotQ6KGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var v [qkK]int8
	var lanes [8]int32
	for i := range n / qkK {
		b, y := q6KBlock(w, i), q8KBlock(x, i)
		for h := range 2 {
			ql, qh := b[64*h:64*h+64], b[q6KQh+32*h:q6KQh+32*h+32]
			for l := range 32 {
				v[128*h+l], v[128*h+l+32], v[128*h+l+64], v[128*h+l+96] = q6KLevels8(ql[l], ql[l+32], qh[l])
			}
		}
		var scales [16]int32
		for i, sc := range b[q6KScales : q6KScales+16] {
			scales[i] = int32(int8(sc))
		}
		kLanes(&v, y, &scales, &lanes)
		accumulateLanes8(&acc, &lanes, q8KScale(y)*loadF16(b[q6KD:]))
	}
	return sum8(&acc)
}

// q6KLevels8 is q6KLevels as signed bytes.
func q6KLevels8(ql0, ql32, qh byte) (q1, q2, q3, q4 int8) {
	a, b, c, d := q6KLevels(ql0, ql32, qh)
	return int8(a), int8(b), int8(c), int8(d)
}

// vecDotEachRow is Ops.VecDotRows done one weight row at a time with dot.
func vecDotEachRow(dot func(n int, w, x []byte) float32, n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	for r := range rows {
		out[r] = dot(n, w[r*rowBytes:], x)
	}
}

// vecDotEachX is Ops.VecDotBatch done one activation row at a time with
// dot.
func vecDotEachX(dot func(n int, w, x []byte) float32, n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	for i := range rows {
		out[i*outStride] = dot(n, w, x[i*stride:])
	}
}

// batchBy4 is Ops.VecDotBatch made of a four-row kernel, for as many groups
// of four activation rows as there are, and a one-row one for the rest.
func batchBy4(dot4 func(n int, w, x []byte, stride int, out []float32, outStride int), dot func(n int, w, x []byte) float32,
	n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	i := 0
	for ; i+4 <= rows; i += 4 {
		dot4(n, w, x[i*stride:], stride, out[i*outStride:], outStride)
	}
	if i < rows {
		vecDotEachX(dot, n, w, x[i*stride:], stride, rows-i, out[i*outStride:], outStride)
	}
}
