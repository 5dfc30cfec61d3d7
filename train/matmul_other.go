//go:build !amd64

package train

// Without an assembly kernel, products run kernelGeneric.

func kernel(k int, a aPanel, b, c []float32, ldc int, set bool) {
	kernelGeneric(k, a, b, c, ldc, set)
}

func kernelPair(k int, a aPanel, b []float32, bnext int, c []float32, ldc int, set bool) {
	kernelPairGeneric(k, a, b, bnext, c, ldc, set)
}

// useAVX512 is false: there is no AVX-512 kernel off amd64.
const useAVX512 = false

func packPanel(dst []float32, b mat) { packPanelGeneric(dst, b) }

func packColumns(dst []float32, a mat) { packColumnsGeneric(dst, a) }
