package tensor

import "unsafe"

// The K-quant and IQ4_XS dot products run in assembly (k_dot_amd64.s) when
// useAVX2 is set, in their Go twins (k_dot.go and the format files)
// otherwise. The kernels take whole
// super-blocks, nb of them; the four-row ones take activation rows stride
// bytes apart and store their results outStride floats apart.

//go:noescape
func dotQ2KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ3KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ4KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ4KAVX512(w, x *byte, nb int) float32

//go:noescape
func dotQ5KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ5KAVX512(w, x *byte, nb int) float32

//go:noescape
func dotQ6KAVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ6KAVX512(w, x *byte, nb int) float32

//go:noescape
func dotIQ4XSAVX2(w, x *byte, nb int) float32

//go:noescape
func dot4Q4KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot8Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q5KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q5KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q6KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

func vecDotQ2K(n int, w, x []byte) float32 {
	return kDot(dotQ2KAVX2, nil, vecDotQ2KGeneric, q2KBytes, n, w, x)
}

func vecDotQ3K(n int, w, x []byte) float32 {
	return kDot(dotQ3KAVX2, nil, vecDotQ3KGeneric, q3KBytes, n, w, x)
}

func vecDotQ4K(n int, w, x []byte) float32 {
	return kDot(dotQ4KAVX2, dotQ4KAVX512, vecDotQ4KGeneric, q4KBytes, n, w, x)
}

func vecDotQ5K(n int, w, x []byte) float32 {
	return kDot(dotQ5KAVX2, dotQ5KAVX512, vecDotQ5KGeneric, q5KBytes, n, w, x)
}

func vecDotQ6K(n int, w, x []byte) float32 {
	return kDot(dotQ6KAVX2, dotQ6KAVX512, vecDotQ6KGeneric, q6KBytes, n, w, x)
}

func vecDotIQ4XS(n int, w, x []byte) float32 {
	return kDot(dotIQ4XSAVX2, nil, vecDotIQ4XSGeneric, iq4xsBytes, n, w, x)
}

// kernel1 and kernel4 are the signatures of the one-row and four-row
// assembly kernels.
type (
	kernel1 func(w, x *byte, nb int) float32
	kernel4 func(w, x *byte, stride, nb int, out *float32, outStride int)
)

// kDot multiplies a weight row of n values in blocks of size bytes by its
// Q8_K activations with avx512 where the CPU runs it (and there is one),
// avx2 otherwise, or the Go twin without AVX2.
func kDot(avx2, avx512 kernel1, twin func(n int, w, x []byte) float32, size, n int, w, x []byte) float32 {
	if !useAVX2 {
		return twin(n, w, x)
	}
	if useAVX512 && avx512 != nil {
		return avx512(kBlocks(n, w, x, size))
	}
	return avx2(kBlocks(n, w, x, size))
}

// kBlocks returns the addresses of a weight row of n values in blocks of
// size bytes and of its Q8_K activations, and the number of super-blocks. It
// panics, as the Go twins would, when a row is too short for the assembly to
// read it.
func kBlocks(n int, w, x []byte, size int) (pw, px *byte, nb int) {
	nb = n / qkK
	return unsafe.SliceData(w[:nb*size]), unsafe.SliceData(x[:nb*q8KBytes]), nb
}

func vecDot4Q4K(n int, w, x []byte, stride int, out []float32, outStride int) {
	kDot4(dot4Q4KAVX2, dot4Q4KAVX512, vecDotQ4KGeneric, q4KBytes, n, w, x, stride, out, outStride)
}

// vecDot8Q4K runs the eight-row AVX-512 kernel where the CPU has it, the
// four-row kernel twice otherwise.
func vecDot8Q4K(n int, w, x []byte, stride int, out []float32, outStride int) {
	if !useAVX512 {
		vecDot8By4(vecDot4Q4K, n, w, x, stride, out, outStride)
		return
	}
	pw, px, nb := kBlocksRows(8, n, w, x, stride, q4KBytes, out, outStride)
	dot8Q4KAVX512(pw, px, stride, nb, &out[0], outStride)
}

func vecDot4Q5K(n int, w, x []byte, stride int, out []float32, outStride int) {
	kDot4(dot4Q5KAVX2, dot4Q5KAVX512, vecDotQ5KGeneric, q5KBytes, n, w, x, stride, out, outStride)
}

func vecDot4Q6K(n int, w, x []byte, stride int, out []float32, outStride int) {
	kDot4(dot4Q6KAVX2, dot4Q6KAVX512, vecDotQ6KGeneric, q6KBytes, n, w, x, stride, out, outStride)
}

// kDot4 is kDot for one weight row and four activation rows stride bytes
// apart, whose results go outStride floats apart.
func kDot4(avx2, avx512 kernel4, twin func(n int, w, x []byte) float32, size, n int, w, x []byte, stride int, out []float32, outStride int) {
	if !useAVX2 {
		vecDot4Rows(twin, n, w, x, stride, out, outStride)
		return
	}
	pw, px, nb := kBlocksRows(4, n, w, x, stride, size, out, outStride)
	if useAVX512 {
		avx512(pw, px, stride, nb, &out[0], outStride)
		return
	}
	avx2(pw, px, stride, nb, &out[0], outStride)
}

// kBlocksRows is kBlocks for rows activation rows stride bytes apart, which
// also checks that out has room for rows results outStride apart.
func kBlocksRows(rows, n int, w, x []byte, stride, size int, out []float32, outStride int) (pw, px *byte, nb int) {
	nb = n / qkK
	_ = x[:(rows-1)*stride+nb*q8KBytes]
	_ = out[(rows-1)*outStride]
	return unsafe.SliceData(w[:nb*size]), unsafe.SliceData(x), nb
}
