package tensor

// The wide kernels (Ops.BatchDotWide2x3 and BatchDotWide4x6) of the 16-bit
// float types multiply several weight rows by several activation rows held
// as the activations' F16 or BF16 conversion widened back to float32, which
// a batch makes once (Activations.widened) instead of once per weight row.
// They sum as the reference's tinyBLAS kernel does (tileAcc).

// wideAsm is the signature of the wide assembly kernels: w and x point at
// the first weight and activation rows, wStride and xStride bytes apart, n
// is a multiple of 16, and the result of weight row i and activation row j
// goes to out[j·outStride+i].
type wideAsm func(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)

// wideTiles are a 16-bit float type's wide kernels: two weight rows by
// three activation rows in AVX2 and AVX-512, four by six in AVX-512 (nil
// where there are none), and whether its values are BF16 (F16 otherwise),
// which their Go twins decode.
type wideTiles struct {
	avx2, avx512, avx512x46 wideAsm
	bf16                    bool
}

// dot2x3 is Ops.BatchDotWide2x3: the products of two weight rows, wStride
// bytes apart, and three widened activation rows, xStride floats apart,
// over the first n/16*16 values.
func (t *wideTiles) dot2x3(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int) {
	n16 := n / 16 * 16
	if !useAVX2 || t.avx2 == nil || n16 == 0 {
		t.dot2x3Generic(n, w, wStride, x, xStride, out, outStride)
		return
	}
	_ = w[wStride+2*n16-1] // both weight rows lie inside w
	_ = x[2*xStride+n16-1]
	_ = out[2*outStride+1]
	kernel := t.avx2
	if useAVX512 {
		kernel = t.avx512
	}
	kernel(&halves(w, n16)[0], wStride, &x[0], 4*xStride, n16, &out[0], outStride)
}

// dot4x6 is Ops.BatchDotWide4x6: dot2x3 for four weight rows and six
// activation rows.
func (t *wideTiles) dot4x6(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int) {
	n16 := n / 16 * 16
	if !useAVX512 || t.avx512x46 == nil || n16 == 0 {
		wide4x6By2x3(t.dot2x3, n, w, wStride, x, xStride, out, outStride)
		return
	}
	_ = w[3*wStride+2*n16-1] // the four weight rows lie inside w
	_ = x[5*xStride+n16-1]
	_ = out[5*outStride+3]
	t.avx512x46(&halves(w, n16)[0], wStride, &x[0], 4*xStride, n16, &out[0], outStride)
}

// wide4x6By2x3 is Ops.BatchDotWide4x6 made of four calls of wide2x3, an
// Ops.BatchDotWide2x3.
func wide4x6By2x3(wide2x3 func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int),
	n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int) {
	for i := 0; i < 4; i += 2 {
		for j := 0; j < 6; j += 3 {
			wide2x3(n, w[i*wStride:], wStride, x[j*xStride:], xStride, out[j*outStride+i:], outStride)
		}
	}
}

// dot2x3Generic is the Go twin of dot2x3: the tinyBLAS sum of each weight
// row and each activation row. The weights are decoded by a direct call:
// through a function value ws would escape, an allocation per call.
func (t *wideTiles) dot2x3Generic(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int) {
	n16 := n / 16 * 16
	var ws [16]float32
	for i := range 2 {
		wh := halves(w[i*wStride:], n16)
		for j := range 3 {
			xj := x[j*xStride:][:n16]
			var acc tileAcc
			for k := 0; k < n16; k += 16 {
				if t.bf16 {
					decodeBF16(ws[:], wh[k:k+16])
				} else {
					decodeF16Generic(ws[:], wh[k:k+16])
				}
				acc.add(ws[:], xj[k:k+16])
			}
			out[j*outStride+i] = acc.sum()
		}
	}
}
