//go:build !amd64

package tensor

// Without assembly kernels, the bfloat16 dot products run their Go twins.

func vecDotBF16(n int, w, x []byte) float32   { return vecDotBF16Generic(n, w, x) }
func batchDotBF16(n int, w, x []byte) float32 { return batchDotBF16Generic(n, w, x) }
