package tensor

import "encoding/binary"

// Block layout (ggml's block_q5_0): d F16 | qh uint32 | qs [16]byte. The low
// four bits of value j are placed as in Q4_0; its fifth bit is bit j of qh
// (little-endian). A 5-bit q stands for (q-16)·d.
const q5_0Bytes = 22

func init() {
	register(Ops{
		Type:        Q5_0,
		VecDotType:  Q8_0,
		ToFloat:     toFloatQ5_0,
		Quantize:    quantizeQ5_0,
		VecDot:      vecDotQ5_0,
		VecDotBatch: vecDotBatchQ5_0,
		tile:        &q5_0Tile,
	})
}

// packQ5 stores the low four bits of levels j and j+16 of a block in qs[j]
// and returns their fifth bits in place for qh.
func packQ5(j int, q0, q1 byte, qs []byte) (qhBits uint32) {
	qs[j] = q0&15 | q1<<4
	return uint32(q0>>4)<<j | uint32(q1>>4)<<(j+16)
}

// q5Levels returns the 5-bit levels j and j+16 of a Q5_0 or Q5_1 block.
func q5Levels(q byte, qh uint32, j int) (lo, hi int32) {
	return int32(q&15) | int32(qh>>j&1)<<4, int32(q>>4) | int32(qh>>(j+16)&1)<<4
}

func quantizeQ5_0(src []float32, dst []byte) {
	for i := range len(src) / legacyBlock {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*q5_0Bytes : (i+1)*q5_0Bytes]
		_, peak := blockPeak(x)
		d := peak / -16
		id := inverse(d)
		storeF16(b, d)
		qs := b[6:q5_0Bytes]
		var qh uint32
		for j := range qs {
			q0 := truncLevel(float32(x[j]*id), 16.5, 31)
			q1 := truncLevel(float32(x[j+16]*id), 16.5, 31)
			qh |= packQ5(j, q0, q1, qs)
		}
		binary.LittleEndian.PutUint32(b[2:], qh)
	}
}

func toFloatQ5_0(src []byte, dst []float32) {
	for i := range len(dst) / legacyBlock {
		b := src[i*q5_0Bytes : (i+1)*q5_0Bytes]
		d := loadF16(b)
		qh := binary.LittleEndian.Uint32(b[2:])
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[6:q5_0Bytes] {
			lo, hi := q5Levels(q, qh, j)
			out[j] = float32(lo-16) * d
			out[j+16] = float32(hi-16) * d
		}
	}
}

// vecDotQ5_0Generic sums in the lanes8 scheme, as ggml_vec_dot_q5_0_q8_0
// and tinyBLAS_Q0_AVX do.
func vecDotQ5_0Generic(n int, w, x []byte) float32 {
	var acc [8]float32
	var v [legacyBlock]int8
	var lanes [8]int32
	for i := range n / legacyBlock {
		wb := w[i*q5_0Bytes : (i+1)*q5_0Bytes]
		xb := x[i*q8_0Bytes : (i+1)*q8_0Bytes]
		unpackNibbles5(wb[6:], binary.LittleEndian.Uint32(wb[2:]), 16, &v)
		blockLanes(&v, xb[2:], &lanes)
		accumulateLanes8(&acc, &lanes, loadF16(wb)*loadF16(xb))
	}
	return sum8(&acc)
}

func vecDotBatchQ5_0(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	batchBy4(vecDot4Q5_0, vecDotQ5_0, n, w, x, stride, rows, out, outStride)
}
