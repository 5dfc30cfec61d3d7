//go:build !amd64

package tensor

// Without assembly kernels, the float32 dot products run their Go twins.

func vecDotF32(n int, w, x []byte) float32   { return vecDotF32Generic(n, w, x) }
func batchDotF32(n int, w, x []byte) float32 { return batchDotF32Generic(n, w, x) }
