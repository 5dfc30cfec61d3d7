package tensor

import "math"

// Block layouts (ggml's block_q8_0 and block_q8_1):
//
//	Q8_0: d F16 | qs [32]int8             value j = qs[j]·d
//	Q8_1: d F16 | s F16 | qs [32]int8     s = d·Σqs, for the offset of Q4_1/Q5_1
const (
	q8_0Bytes = 34
	q8_1Bytes = 36
)

func init() {
	register(Ops{
		Type:        Q8_0,
		VecDotType:  Q8_0,
		ToFloat:     toFloatQ8_0,
		Quantize:    quantizeQ8_0,
		FromFloat:   fromFloatQ8_0,
		VecDot:      vecDotQ8_0,
		VecDotBatch: vecDotBatchQ8_0,
		VecDot2x4:   vecDot2x4Q8_0,
		VecDotRows:  vecDotRowsQ8_0,
		tile:        &q8_0Tile,
	})
	// Q8_1 only ever holds activations, so it has no dot product of its own.
	register(Ops{
		Type:       Q8_1,
		VecDotType: Q8_1,
		ToFloat:    toFloatQ8_1,
		Quantize:   quantizeQ8_1,
		FromFloat:  fromFloatQ8_1,
	})
}

// encodeQ8 scales a block so that its largest magnitude becomes ±127 and
// stores the rounded values in qs. It returns the scale and the sum of the
// stored values.
//
// The reference has two encoders that differ in rounding. The one that makes
// model files (quantize_row_q8_0_ref) multiplies by 1/d and rounds halves away
// from zero. The CPU backend's activation encoder (x86 quantize_row_q8_0)
// multiplies by 127/amax and rounds halves to even (_mm256_round_ps);
// activations selects it.
func encodeQ8(x []float32, qs []byte, activations bool) (d float32, sum int32) {
	amax := blockAbsMax(x)
	d = amax / 127
	id := inverse(d)
	if activations {
		id = 0
		if amax != 0 {
			id = 127 / amax
		}
	}
	qs = qs[:len(x)]
	for j, v := range x {
		r := float64(v * id)
		if activations {
			r = math.RoundToEven(r)
		} else {
			r = math.Round(r)
		}
		q := int8(r)
		qs[j] = byte(q)
		sum += int32(q)
	}
	return d, sum
}

func quantizeQ8_0(src []float32, dst []byte)         { encodeQ8_0(src, dst, false) }
func fromFloatQ8_0Generic(src []float32, dst []byte) { encodeQ8_0(src, dst, true) }

func encodeQ8_0(src []float32, dst []byte, activations bool) {
	for i := range len(src) / legacyBlock {
		b := dst[i*q8_0Bytes : (i+1)*q8_0Bytes]
		d, _ := encodeQ8(src[i*legacyBlock:(i+1)*legacyBlock], b[2:], activations)
		storeF16(b, d)
	}
}

func quantizeQ8_1(src []float32, dst []byte)  { encodeQ8_1(src, dst, false) }
func fromFloatQ8_1(src []float32, dst []byte) { encodeQ8_1(src, dst, true) }

func encodeQ8_1(src []float32, dst []byte, activations bool) {
	for i := range len(src) / legacyBlock {
		b := dst[i*q8_1Bytes : (i+1)*q8_1Bytes]
		d, sum := encodeQ8(src[i*legacyBlock:(i+1)*legacyBlock], b[4:], activations)
		storeF16(b, d)
		storeF16(b[2:], float32(sum)*d)
	}
}

func toFloatQ8_0(src []byte, dst []float32) { decodeQ8(src, dst, q8_0Bytes) }
func toFloatQ8_1(src []byte, dst []float32) { decodeQ8(src, dst, q8_1Bytes) }

// decodeQ8 dequantizes Q8_0 or Q8_1 blocks of the given size: both end with
// the 32 values and start with d.
func decodeQ8(src []byte, dst []float32, blockBytes int) {
	for i := range len(dst) / legacyBlock {
		b := src[i*blockBytes : (i+1)*blockBytes]
		d := loadF16(b)
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[blockBytes-legacyBlock:][:len(out)] {
			out[j] = float32(int8(q)) * d
		}
	}
}

// vecDotQ8_0Generic sums in the lanes8 scheme, as both of the reference's
// kernels for Q8_0 do (ggml_vec_dot_q8_0_q8_0 for one activation row,
// tinyBLAS_Q0_AVX for more).
func vecDotQ8_0Generic(n int, w, x []byte) float32 {
	var acc [8]float32
	var lanes [8]int32
	for i := range n / legacyBlock {
		wb := w[i*q8_0Bytes : (i+1)*q8_0Bytes]
		xb := x[i*q8_0Bytes : (i+1)*q8_0Bytes]
		for l := range lanes {
			lanes[l] = dotInt8x4(wb[2+4*l:], xb[2+4*l:])
		}
		accumulateLanes8(&acc, &lanes, loadF16(wb)*loadF16(xb))
	}
	return sum8(&acc)
}

// vecDot2x4Rows is Ops.VecDot2x4 done one weight row at a time with dot.
func vecDot2x4Rows(dot func(n int, w, x []byte) float32, n int, w []byte, wStride int, x []byte, stride int, out []float32, outStride int) {
	for i := range 2 {
		vecDotEachX(dot, n, w[i*wStride:], x, stride, 4, out[i:], outStride)
	}
}

func vecDotBatchQ8_0(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	batchBy4(vecDot4Q8_0, vecDotQ8_0, n, w, x, stride, rows, out, outStride)
}
