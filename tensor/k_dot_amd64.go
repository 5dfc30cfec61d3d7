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
func dot4Q5KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q5KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q6KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

func vecDotQ2K(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ2KGeneric(n, w, x)
	}
	return dotQ2KAVX2(kBlocks(n, w, x, q2KBytes))
}

func vecDotQ3K(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ3KGeneric(n, w, x)
	}
	return dotQ3KAVX2(kBlocks(n, w, x, q3KBytes))
}

func vecDotQ4K(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ4KGeneric(n, w, x)
	}
	if useAVX512 {
		return dotQ4KAVX512(kBlocks(n, w, x, q4KBytes))
	}
	return dotQ4KAVX2(kBlocks(n, w, x, q4KBytes))
}

func vecDotQ5K(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ5KGeneric(n, w, x)
	}
	if useAVX512 {
		return dotQ5KAVX512(kBlocks(n, w, x, q5KBytes))
	}
	return dotQ5KAVX2(kBlocks(n, w, x, q5KBytes))
}

func vecDotQ6K(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotQ6KGeneric(n, w, x)
	}
	if useAVX512 {
		return dotQ6KAVX512(kBlocks(n, w, x, q6KBytes))
	}
	return dotQ6KAVX2(kBlocks(n, w, x, q6KBytes))
}

func vecDotIQ4XS(n int, w, x []byte) float32 {
	if !useAVX2 {
		return vecDotIQ4XSGeneric(n, w, x)
	}
	return dotIQ4XSAVX2(kBlocks(n, w, x, iq4xsBytes))
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
	if !useAVX2 {
		vecDot4Rows(vecDotQ4KGeneric, n, w, x, stride, out, outStride)
		return
	}
	pw, px, nb := kBlocks4(n, w, x, stride, q4KBytes, out, outStride)
	if useAVX512 {
		dot4Q4KAVX512(pw, px, stride, nb, &out[0], outStride)
		return
	}
	dot4Q4KAVX2(pw, px, stride, nb, &out[0], outStride)
}

func vecDot4Q5K(n int, w, x []byte, stride int, out []float32, outStride int) {
	if !useAVX2 {
		vecDot4Rows(vecDotQ5KGeneric, n, w, x, stride, out, outStride)
		return
	}
	pw, px, nb := kBlocks4(n, w, x, stride, q5KBytes, out, outStride)
	if useAVX512 {
		dot4Q5KAVX512(pw, px, stride, nb, &out[0], outStride)
		return
	}
	dot4Q5KAVX2(pw, px, stride, nb, &out[0], outStride)
}

func vecDot4Q6K(n int, w, x []byte, stride int, out []float32, outStride int) {
	if !useAVX2 {
		vecDot4Rows(vecDotQ6KGeneric, n, w, x, stride, out, outStride)
		return
	}
	pw, px, nb := kBlocks4(n, w, x, stride, q6KBytes, out, outStride)
	if useAVX512 {
		dot4Q6KAVX512(pw, px, stride, nb, &out[0], outStride)
		return
	}
	dot4Q6KAVX2(pw, px, stride, nb, &out[0], outStride)
}

// kBlocks4 is kBlocks for four activation rows stride bytes apart, which
// also checks that out has room for four results outStride apart.
func kBlocks4(n int, w, x []byte, stride, size int, out []float32, outStride int) (pw, px *byte, nb int) {
	nb = n / qkK
	_ = x[:3*stride+nb*q8KBytes]
	_ = out[3*outStride]
	return unsafe.SliceData(w[:nb*size]), unsafe.SliceData(x), nb
}
