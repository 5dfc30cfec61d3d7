package tensor

// Block layout (ggml's block_q4_0): d F16 | qs [16]byte. Value j (j < 16)
// is the low nibble of qs[j] and value j+16 the high nibble; a nibble q
// stands for (q-8)·d.
const q4_0Bytes = 18

func init() {
	register(Ops{
		Type:          Q4_0,
		VecDotType:    Q8_0,
		ToFloat:       toFloatQ4_0,
		Quantize:      quantizeQ4_0,
		VecDot:        vecDotQ4_0,
		RepackRows:    8,
		RepackDot:     repackDotQ4_0,
		RepackDotRows: repackDotRowsQ4_0,
	})
}

// truncLevel returns the level of a scaled value v: the reference adds half a
// step plus the zero level (offset) and truncates, which rounds halves up
// for the values it produces. The clamp to [0, top] holds the result to the
// format's levels for non-finite input, whatever the reference does then.
func truncLevel(v, offset float32, top int) byte {
	return byte(max(0, min(top, int(v+offset))))
}

func quantizeQ4_0(src []float32, dst []byte) {
	for i := range len(src) / legacyBlock {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*q4_0Bytes : (i+1)*q4_0Bytes]
		_, peak := blockPeak(x)
		d := peak / -8
		id := inverse(d)
		storeF16(b, d)
		qs := b[2:q4_0Bytes]
		for j := range qs {
			// The conversions round each product, as the reference does,
			// so that no compiler fuses it with the addition.
			lo := truncLevel(float32(x[j]*id), 8.5, 15)
			hi := truncLevel(float32(x[j+16]*id), 8.5, 15)
			qs[j] = lo | hi<<4
		}
	}
}

func toFloatQ4_0(src []byte, dst []float32) {
	for i := range len(dst) / legacyBlock {
		b := src[i*q4_0Bytes : (i+1)*q4_0Bytes]
		d := loadF16(b)
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[2:q4_0Bytes] {
			out[j] = float32(int(q&15)-8) * d
			out[j+16] = float32(int(q>>4)-8) * d
		}
	}
}

// vecDotQ4_0Generic sums in the lanes8 scheme, as ggml_vec_dot_q4_0_q8_0
// and tinyBLAS_Q0_AVX do.
func vecDotQ4_0Generic(n int, w, x []byte) float32 {
	var acc [8]float32
	var v [legacyBlock]int8
	var lanes [8]int32
	for i := range n / legacyBlock {
		wb := w[i*q4_0Bytes : (i+1)*q4_0Bytes]
		xb := x[i*q8_0Bytes : (i+1)*q8_0Bytes]
		unpackNibbles(wb[2:], 8, &v)
		blockLanes(&v, xb[2:], &lanes)
		accumulateLanes8(&acc, &lanes, loadF16(wb)*loadF16(xb))
	}
	return sum8(&acc)
}

// repackDotQ4_0Generic sums as the reference's kernels for Q4_0 matrices it
// has interleaved eight rows at a time (ggml_gemv_q4_0_8x8_q8_0 and
// ggml_gemm_q4_0_8x8_q8_0): see repackDot.
func repackDotQ4_0Generic(n int, w, x []byte) float32 {
	return repackDot(n, w, x, Q4_0)
}

// repackDot sums as the reference's kernels for matrices of 32-value blocks
// of 18 bytes it has interleaved eight rows at a time: one accumulator per
// output, to which each block's whole integer dot product, times the
// product of the block scales, is added with a fused multiply-add. typ is
// the weights' format, Q4_0 or IQ4_NL.
func repackDot(n int, w, x []byte, typ Type) float32 {
	var acc float32
	var v [legacyBlock]int8
	var lanes [8]int32
	for i := range n / legacyBlock {
		wb := w[i*q4_0Bytes : (i+1)*q4_0Bytes]
		xb := x[i*q8_0Bytes : (i+1)*q8_0Bytes]
		blockLevels(typ, wb, &v)
		blockLanes(&v, xb[2:], &lanes)
		acc = fma32(float32(sumInts(&lanes)), loadF16(wb)*loadF16(xb), acc)
	}
	return acc
}
