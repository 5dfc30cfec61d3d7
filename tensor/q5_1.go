package tensor

import "encoding/binary"

// Block layout (ggml's block_q5_1): d F16 | m F16 | qh uint32 | qs [16]byte.
// Bits are placed as in Q5_0; a 5-bit q stands for q·d + m.
const q5_1Bytes = 24

func init() {
	register(Ops{
		Type:        Q5_1,
		VecDotType:  Q8_1,
		ToFloat:     toFloatQ5_1,
		Quantize:    quantizeQ5_1,
		VecDot:      vecDotQ5_1,
		VecDotBatch: vecDotBatchQ5_1,
		VecDotRows:  vecDotRowsQ5_1,
	})
}

func quantizeQ5_1(src []float32, dst []byte) {
	for i := range len(src) / legacyBlock {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*q5_1Bytes : (i+1)*q5_1Bytes]
		lo, hi := blockMinMax(x)
		d := (hi - lo) / 31
		id := inverse(d)
		storeF16(b, d)
		storeF16(b[2:], lo)
		qs := b[8:q5_1Bytes]
		var qh uint32
		for j := range qs {
			q0 := truncLevel(float32((x[j]-lo)*id), 0.5, 31)
			q1 := truncLevel(float32((x[j+16]-lo)*id), 0.5, 31)
			qh |= packQ5(j, q0, q1, qs)
		}
		binary.LittleEndian.PutUint32(b[4:], qh)
	}
}

func toFloatQ5_1(src []byte, dst []float32) {
	for i := range len(dst) / legacyBlock {
		b := src[i*q5_1Bytes : (i+1)*q5_1Bytes]
		d, m := loadF16(b), loadF16(b[2:])
		qh := binary.LittleEndian.Uint32(b[4:])
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[8:q5_1Bytes] {
			lo, hi := q5Levels(q, qh, j)
			out[j] = float32(float32(lo)*d) + m
			out[j+16] = float32(float32(hi)*d) + m
		}
	}
}

// vecDotQ5_1Generic multiplies Q5_1 weights by Q8_1 activations, summing
// as ggml_vec_dot_q5_1_q8_1 in the way of vecDotQ4_1Generic.
func vecDotQ5_1Generic(n int, w, x []byte) float32 {
	var acc [8]float32
	var offsets float32
	var v [legacyBlock]int8
	var lanes [8]int32
	for i := range n / legacyBlock {
		wb := w[i*q5_1Bytes : (i+1)*q5_1Bytes]
		xb := x[i*q8_1Bytes : (i+1)*q8_1Bytes]
		offsets = fma32(loadF16(wb[2:]), loadF16(xb[2:]), offsets)
		unpackNibbles5(wb[8:], binary.LittleEndian.Uint32(wb[4:]), 0, &v)
		blockLanes(&v, xb[4:], &lanes)
		accumulateLanes8(&acc, &lanes, loadF16(wb)*loadF16(xb))
	}
	return sum8(&acc) + offsets
}

func vecDotBatchQ5_1(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	batchBy4(vecDot4Q5_1, vecDotQ5_1, n, w, x, stride, rows, out, outStride)
}
