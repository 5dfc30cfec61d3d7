package tensor

//go:noescape
func tileQ8_0AVX2(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func tileQ8_0VNNI(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func tileQ5_0AVX2(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func tileQ5_0VNNI(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func tileIQ4_NLAVX2(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func tileIQ4_NLVNNI(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func dotRowsQ8_0VNNI(w *byte, rowBytes, rows int, x *byte, d *float32, nb int, out *float32)

// tile is tileGeneric, in AVX2 or AVX-512 VNNI, as the layout of s asks,
// where the CPU has them.
func tile(f *tileFormat, w []byte, wStride int, s *q8Split, first int, out []float32, outStride int) {
	if !useAVX2 || s.blocks == 0 {
		tileGeneric(f, w, wStride, s, first, out, outStride)
		return
	}
	rowBytes := s.blocks * q8SplitBlock
	_ = w[(q8TileRows-1)*wStride+s.blocks*f.blockBytes-1] // both weight rows lie inside w
	x := s.quants[first*rowBytes : (first+s.cols)*rowBytes]
	d := s.scales[first : (s.blocks-1)*s.rows+first+8]
	_ = out[(s.cols-1)*outStride+q8TileRows-1]
	// Direct calls, not one through a function value: that would make out
	// escape, and the caller's tile of results for a batch's last rows
	// (mulJob.tile) with it, an allocation per chunk.
	pw, px, pd, po, dStride := &w[0], &x[0], &d[0], &out[0], 4*s.rows
	switch {
	case f.typ == Q5_0 && s.vnni:
		tileQ5_0VNNI(pw, wStride, px, rowBytes, pd, dStride, s.blocks, po, outStride)
	case f.typ == Q5_0:
		tileQ5_0AVX2(pw, wStride, px, rowBytes, pd, dStride, s.blocks, po, outStride)
	case f.typ == IQ4_NL && s.vnni:
		tileIQ4_NLVNNI(pw, wStride, px, rowBytes, pd, dStride, s.blocks, po, outStride)
	case f.typ == IQ4_NL:
		tileIQ4_NLAVX2(pw, wStride, px, rowBytes, pd, dStride, s.blocks, po, outStride)
	case s.vnni:
		tileQ8_0VNNI(pw, wStride, px, rowBytes, pd, dStride, s.blocks, po, outStride)
	default:
		tileQ8_0AVX2(pw, wStride, px, rowBytes, pd, dStride, s.blocks, po, outStride)
	}
}

// rowsQ8_0 is rowsQ8_0Generic, in AVX-512 VNNI where the layout of s is
// VNNI's and the CPU has it.
func rowsQ8_0(w []byte, rowBytes, rows int, s *q8Split, out []float32) {
	if !s.vnni || rows == 0 || s.blocks == 0 {
		rowsQ8_0Generic(w, rowBytes, rows, s, out)
		return
	}
	_ = w[(rows-1)*rowBytes+s.blocks*q8_0Bytes-1]
	x := s.quants[:s.blocks*q8SplitBlock]
	d := s.scales[:s.blocks]
	_ = out[rows-1]
	dotRowsQ8_0VNNI(&w[0], rowBytes, rows, &x[0], &d[0], s.blocks, &out[0])
}
