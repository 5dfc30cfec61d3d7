package tensor

// The AVX-512 VNNI kernels of repack_vnni_amd64.s, for Q4_0 and IQ4_NL
// matrices the reference repacks: sixteen weight rows at a time against
// four activation rows, or one.

//go:noescape
func repackRows4Q4_0VNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)

//go:noescape
func repackRows4IQ4_NLVNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)

//go:noescape
func repackRows1Q4_0VNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)

//go:noescape
func repackRows1IQ4_NLVNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)

//go:noescape
func repackAuxVNNI(x *byte, xStride, xRows, blocks int, aux *int32, shift int)

// iq4nlOffsetTable is iq4nlValues plus 128, as unsigned bytes for VPDPBUSD.
var iq4nlOffsetTable = func() (t [16]byte) {
	for i, v := range iq4nlValues {
		t[i] = byte(int(v) + 128)
	}
	return t
}()

// repackVNNI is a format's pair of VNNI kernels and the offset of its
// levels as unsigned bytes, log2.
type repackVNNI struct {
	rows4, rows1 func(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)
	shift        int
}

var (
	q4_0VNNI  = repackVNNI{repackRows4Q4_0VNNI, repackRows1Q4_0VNNI, 3}
	iq4nlVNNI = repackVNNI{repackRows4IQ4_NLVNNI, repackRows1IQ4_NLVNNI, 7}
)

// dotRows computes what RepackDotRows does for the first 16·(rows/16)
// weight rows, in AVX-512 VNNI, four activation rows at a time and then
// one, and returns how many weight rows it did: none without AVX-512.
// scratch holds RepackScratch(n) int32s.
func (k *repackVNNI) dotRows(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32) int {
	blocks, groups := n/legacyBlock, rows/16
	if !useAVX512 || blocks == 0 || groups == 0 || xRows == 0 {
		return 0
	}
	_ = w[(16*groups-1)*rowBytes+blocks*q4_0Bytes-1]
	_ = x[(xRows-1)*xStride+blocks*q8_0Bytes-1]
	_ = out[(xRows-1)*outStride+16*groups-1]
	aux := scratch[:8*blocks]
	// Every kernel takes the IQ4_NL table; Q4_0's load it and leave it.
	for i := 0; i < xRows; i += 4 {
		r := min(4, xRows-i)
		repackAuxVNNI(&x[i*xStride], xStride, r, blocks, &aux[0], k.shift)
		if r == 4 {
			k.rows4(&w[0], rowBytes, groups, &x[i*xStride], xStride, blocks, &out[i*outStride], outStride, &aux[0], &iq4nlOffsetTable[0])
			continue
		}
		for j := range r {
			k.rows1(&w[0], rowBytes, groups, &x[(i+j)*xStride], xStride, blocks, &out[(i+j)*outStride], outStride, &aux[2*j], &iq4nlOffsetTable[0])
		}
	}
	return 16 * groups
}
