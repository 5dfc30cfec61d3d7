package tensor

//go:noescape
func tileQ8_0AVX2(w *byte, wStride int, x *int16, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

//go:noescape
func tileQ8_0AVX512(w *byte, wStride int, x *int16, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)

// tileQ8_0 is tileQ8_0Generic, in AVX2 or AVX-512 where the CPU has them.
func tileQ8_0(w []byte, wStride int, s *q8Split, first int, out []float32, outStride int) {
	if !useAVX2 || s.blocks == 0 {
		tileQ8_0Generic(w, wStride, s, first, out, outStride)
		return
	}
	rowValues := s.blocks * legacyBlock
	_ = w[(q8TileRows-1)*wStride+s.blocks*q8_0Bytes-1] // both weight rows lie inside w
	x := s.quants[first*rowValues : (first+q8TileCols)*rowValues]
	d := s.scales[first : (s.blocks-1)*s.rows+first+8]
	_ = out[(q8TileCols-1)*outStride+q8TileRows-1]
	kernel := tileQ8_0AVX2
	if useAVX512 {
		kernel = tileQ8_0AVX512
	}
	kernel(&w[0], wStride, &x[0], 2*rowValues, &d[0], 4*s.rows, s.blocks, &out[0], outStride)
}
