package tensor

// The wide kernels' assembly (wide_amd64.s).

//go:noescape
func dot2x3F16WideAVX2(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

//go:noescape
func dot2x3F16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

//go:noescape
func dot4x6F16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

//go:noescape
func dot2x3BF16WideAVX2(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

//go:noescape
func dot2x3BF16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

//go:noescape
func dot4x6BF16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

var (
	f16Wide  = wideTiles{dot2x3F16WideAVX2, dot2x3F16WideAVX512, dot4x6F16WideAVX512, false}
	bf16Wide = wideTiles{dot2x3BF16WideAVX2, dot2x3BF16WideAVX512, dot4x6BF16WideAVX512, true}
)
