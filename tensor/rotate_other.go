//go:build !amd64

package tensor

// Without assembly kernels, RotatePairs, RotateHalves and ScaleMul do every
// value in Go: these report that they did none.

func rotatePairs(x, cs, sc []float32) int         { return 0 }
func rotateHalves(lo, hi, cos, sin []float32) int { return 0 }
func scaleMul(dst, x, w []float32, s float32) int { return 0 }
