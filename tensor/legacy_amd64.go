package tensor

import "unsafe"

// The kernels of the 32-value block formats run in assembly
// (legacy_amd64.s) when useAVX2 is set, in their Go twins otherwise. The
// wrappers slice their inputs to the length the twins would read, so short
// inputs panic the same way.

//go:noescape
func dotQ8_0AVX2(w, x *byte, blocks int) (sum float32, exact bool)

//go:noescape
func dot4Q8_0AVX2(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)

//go:noescape
func dot4Q5_0AVX2(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)

//go:noescape
func batchDot4IQ4_NLAVX2(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)

//go:noescape
func dot2x4Q8_0AVX2(w *byte, wStride int, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)

//go:noescape
func dotQ4_0AVX2(w, x *byte, blocks int) float32

//go:noescape
func repackDotQ4_0AVX2(w, x *byte, blocks int) float32

//go:noescape
func dotQ4_1AVX2(w, x *byte, blocks int) float32

//go:noescape
func dotQ5_0AVX2(w, x *byte, blocks int) float32

//go:noescape
func dotQ5_1AVX2(w, x *byte, blocks int) float32

//go:noescape
func dotIQ4_NLAVX2(w, x *byte, blocks int) float32

//go:noescape
func fromFloatQ8_0AVX2(src *float32, dst *byte, blocks int)

// blockRows returns pointers to the first byte of w and x and the number of
// whole blocks in n values, checking that w and x hold that many blocks of
// wBytes and of q8_0Bytes (the dot type of the formats without offsets).
func blockRows(n int, w, x []byte, wBytes int) (wp, xp *byte, blocks int) {
	return blockRowsOf(n, w, x, wBytes, q8_0Bytes)
}

// blockRowsOf is blockRows for activation blocks of xBytes.
func blockRowsOf(n int, w, x []byte, wBytes, xBytes int) (wp, xp *byte, blocks int) {
	blocks = n / legacyBlock
	return unsafe.SliceData(w[:blocks*wBytes]), unsafe.SliceData(x[:blocks*xBytes]), blocks
}

func vecDotQ8_0(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ8_0Generic(n, w, x)
	}
	if sum, exact := dotQ8_0AVX2(blockRows(n, w, x, q8_0Bytes)); exact {
		return sum
	}
	return vecDotQ8_0Generic(n, w, x)
}

// vecDot4Q8_0 is vecDotQ8_0 of one weight row against four activation rows
// stride bytes apart, storing the results outStride floats apart.
func vecDot4Q8_0(n int, w, x []byte, stride int, out []float32, outStride int) {
	dot4Lanes8(dot4Q8_0AVX2, vecDotQ8_0Generic, q8_0Bytes, n, w, x, stride, out, outStride)
}

// dot4Lanes8 runs kernel, one of the DOT4_LANES8 kernels, for weight blocks
// of wBytes, or the Go twin without AVX2 or when an activation quant was
// -128.
func dot4Lanes8(kernel func(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool),
	twin func(n int, w, x []byte) float32, wBytes, n int, w, x []byte, stride int, out []float32, outStride int) {
	if blocks := n / legacyBlock; useAVX2 && blocks > 0 {
		_ = x[3*stride+blocks*q8_0Bytes-1] // the four rows lie inside x
		_ = out[3*outStride]
		pw, px, _ := blockRows(n, w, x, wBytes)
		if kernel(pw, px, stride, blocks, &out[0], outStride) {
			return
		}
	}
	vecDotEachX(twin, n, w, x, stride, 4, out, outStride)
}

// vecDot2x4Q8_0 is vecDotQ8_0 of two weight rows wStride bytes apart
// against four activation rows stride bytes apart (see Ops.VecDot2x4).
func vecDot2x4Q8_0(n int, w []byte, wStride int, x []byte, stride int, out []float32, outStride int) {
	if blocks := n / legacyBlock; useAVX2 && blocks > 0 {
		_ = w[wStride+blocks*q8_0Bytes-1] // both weight rows lie inside w
		_ = x[3*stride+blocks*q8_0Bytes-1]
		_ = out[3*outStride+1]
		pw, px, _ := blockRows(n, w, x, q8_0Bytes)
		if dot2x4Q8_0AVX2(pw, wStride, px, stride, blocks, &out[0], outStride) {
			return
		}
	}
	vecDot2x4Rows(vecDotQ8_0Generic, n, w, wStride, x, stride, out, outStride)
}

func vecDotQ4_0(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ4_0Generic(n, w, x)
	}
	return dotQ4_0AVX2(blockRows(n, w, x, q4_0Bytes))
}

func repackDotQ4_0(n int, w, x []byte) float32 {
	if !useAVX2 {
		return repackDotQ4_0Generic(n, w, x)
	}
	return repackDotQ4_0AVX2(blockRows(n, w, x, q4_0Bytes))
}

func vecDotQ5_0(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ5_0Generic(n, w, x)
	}
	return dotQ5_0AVX2(blockRows(n, w, x, q5_0Bytes))
}

func vecDotQ4_1(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ4_1Generic(n, w, x)
	}
	return dotQ4_1AVX2(blockRowsOf(n, w, x, q4_1Bytes, q8_1Bytes))
}

func vecDotQ5_1(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ5_1Generic(n, w, x)
	}
	return dotQ5_1AVX2(blockRowsOf(n, w, x, q5_1Bytes, q8_1Bytes))
}

func vecDotIQ4_NL(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotIQ4_NLGeneric(n, w, x)
	}
	return dotIQ4_NLAVX2(blockRows(n, w, x, iq4nlBytes))
}

func fromFloatQ8_0(src []float32, dst []byte) {
	if !useAVX2 {
		fromFloatQ8_0Generic(src, dst)
		return
	}
	blocks := len(src) / legacyBlock
	fromFloatQ8_0AVX2(unsafe.SliceData(src), unsafe.SliceData(dst[:blocks*q8_0Bytes]), blocks)
}

//go:noescape
func repackSumsQ4_0AVX2(x *byte, blocks int, sums *int32, step int)

//go:noescape
func repackRowsQ4_0AVX2(w *byte, rowBytes, groups int, x *byte, blocks int, out *float32, sums *int32)

//go:noescape
func repackRows2Q4_0AVX2(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, sums *int32)

// repackDotRows is Ops.RepackDotRows of a format the reference repacks
// eight rows at a time, each weight row's sum in a lane as its repacked
// layout has it: in AVX-512 VNNI sixteen weight rows at a time (vnni), then
// in AVX2 eight at a time (eights, given the number of groups of eight),
// and the weight rows left one at a time with dot.
func repackDotRows(vnni *repackVNNI,
	eights func(n int, w []byte, rowBytes, groups int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32),
	dot func(n int, w, x []byte) float32,
	n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32) {
	if done := vnni.dotRows(n, w, rowBytes, rows, x, xStride, xRows, out, outStride, scratch); done > 0 {
		if done == rows {
			return
		}
		w, out, rows = w[done*rowBytes:], out[done:], rows-done
	}
	groups := rows / 8
	if !useAVX2 || n < legacyBlock || xRows == 0 {
		groups = 0
	}
	if groups > 0 {
		eights(n, w, rowBytes, groups, x, xStride, xRows, out, outStride, scratch)
	}
	for i := range xRows {
		for r := 8 * groups; r < rows; r++ {
			out[i*outStride+r] = dot(n, w[r*rowBytes:], x[i*xStride:])
		}
	}
}

func repackDotRowsQ4_0(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32) {
	repackDotRows(&q4_0VNNI, repackEightsQ4_0, repackDotQ4_0, n, w, rowBytes, rows, x, xStride, xRows, out, outStride, scratch)
}

func repackDotRowsIQ4_NL(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32) {
	repackDotRows(&iq4nlVNNI, repackEightsIQ4_NL, repackDotIQ4_NLGeneric, n, w, rowBytes, rows, x, xStride, xRows, out, outStride, scratch)
}

// repackEightsQ4_0 takes the first 8·groups weight rows of Q4_0 two
// activation rows at a time, then the activation row left.
func repackEightsQ4_0(n int, w []byte, rowBytes, groups int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32) {
	blocks := n / legacyBlock
	_ = w[(8*groups-1)*rowBytes+blocks*q4_0Bytes-1]
	_ = x[(xRows-1)*xStride+blocks*q8_0Bytes-1]
	_ = out[(xRows-1)*outStride+8*groups-1]
	sums := scratch[:2*blocks] // 8·Σx of two activation rows, block by block
	i := 0
	for ; i+2 <= xRows; i += 2 {
		repackSumsQ4_0AVX2(&x[i*xStride], blocks, &sums[0], 8)
		repackSumsQ4_0AVX2(&x[(i+1)*xStride], blocks, &sums[1], 8)
		repackRows2Q4_0AVX2(&w[0], rowBytes, groups, &x[i*xStride], xStride, blocks, &out[i*outStride], outStride, &sums[0])
	}
	if i < xRows {
		repackSumsQ4_0AVX2(&x[i*xStride], blocks, &sums[0], 4)
		repackRowsQ4_0AVX2(&w[0], rowBytes, groups, &x[i*xStride], blocks, &out[i*outStride], &sums[0])
	}
}

//go:noescape
func repackRowsIQ4_NLAVX2(w *byte, rowBytes, groups int, x *byte, blocks int, out *float32) (exact bool)

// repackEightsIQ4_NL takes the first 8·groups weight rows of IQ4_NL one
// activation row at a time. The kernel takes the quants' signs off the
// weight levels, which fails for an activation quant of -128 (never made
// by the activations' quantizer): for such a row it reports so, and the
// row is computed in Go.
func repackEightsIQ4_NL(n int, w []byte, rowBytes, groups int, x []byte, xStride, xRows int, out []float32, outStride int, _ []int32) {
	blocks := n / legacyBlock
	_ = w[(8*groups-1)*rowBytes+blocks*iq4nlBytes-1]
	_ = x[(xRows-1)*xStride+blocks*q8_0Bytes-1]
	_ = out[(xRows-1)*outStride+8*groups-1]
	for i := range xRows {
		if !repackRowsIQ4_NLAVX2(&w[0], rowBytes, groups, &x[i*xStride], blocks, &out[i*outStride]) {
			vecDotEachRow(repackDotIQ4_NLGeneric, n, w, rowBytes, 8*groups, x[i*xStride:], out[i*outStride:])
		}
	}
}

// batchDot4IQ4_NL is batchDotIQ4_NL of one weight row against four
// activation rows stride bytes apart.
func batchDot4IQ4_NL(n int, w, x []byte, stride int, out []float32, outStride int) {
	dot4Lanes8(batchDot4IQ4_NLAVX2, batchDotIQ4_NLGeneric, iq4nlBytes, n, w, x, stride, out, outStride)
}

// batchDotIQ4_NL is the four-row kernel with the one activation row four
// times over: still many times faster than the Go twin.
// It calls the kernel directly: through dot4Lanes8's function value, out
// would escape, an allocation per call.
func batchDotIQ4_NL(n int, w, x []byte) float32 {
	if blocks := n / legacyBlock; useAVX2 && blocks > 0 {
		var out [4]float32
		pw, px, _ := blockRows(n, w, x, iq4nlBytes)
		if batchDot4IQ4_NLAVX2(pw, px, 0, blocks, &out[0], 1) {
			return out[0]
		}
	}
	return batchDotIQ4_NLGeneric(n, w, x)
}

//go:noescape
func dot4Q4_1AVX2(w, x *byte, stride, blocks int, out *float32, outStride int)

//go:noescape
func dot4Q5_1AVX2(w, x *byte, stride, blocks int, out *float32, outStride int)

// vecDot4Q4_1 and vecDot4Q5_1 are vecDotQ4_1 and vecDotQ5_1 of one weight
// row against four activation rows stride bytes apart.
func vecDot4Q4_1(n int, w, x []byte, stride int, out []float32, outStride int) {
	dot4Offset(dot4Q4_1AVX2, vecDotQ4_1Generic, q4_1Bytes, n, w, x, stride, out, outStride)
}

func vecDot4Q5_1(n int, w, x []byte, stride int, out []float32, outStride int) {
	dot4Offset(dot4Q5_1AVX2, vecDotQ5_1Generic, q5_1Bytes, n, w, x, stride, out, outStride)
}

// dot4Offset runs kernel, one of the DOT4_OFFSET kernels, for weight blocks
// of wBytes against Q8_1 activations, or the Go twin without AVX2.
func dot4Offset(kernel func(w, x *byte, stride, blocks int, out *float32, outStride int),
	twin func(n int, w, x []byte) float32, wBytes, n int, w, x []byte, stride int, out []float32, outStride int) {
	if blocks := n / legacyBlock; useAVX2 && blocks > 0 {
		_ = x[3*stride+blocks*q8_1Bytes-1] // the four rows lie inside x
		_ = out[3*outStride]
		pw, px, _ := blockRowsOf(n, w, x, wBytes, q8_1Bytes)
		kernel(pw, px, stride, blocks, &out[0], outStride)
		return
	}
	vecDotEachX(twin, n, w, x, stride, 4, out, outStride)
}

// vecDot4Q5_0 is vecDotQ5_0 of one weight row against four activation rows
// stride bytes apart.
func vecDot4Q5_0(n int, w, x []byte, stride int, out []float32, outStride int) {
	dot4Lanes8(dot4Q5_0AVX2, vecDotQ5_0Generic, q5_0Bytes, n, w, x, stride, out, outStride)
}
