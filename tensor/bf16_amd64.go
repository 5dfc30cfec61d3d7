package tensor

import "unsafe"

// The bfloat16 dot products run in assembly (bf16_amd64.s) when useAVX2 is
// set, in their Go twins otherwise.

//go:noescape
func dotBF16AVX2(x, y *uint16, n int) float32

//go:noescape
func dotBF16BatchAVX2(x, y *uint16, n int) float32

func vecDotBF16(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotBF16Generic(n, w, x)
	}
	return dotBF16AVX2(unsafe.SliceData(halves(w, n)), unsafe.SliceData(halves(x, n)), n)
}

func batchDotBF16(n int, w, x []byte) float32 {
	if !useAVX2 {
		return batchDotBF16Generic(n, w, x)
	}
	n = n / 16 * 16
	return dotBF16BatchAVX2(unsafe.SliceData(halves(w, n)), unsafe.SliceData(halves(x, n)), n)
}
