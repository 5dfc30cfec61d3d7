package tensor

//go:noescape
func dotRowsQ4KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ4KAVX512(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ5KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ5KAVX512(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ6KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ6KAVX512(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ2KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ3KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsIQ4XSAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ4_1AVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ5_1AVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

//go:noescape
func dotRowsQ8_0AVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32) (exact bool)

func vecDotRowsQ2K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	kRows(dotRowsQ2KAVX2, nil, vecDotQ2KGeneric, q2KBytes, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ3K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	kRows(dotRowsQ3KAVX2, nil, vecDotQ3KGeneric, q3KBytes, n, w, rowBytes, rows, x, out)
}

func vecDotRowsIQ4XS(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	kRows(dotRowsIQ4XSAVX2, nil, vecDotIQ4XSGeneric, iq4xsBytes, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ4K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	kRows(dotRowsQ4KAVX2, dotRowsQ4KAVX512, vecDotQ4KGeneric, q4KBytes, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ5K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	kRows(dotRowsQ5KAVX2, dotRowsQ5KAVX512, vecDotQ5KGeneric, q5KBytes, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ6K(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	kRows(dotRowsQ6KAVX2, dotRowsQ6KAVX512, vecDotQ6KGeneric, q6KBytes, n, w, rowBytes, rows, x, out)
}

// kRowsAsm is the signature of the assembly loops over weight rows.
type kRowsAsm func(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)

// kRows runs an assembly loop over rows weight rows of a K-quant with
// blocks of size bytes (asmRows).
func kRows(avx2, avx512 kRowsAsm, twin func(n int, w, x []byte) float32,
	size, n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	asmRows(avx2, avx512, twin, qkK, size, q8KBytes, n, w, rowBytes, rows, x, out)
}

// asmRows runs an assembly loop over rows weight rows of blocks of values
// values and size bytes against activations in blocks of xSize bytes,
// after checking that w, x and out hold them: avx512 where the CPU runs it
// (and there is one), avx2 otherwise, or twin row by row without AVX2.
func asmRows(avx2, avx512 kRowsAsm, twin func(n int, w, x []byte) float32,
	values, size, xSize, n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	nb := n / values
	if !useAVX2 || rows == 0 || nb == 0 {
		vecDotEachRow(twin, n, w, rowBytes, rows, x, out)
		return
	}
	_ = w[(rows-1)*rowBytes+nb*size-1]
	_ = x[nb*xSize-1]
	_ = out[rows-1]
	asm := avx2
	if useAVX512 && avx512 != nil {
		asm = avx512
	}
	asm(&w[0], rowBytes, rows, &x[0], nb, &out[0])
}

func vecDotRowsQ8_0(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	nb := n / legacyBlock
	if useAVX2 && rows > 0 && nb > 0 {
		_ = w[(rows-1)*rowBytes+nb*q8_0Bytes-1]
		_ = x[nb*q8_0Bytes-1]
		_ = out[rows-1]
		if dotRowsQ8_0AVX2(&w[0], rowBytes, rows, &x[0], nb, &out[0]) {
			return
		}
	}
	vecDotEachRow(vecDotQ8_0, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ4_1(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	asmRows(dotRowsQ4_1AVX2, nil, vecDotQ4_1Generic, legacyBlock, q4_1Bytes, q8_1Bytes, n, w, rowBytes, rows, x, out)
}

func vecDotRowsQ5_1(n int, w []byte, rowBytes, rows int, x []byte, out []float32) {
	asmRows(dotRowsQ5_1AVX2, nil, vecDotQ5_1Generic, legacyBlock, q5_1Bytes, q8_1Bytes, n, w, rowBytes, rows, x, out)
}
