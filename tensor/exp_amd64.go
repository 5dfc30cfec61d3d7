package tensor

import "unsafe"

// The register parts of SoftmaxExp, SwiGLU and Max, and Scale, run in assembly
// (exp_amd64.s) when useAVX2 is set, in their Go twins otherwise. n is a
// multiple of 16 for the first two.

//go:noescape
func softmaxExpAVX2(x *float32, n int, m float32) float64

//go:noescape
func swigluAVX2(gate, up *float32, n int)

//go:noescape
func scaleAVX2(x *float32, n int, s float32)

//go:noescape
func maxLanesAVX2(x *float32, n int) float32

func softmaxExpRegs(x []float32, m float32) float64 {
	if !useAVX2 {
		return softmaxExpRegsGeneric(x, m)
	}
	return softmaxExpAVX2(unsafe.SliceData(x), len(x), m)
}

func swigluRegs(gate, up []float32) {
	if !useAVX2 {
		swigluRegsGeneric(gate, up)
		return
	}
	swigluAVX2(unsafe.SliceData(gate), unsafe.SliceData(up[:len(gate)]), len(gate))
}

func scale(x []float32, s float32) {
	if !useAVX2 {
		scaleGeneric(x, s)
		return
	}
	scaleAVX2(unsafe.SliceData(x), len(x), s)
}

func maxLanes(x []float32) float32 {
	if !useAVX2 {
		return maxLanesGeneric(x)
	}
	return maxLanesAVX2(unsafe.SliceData(x), len(x))
}
