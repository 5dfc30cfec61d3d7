package tensor

import "unsafe"

// The kernels of rotate.go take eight values at a time, n/8 times.

//go:noescape
func rotatePairsAVX2(x, cs, sc *float32, n int)

//go:noescape
func rotateHalvesAVX2(lo, hi, cos, sin *float32, n int)

//go:noescape
func scaleMulAVX2(dst, x, w *float32, n int, s float32)

// rotatePairs, rotateHalves and scaleMul run the assembly over the whole
// eights of values, where the CPU has it, and return how many values they
// did.
func rotatePairs(x, cs, sc []float32) int {
	n := len(x) / 8 * 8
	if !useAVX2 || n == 0 {
		return 0
	}
	rotatePairsAVX2(unsafe.SliceData(x), unsafe.SliceData(cs[:n]), unsafe.SliceData(sc[:n]), n)
	return n
}

func rotateHalves(lo, hi, cos, sin []float32) int {
	n := len(lo) / 8 * 8
	if !useAVX2 || n == 0 {
		return 0
	}
	rotateHalvesAVX2(unsafe.SliceData(lo), unsafe.SliceData(hi[:n]), unsafe.SliceData(cos[:n]), unsafe.SliceData(sin[:n]), n)
	return n
}

func scaleMul(dst, x, w []float32, s float32) int {
	n := len(dst) / 8 * 8
	if !useAVX2 || n == 0 {
		return 0
	}
	scaleMulAVX2(unsafe.SliceData(dst), unsafe.SliceData(x[:n]), unsafe.SliceData(w[:n]), n, s)
	return n
}
