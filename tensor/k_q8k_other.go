//go:build !amd64

package tensor

func fromFloatQ8K(src []float32, dst []byte) { quantizeQ8K(src, dst) }
