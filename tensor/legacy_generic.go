//go:build !amd64

package tensor

// Without assembly kernels, the 32-value block formats run their Go twins.

func vecDotQ8_0(n int, w, x []byte) float32 { return vecDotQ8_0Generic(n, w, x) }
func vecDotQ4_0(n int, w, x []byte) float32 { return vecDotQ4_0Generic(n, w, x) }

func vecDot4Q8_0(n int, w, x []byte, stride int, out []float32, outStride int) {
	vecDotEachX(vecDotQ8_0Generic, n, w, x, stride, 4, out, outStride)
}

func vecDot2x4Q8_0(n int, w []byte, wStride int, x []byte, stride int, out []float32, outStride int) {
	vecDot2x4Rows(vecDotQ8_0Generic, n, w, wStride, x, stride, out, outStride)
}

func repackDotQ4_0(n int, w, x []byte) float32 { return repackDotQ4_0Generic(n, w, x) }
func vecDotQ5_0(n int, w, x []byte) float32    { return vecDotQ5_0Generic(n, w, x) }
func vecDotQ4_1(n int, w, x []byte) float32    { return vecDotQ4_1Generic(n, w, x) }
func vecDotQ5_1(n int, w, x []byte) float32    { return vecDotQ5_1Generic(n, w, x) }
func vecDotIQ4_NL(n int, w, x []byte) float32  { return vecDotIQ4_NLGeneric(n, w, x) }
func fromFloatQ8_0(src []float32, dst []byte)  { fromFloatQ8_0Generic(src, dst) }

func tile(f *tileFormat, w []byte, wStride int, s *q8Split, first int, out []float32, outStride int) {
	tileGeneric(f, w, wStride, s, first, out, outStride)
}

func rowsQ8_0(w []byte, rowBytes, rows int, s *q8Split, out []float32) {
	rowsQ8_0Generic(w, rowBytes, rows, s, out)
}

func repackDotRowsQ4_0(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, _ []int32) {
	repackDotEachRow(repackDotQ4_0Generic, n, w, rowBytes, rows, x, xStride, xRows, out, outStride)
}

func repackDotRowsIQ4_NL(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, _ []int32) {
	repackDotEachRow(repackDotIQ4_NLGeneric, n, w, rowBytes, rows, x, xStride, xRows, out, outStride)
}

func vecDotRowsQ8_0(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ8_0Generic, n, w, rowBytes, rows, x, out)
}

func batchDotIQ4_NL(n int, w, x []byte) float32 { return batchDotIQ4_NLGeneric(n, w, x) }

func batchDot4IQ4_NL(n int, w, x []byte, stride int, out []float32, outStride int) {
	vecDotEachX(batchDotIQ4_NLGeneric, n, w, x, stride, 4, out, outStride)
}

func vecDot4Q5_0(n int, w, x []byte, stride int, out []float32, outStride int) {
	vecDotEachX(vecDotQ5_0Generic, n, w, x, stride, 4, out, outStride)
}

// repackDotEachRow is Ops.RepackDotRows made of dot, one product at a time.
func repackDotEachRow(dot func(n int, w, x []byte) float32, n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int) {
	for i := range xRows {
		vecDotEachRow(dot, n, w, rowBytes, rows, x[i*xStride:], out[i*outStride:])
	}
}

func vecDot4Q4_1(n int, w, x []byte, stride int, out []float32, outStride int) {
	vecDotEachX(vecDotQ4_1Generic, n, w, x, stride, 4, out, outStride)
}

func vecDot4Q5_1(n int, w, x []byte, stride int, out []float32, outStride int) {
	vecDotEachX(vecDotQ5_1Generic, n, w, x, stride, 4, out, outStride)
}

func vecDotRowsQ4_1(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ4_1Generic, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ5_1(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	vecDotEachRow(vecDotQ5_1Generic, n, w, rowBytes, rows, x, out)
}
