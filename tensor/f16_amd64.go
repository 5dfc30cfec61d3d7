package tensor

import "unsafe"

// The half-precision kernels run in assembly (f16_amd64.s) when useAVX2 is
// set, in their Go twins otherwise. Callers pass vectors of equal length.

//go:noescape
func dotF16AVX2(x, y *uint16, n int) float32

//go:noescape
func dotF16BatchAVX2(x, y *uint16, n int) float32

//go:noescape
func dotF16BatchRowsAVX2(x *uint16, stride int, y *float32, n, rows int, scale float32, out *float32)

//go:noescape
func dotF16BatchRowsAVX512(x *uint16, stride int, y *float32, n, rows int, scale float32, out *float32)

//go:noescape
func encodeF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func decodeF16AVX2(dst *float32, src *uint16, n int) (sawNaN bool)

func dotF16(x, y []uint16) float32 {
	if !useAVX2 {
		return dotF16Generic(x, y)
	}
	return dotF16AVX2(unsafe.SliceData(x), unsafe.SliceData(y[:len(x)]), len(x))
}

func dotF16Batch(x, y []uint16) float32 {
	if !useAVX2 {
		return dotF16BatchGeneric(x, y)
	}
	n := len(x) / 16 * 16
	return dotF16BatchAVX2(unsafe.SliceData(x), unsafe.SliceData(y[:n]), n)
}

func dotF16BatchRows(x []uint16, stride int, y []float32, scale float32, out []float32) {
	if !useAVX2 || len(out) == 0 || len(y) == 0 {
		dotF16BatchRowsGeneric(x, stride, y, scale, out)
		return
	}
	kernel := dotF16BatchRowsAVX2
	if useAVX512 {
		kernel = dotF16BatchRowsAVX512
	}
	kernel(&x[0], stride, &y[0], len(y), len(out), scale, &out[0])
}

// encodeF16 converts len(src) values into dst.
func encodeF16(dst []uint16, src []float32) {
	if !useAVX2 {
		encodeF16Generic(dst, src)
		return
	}
	encodeF16AVX2(unsafe.SliceData(dst[:len(src)]), unsafe.SliceData(src), len(src))
}

// decodeF16 converts len(dst) halves of src to float32. A NaN among them
// may be a signalling one, which only the Go twin keeps as it is.
func decodeF16(dst []float32, src []uint16) {
	if !useAVX2 {
		decodeF16Generic(dst, src)
		return
	}
	if decodeF16AVX2(unsafe.SliceData(dst), unsafe.SliceData(src[:len(dst)]), len(dst)) {
		decodeF16Generic(dst, src)
	}
}
