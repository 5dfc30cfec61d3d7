//go:build !amd64

package train

// Without an assembly kernel, products run kernelGeneric.

func kernel(k int, a aPanel, b, c []float32, ldc int, set bool) {
	kernelGeneric(k, a, b, c, ldc, set)
}
