package tensor

// Block layout (ggml's block_iq4_nl): d F16 | qs [16]byte. Nibbles are placed
// as in Q4_0; a nibble q stands for iq4nlValues[q]·d, levels spaced closer
// near zero to fit the bell shape of weight distributions.
const iq4nlBytes = 18

// iq4nlValues is ggml's kvalues_iq4nl, in increasing order.
var iq4nlValues = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// iq4nlLevels holds iq4nlValues as float32 for the quantizer.
var iq4nlLevels = func() (l [16]float32) {
	for i, v := range iq4nlValues {
		l[i] = float32(v)
	}
	return l
}()

// iq4nlSearch is how many scales either side of the plain one the quantizer
// tries (the ntry of the reference's quantize_iq4_nl).
const iq4nlSearch = 7

func init() {
	register(Ops{
		Type:          IQ4_NL,
		VecDotType:    Q8_0,
		ToFloat:       toFloatIQ4_NL,
		Quantize:      quantizeIQ4_NL,
		VecDot:        vecDotIQ4_NL,
		BatchDot:      batchDotIQ4_NL,
		BatchDotBatch: batchDotBatchIQ4_NL,
		RepackRows:    8,
		RepackDot:     repackDotIQ4_NLGeneric,
		RepackDotRows: repackDotRowsIQ4_NL,
		tile:          &iq4nlTile,
	})
}

// iq4nlIndex returns the index of the level nearest x, the upper one on a
// tie (best_index_int8).
func iq4nlIndex(x float32) byte {
	// Callers pass a product: rounding it here keeps the compiler from fusing
	// it into the subtractions below on FMA machines.
	x = float32(x)
	if x <= iq4nlLevels[0] {
		return 0
	}
	if x >= iq4nlLevels[15] {
		return 15
	}
	lo, hi := 0, 15
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x < iq4nlLevels[mid] {
			hi = mid
		} else {
			lo = mid
		}
	}
	if x-iq4nlLevels[lo] < iq4nlLevels[hi]-x {
		return byte(lo)
	}
	return byte(hi)
}

// quantizeIQ4_NL encodes blocks as the reference's quantize_iq4_nl does
// without an importance matrix (quantize_row_iq4_nl_impl with ntry 7).
func quantizeIQ4_NL(src []float32, dst []byte) {
	for i := range len(src) / legacyBlock {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*iq4nlBytes : (i+1)*iq4nlBytes]
		d := iq4nlScale(x)
		storeF16(b, d)
		id := inverse(d)
		qs := b[2:iq4nlBytes]
		for j := range qs {
			qs[j] = iq4nlIndex(id*x[j]) | iq4nlIndex(id*x[j+16])<<4
		}
	}
}

// iq4nlScale chooses the scale of a block of 32 values as the reference
// does: it maps the values to levels with 16 trial scales (peak/127, then
// peak/(k-127) for k from -7 to 7), solves for the least-squares scale of
// each mapping with errors weighted by x², and keeps the best fit.
func iq4nlScale(xs []float32) float32 {
	x := (*[legacyBlock]float32)(xs)
	amax, peak := blockPeak(xs)
	if amax < 1e-15 { // GROUP_MAX_EPS: an all-zero block
		return 0
	}
	var weight [legacyBlock]float32
	for j, v := range x {
		weight[j] = v * v
	}
	sumqx, sumq2 := iq4nlFit(x, &weight, 1/(-peak/iq4nlLevels[0]))
	var d float32
	if sumq2 > 0 {
		d = sumqx / sumq2
	}
	best := d * sumqx
	for try := -iq4nlSearch; try <= iq4nlSearch; try++ {
		sumqx, sumq2 := iq4nlFit(x, &weight, float32(try+int(iq4nlValues[0]))/peak)
		if sumq2 > 0 && sumqx*sumqx > best*sumq2 {
			d = sumqx / sumq2
			best = d * sumqx
		}
	}
	return d
}

// iq4nlFit maps x·id to the nearest levels q and returns Σw·q·x and Σw·q²,
// from which the least-squares scale is their ratio.
func iq4nlFit(x, weight *[legacyBlock]float32, id float32) (sumqx, sumq2 float32) {
	for j, v := range x {
		q := iq4nlLevels[iq4nlIndex(id*v)]
		wq := weight[j] * q
		// float32(...) keeps each product rounded before the addition, as
		// in the reference, rather than fused with it.
		sumqx += float32(wq * v)
		sumq2 += float32(wq * q)
	}
	return sumqx, sumq2
}

func toFloatIQ4_NL(src []byte, dst []float32) {
	for i := range len(dst) / legacyBlock {
		b := src[i*iq4nlBytes : (i+1)*iq4nlBytes]
		d := loadF16(b)
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[2:iq4nlBytes] {
			out[j] = d * iq4nlLevels[q&15]
			out[j+16] = d * iq4nlLevels[q>>4]
		}
	}
}

// iq4nlBlockLevels unpacks a block's 32 levels in value order: the low
// nibbles, then the high ones.
func iq4nlBlockLevels(b []byte, v *[legacyBlock]int8) {
	for j, q := range b[2:iq4nlBytes] {
		v[j], v[j+16] = iq4nlValues[q&15], iq4nlValues[q>>4]
	}
}

// vecDotIQ4_NLGeneric sums as the reference's AVX2 ggml_vec_dot_iq4_nl_q8_0:
// blocks in pairs, the first of each pair in the lanes8 scheme into one
// accumulator and the second into another, the two added lane by lane and
// reduced with sum8; a last odd block is added to that with a fused
// multiply-add (the compiler contracts its sumf += d*sumi).
func vecDotIQ4_NLGeneric(n int, w, x []byte) float32 {
	var acc [2][8]float32
	var lanes [8]int32
	var v [legacyBlock]int8
	nb := n / legacyBlock
	block := func(i int) (d float32) {
		wb, xb := w[i*iq4nlBytes:(i+1)*iq4nlBytes], x[i*q8_0Bytes:(i+1)*q8_0Bytes]
		iq4nlBlockLevels(wb, &v)
		blockLanes(&v, xb[2:], &lanes)
		return loadF16(wb) * loadF16(xb)
	}
	i := 0
	for ; i+1 < nb; i += 2 {
		for k := range 2 {
			d := block(i + k)
			accumulateLanes8(&acc[k], &lanes, d)
		}
	}
	var both [8]float32
	for l := range both {
		both[l] = acc[0][l] + acc[1][l]
	}
	sum := sum8(&both)
	if i < nb {
		d := block(i)
		sum = fma32(d, float32(sumInts(&lanes)), sum)
	}
	return sum
}

// repackDotIQ4_NLGeneric sums as the reference's kernels for IQ4_NL
// matrices it has interleaved eight rows at a time, which are Q4_0's with
// the level table (ggml_gemv_iq4_nl_8x8_q8_0, ggml_gemm_iq4_nl_8x8_q8_0):
// see repackDot.
func repackDotIQ4_NLGeneric(n int, w, x []byte) float32 {
	return repackDot(n, w, x, IQ4_NL)
}

// batchDotIQ4_NLGeneric sums as the reference's tinyBLAS does for
// batches: the lanes8 scheme in one accumulator.
func batchDotIQ4_NLGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var lanes [8]int32
	var v [legacyBlock]int8
	for i := range n / legacyBlock {
		wb, xb := w[i*iq4nlBytes:(i+1)*iq4nlBytes], x[i*q8_0Bytes:(i+1)*q8_0Bytes]
		iq4nlBlockLevels(wb, &v)
		blockLanes(&v, xb[2:], &lanes)
		accumulateLanes8(&acc, &lanes, loadF16(wb)*loadF16(xb))
	}
	return sum8(&acc)
}

func batchDotBatchIQ4_NL(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	batchBy4(batchDot4IQ4_NL, batchDotIQ4_NL, n, w, x, stride, rows, out, outStride)
}
