package tensor

// Block layout (ggml's block_q4_1): d F16 | m F16 | qs [16]byte. Nibbles are
// placed as in Q4_0; a nibble q stands for q·d + m.
const q4_1Bytes = 20

func init() {
	register(Ops{
		Type:        Q4_1,
		VecDotType:  Q8_1,
		ToFloat:     toFloatQ4_1,
		Quantize:    quantizeQ4_1,
		VecDot:      vecDotQ4_1,
		VecDotBatch: vecDotBatchQ4_1,
		VecDotRows:  vecDotRowsQ4_1,
	})
}

func quantizeQ4_1(src []float32, dst []byte) {
	for i := range len(src) / legacyBlock {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*q4_1Bytes : (i+1)*q4_1Bytes]
		lo, hi := blockMinMax(x)
		d := (hi - lo) / 15
		id := inverse(d)
		storeF16(b, d)
		storeF16(b[2:], lo)
		qs := b[4:q4_1Bytes]
		for j := range qs {
			q0 := truncLevel(float32((x[j]-lo)*id), 0.5, 15)
			q1 := truncLevel(float32((x[j+16]-lo)*id), 0.5, 15)
			qs[j] = q0 | q1<<4
		}
	}
}

func toFloatQ4_1(src []byte, dst []float32) {
	for i := range len(dst) / legacyBlock {
		b := src[i*q4_1Bytes : (i+1)*q4_1Bytes]
		d, m := loadF16(b), loadF16(b[2:])
		// float32(...) keeps the product rounded before the addition, as
		// in the reference, rather than fused with it.
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[4:q4_1Bytes] {
			out[j] = float32(float32(q&15)*d) + m
			out[j+16] = float32(float32(q>>4)*d) + m
		}
	}
}

// vecDotQ4_1Generic multiplies Q4_1 weights by Q8_1 activations, summing
// as ggml_vec_dot_q4_1_q8_1: the levels times the activation quants in the
// lanes8 scheme, and apart from them, in one float32 sum, each block's
// offset m times the activation block's s = d·Σq, with the fused
// multiply-add that the compiler makes of summs += m*s.
func vecDotQ4_1Generic(n int, w, x []byte) float32 {
	var acc [8]float32
	var offsets float32
	var v [legacyBlock]int8
	var lanes [8]int32
	for i := range n / legacyBlock {
		wb := w[i*q4_1Bytes : (i+1)*q4_1Bytes]
		xb := x[i*q8_1Bytes : (i+1)*q8_1Bytes]
		offsets = fma32(loadF16(wb[2:]), loadF16(xb[2:]), offsets)
		unpackNibbles(wb[4:], 0, &v)
		blockLanes(&v, xb[4:], &lanes)
		accumulateLanes8(&acc, &lanes, loadF16(wb)*loadF16(xb))
	}
	return sum8(&acc) + offsets
}

func vecDotBatchQ4_1(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	batchBy4(vecDot4Q4_1, vecDotQ4_1, n, w, x, stride, rows, out, outStride)
}
