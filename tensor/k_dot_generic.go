//go:build !amd64

package tensor

// Without assembly kernels, the K-quant and IQ4_XS dot products run their
// Go twins.

func vecDotQ2K(n int, w, x []byte) float32   { return vecDotQ2KGeneric(n, w, x) }
func vecDotQ3K(n int, w, x []byte) float32   { return vecDotQ3KGeneric(n, w, x) }
func vecDotQ4K(n int, w, x []byte) float32   { return vecDotQ4KGeneric(n, w, x) }
func vecDotQ5K(n int, w, x []byte) float32   { return vecDotQ5KGeneric(n, w, x) }
func vecDotQ6K(n int, w, x []byte) float32   { return vecDotQ6KGeneric(n, w, x) }
func vecDotIQ4XS(n int, w, x []byte) float32 { return vecDotIQ4XSGeneric(n, w, x) }

func vecDotBatchQ4K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	vecDotEachX(vecDotQ4KGeneric, n, w, x, stride, rows, out, outStride)
}

func vecDotBatchQ5K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	vecDotEachX(vecDotQ5KGeneric, n, w, x, stride, rows, out, outStride)
}

func vecDotBatchQ6K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	vecDotEachX(vecDotQ6KGeneric, n, w, x, stride, rows, out, outStride)
}

func vecDotRowsQ4K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ4KGeneric, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ5K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ5KGeneric, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ6K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ6KGeneric, n, w, rowBytes, rows, x, out)
}

func vecDotBatchQ2K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	vecDotEachX(vecDotQ2KGeneric, n, w, x, stride, rows, out, outStride)
}

func vecDotRowsQ2K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ2KGeneric, n, w, rowBytes, rows, x, out)
}

func vecDotBatchQ3K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	vecDotEachX(vecDotQ3KGeneric, n, w, x, stride, rows, out, outStride)
}

func vecDotRowsQ3K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ3KGeneric, n, w, rowBytes, rows, x, out)
}

func vecDotBatchIQ4XS(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	vecDotEachX(vecDotIQ4XSGeneric, n, w, x, stride, rows, out, outStride)
}

func vecDotRowsIQ4XS(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotIQ4XSGeneric, n, w, rowBytes, rows, x, out)
}
