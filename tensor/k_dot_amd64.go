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
func dot4Q2KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q3KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4IQ4XSAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q4KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot4Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot8Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

//go:noescape
func dot8Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)

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

// kernel1 is the signature of the one-row assembly kernels.
type kernel1 func(w, x *byte, nb int) float32

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

// The assembly loops over groups of activation rows (dot_rows_amd64.s),
// each calling a four- or eight-row kernel groups times.

//go:noescape
func groupsQ2KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ3KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsIQ4XSAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ4KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ4KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groups8Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ5KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ5KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ6KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groupsQ6KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)

//go:noescape
func groups8Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)

// kernelGroups is the signature of those loops.
type kernelGroups func(w, x *byte, stride, nb int, out *float32, outStride, groups int)

// kBatch holds a K-quant's kernels for several activation rows: loops over
// groups of four rows in AVX2 and AVX-512 and of eight in AVX-512 (nil
// where there is none), the one-row kernels for the rows left over, and the
// Go twin.
type kBatch struct {
	avx2, avx512, avx512x8 kernelGroups
	one, one512            kernel1
	twin                   func(n int, w, x []byte) float32
	size                   int
}

var (
	q2KBatch   = kBatch{groupsQ2KAVX2, nil, nil, dotQ2KAVX2, nil, vecDotQ2KGeneric, q2KBytes}
	q3KBatch   = kBatch{groupsQ3KAVX2, nil, nil, dotQ3KAVX2, nil, vecDotQ3KGeneric, q3KBytes}
	iq4xsBatch = kBatch{groupsIQ4XSAVX2, nil, nil, dotIQ4XSAVX2, nil, vecDotIQ4XSGeneric, iq4xsBytes}
	q4KBatch   = kBatch{groupsQ4KAVX2, groupsQ4KAVX512, groups8Q4KAVX512, dotQ4KAVX2, dotQ4KAVX512, vecDotQ4KGeneric, q4KBytes}
	q5KBatch   = kBatch{groupsQ5KAVX2, groupsQ5KAVX512, nil, dotQ5KAVX2, dotQ5KAVX512, vecDotQ5KGeneric, q5KBytes}
	q6KBatch   = kBatch{groupsQ6KAVX2, groupsQ6KAVX512, groups8Q6KAVX512, dotQ6KAVX2, dotQ6KAVX512, vecDotQ6KGeneric, q6KBytes}
)

func vecDotBatchQ2K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	q2KBatch.dot(n, w, x, stride, rows, out, outStride)
}

func vecDotBatchQ3K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	q3KBatch.dot(n, w, x, stride, rows, out, outStride)
}

func vecDotBatchIQ4XS(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	iq4xsBatch.dot(n, w, x, stride, rows, out, outStride)
}

func vecDotBatchQ4K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	q4KBatch.dot(n, w, x, stride, rows, out, outStride)
}

func vecDotBatchQ5K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	q5KBatch.dot(n, w, x, stride, rows, out, outStride)
}

func vecDotBatchQ6K(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	q6KBatch.dot(n, w, x, stride, rows, out, outStride)
}

// dot is Ops.VecDotBatch: eight activation rows at a time where the CPU
// runs an eight-row kernel, then four at a time, each size of group in one
// call, then the rows left one at a time.
func (k *kBatch) dot(n int, w, x []byte, stride, rows int, out []float32, outStride int) {
	nb := n / qkK
	if !useAVX2 || rows == 0 || nb == 0 {
		vecDotEachX(k.twin, n, w, x, stride, rows, out, outStride)
		return
	}
	_ = w[nb*k.size-1]
	_ = x[(rows-1)*stride+nb*q8KBytes-1]
	_ = out[(rows-1)*outStride]
	i := 0
	if g := rows / 8; useAVX512 && k.avx512x8 != nil && g > 0 {
		k.avx512x8(&w[0], &x[0], stride, nb, &out[0], outStride, g)
		i = 8 * g
	}
	if g := (rows - i) / 4; g > 0 {
		groups := k.avx2
		if useAVX512 && k.avx512 != nil {
			groups = k.avx512
		}
		groups(&w[0], &x[i*stride], stride, nb, &out[i*outStride], outStride, g)
		i += 4 * g
	}
	for ; i < rows; i++ {
		out[i*outStride] = kDot(k.one, k.one512, k.twin, k.size, n, w, x[i*stride:])
	}
}
