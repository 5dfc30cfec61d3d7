package tensor

import "unsafe"

//go:noescape
func fromFloatQ8KAVX2(src *float32, dst *byte, blocks int)

// fromFloatQ8K is quantizeQ8K, in AVX2 where the CPU has it.
func fromFloatQ8K(src []float32, dst []byte) {
	blocks := len(src) / qkK
	if !useAVX2 || blocks == 0 {
		quantizeQ8K(src, dst)
		return
	}
	_ = dst[blocks*q8KBytes-1]
	fromFloatQ8KAVX2(unsafe.SliceData(src), unsafe.SliceData(dst), blocks)
}
