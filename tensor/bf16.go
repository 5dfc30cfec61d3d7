package tensor

import "encoding/binary"

func init() {
	register(Ops{
		Type:       BF16,
		VecDotType: BF16,
		ToFloat:    toFloatBF16,
		Quantize:   quantizeBF16,
		VecDot:     vecDotBF16,
		BatchDot:   batchDotBF16,
		// As F16's: the reference's tinyBLAS takes BF16 too.
		BatchDotWide2x3: bf16Wide.dot2x3,
		BatchDotWide4x6: bf16Wide.dot4x6,
	})
}

func toFloatBF16(src []byte, dst []float32) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = loadBF16(src[2*i:])
	}
}

func quantizeBF16(src []float32, dst []byte) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

// loadBF16 returns the little-endian bfloat16 at the start of b as float32.
func loadBF16(b []byte) float32 { return BF16ToF32(binary.LittleEndian.Uint16(b)) }

// decodeBF16 converts len(dst) bfloat16s of src to float32.
func decodeBF16(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = BF16ToF32(h)
	}
}

// vecDotBF16Generic sums as ggml_vec_dot_bf16 built for AVX-512 without
// the BF16 extension: two 16-lane registers take turns over steps of 32
// values, the compiler fusing each multiplication into its addition; the two
// registers are reduced separately into a float64 sum, which takes the
// values past the last whole step one by one. (No reference model has BF16
// weights, so this scheme is read from the source, not checked against the
// reference.)
func vecDotBF16Generic(n int, w, x []byte) float32 {
	ws, xs := halves(w, n), halves(x, n)
	var acc [2][16]float32
	var a, b [32]float32
	i := 0
	for ; i+32 <= n; i += 32 {
		decodeBF16(a[:], ws[i:])
		decodeBF16(b[:], xs[i:])
		for r := range acc {
			for l := range acc[r] {
				acc[r][l] = fma32(a[16*r+l], b[16*r+l], acc[r][l])
			}
		}
	}
	sum := float64(sum16(&acc[0]))
	sum += float64(sum16(&acc[1]))
	for ; i < n; i++ {
		sum += float64(BF16ToF32(ws[i]) * BF16ToF32(xs[i]))
	}
	return float32(sum)
}

// batchDotBF16Generic sums as the reference's tinyBLAS kernel (see tileAcc).
func batchDotBF16Generic(n int, w, x []byte) float32 {
	ws, xs := halves(w, n), halves(x, n)
	n = n / 16 * 16
	var acc tileAcc
	var a, b [roundLen]float32
	for i := 0; i < n; i += roundLen {
		m := min(roundLen, n-i)
		decodeBF16(a[:m], ws[i:])
		decodeBF16(b[:m], xs[i:])
		acc.add(a[:m], b[:m])
	}
	return acc.sum()
}
