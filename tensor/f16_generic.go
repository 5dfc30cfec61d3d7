//go:build !amd64

package tensor

// Without assembly kernels, the half-precision kernels run their Go twins.

func dotF16(x, y []uint16) float32      { return dotF16Generic(x, y) }
func dotF16Batch(x, y []uint16) float32 { return dotF16BatchGeneric(x, y) }

func dotF16BatchRows(x []uint16, stride int, y []float32, scale float32, out []float32) {
	dotF16BatchRowsGeneric(x, stride, y, scale, out)
}
func encodeF16(dst []uint16, src []float32) { encodeF16Generic(dst, src) }
func decodeF16(dst []float32, src []uint16) { decodeF16Generic(dst, src) }
