//go:build !amd64

package train

// Without an assembly kernel, products run kernelGeneric.

func kernel(k int, a, b, c []float32, ldc int, set bool) { kernelGeneric(k, a, b, c, ldc, set) }
