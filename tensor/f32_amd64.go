package tensor

import "unsafe"

// The float32 dot products run in assembly (f32_amd64.s) when useAVX2 is
// set, in their Go twins otherwise.

//go:noescape
func dotF32AVX2(x, y *float32, n int) float32

//go:noescape
func dotF32BatchAVX2(x, y *float32, n int) float32

func vecDotF32(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotF32Generic(n, w, x)
	}
	return dotF32AVX2(unsafe.SliceData(floats(w, n)), unsafe.SliceData(floats(x, n)), n)
}

func batchDotF32(n int, w, x []byte) float32 {
	if !useAVX2 {
		return batchDotF32Generic(n, w, x)
	}
	n = n / 16 * 16
	return dotF32BatchAVX2(unsafe.SliceData(floats(w, n)), unsafe.SliceData(floats(x, n)), n)
}
