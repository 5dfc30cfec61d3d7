package tensor

// A prompt multiplies each Q8_0 weight row by hundreds of activation rows,
// and the one-row kernels spend as much time getting each block's quants
// into shape (signs, magnitudes, pairs) as multiplying them. The tile
// kernel instead multiplies two weight rows by five activation rows at a
// time, reading the activations in a layout made once per batch: each
// block's quants widened to int16, the even-numbered ones and then the
// odd-numbered ones, and the block scales as float32, block by block. Its
// results equal vecDotQ8_0's bit for bit (lanes8).

// The tile kernel's shape: weight rows by activation rows.
const q8TileRows, q8TileCols = 2, 5

// q8Split is a batch of Q8_0 activation rows as the tile kernel reads them.
type q8Split struct {
	// quants holds block b of row i at (i·blocks+b)·32: its quants 0, 2,
	// …, 30, then 1, 3, …, 31.
	quants []int16
	// scales holds block b's scale of row i at b·rows+i, and q8SplitPad
	// spare floats after the last, which the kernel loads but ignores.
	scales       []float32
	rows, blocks int
	src          []byte // the Q8_0 rows, while they are being laid out
	// layOutRun is layOut's method value, made once: one per batch would
	// be an allocation per batch.
	layOutRun func(worker, lo, hi int)
}

// q8SplitPad lets the kernel load the scales of five rows as eight floats.
const q8SplitPad = 8 - q8TileCols

// set lays out the rows Q8_0 rows of blocks blocks each in xq, the rows
// split across p.
func (s *q8Split) set(p *Pool, xq []byte, rows, blocks int) {
	s.rows, s.blocks, s.src = rows, blocks, xq
	if n := rows * blocks * legacyBlock; cap(s.quants) < n {
		s.quants = make([]int16, n)
	}
	if n := rows*blocks + q8SplitPad; cap(s.scales) < n {
		s.scales = make([]float32, n)
	}
	s.quants = s.quants[:rows*blocks*legacyBlock]
	s.scales = s.scales[:rows*blocks+q8SplitPad]
	if s.layOutRun == nil {
		s.layOutRun = s.layOut
	}
	p.For(rows, 1, s.layOutRun)
	s.src = nil
}

// layOut lays out rows lo…hi-1 of the rows being set.
func (s *q8Split) layOut(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		for b := range s.blocks {
			blk := s.src[(i*s.blocks+b)*q8_0Bytes:][:q8_0Bytes]
			s.scales[b*s.rows+i] = loadF16(blk)
			q := s.quants[(i*s.blocks+b)*legacyBlock:][:legacyBlock]
			for k := range legacyBlock / 2 {
				q[k] = int16(int8(blk[2+2*k]))
				q[legacyBlock/2+k] = int16(int8(blk[3+2*k]))
			}
		}
	}
}

// tileQ8_0Generic is the tile kernel in Go: it sets out[c·outStride+r] to
// the product of weight row r, wStride bytes after w, and activation row
// first+c of s, for r < q8TileRows and c < q8TileCols, summed as
// vecDotQ8_0Generic sums it.
func tileQ8_0Generic(w []byte, wStride int, s *q8Split, first int, out []float32, outStride int) {
	for c := range q8TileCols {
		x := s.quants[(first+c)*s.blocks*legacyBlock:][:s.blocks*legacyBlock]
		for r := range q8TileRows {
			row := w[r*wStride:][:s.blocks*q8_0Bytes]
			var acc [8]float32
			var lanes [8]int32
			for b := range s.blocks {
				wb, q := row[b*q8_0Bytes+2:][:legacyBlock], x[b*legacyBlock:][:legacyBlock]
				for l := range lanes {
					// Products 4l and 4l+2 come from the even quants, 4l+1
					// and 4l+3 from the odd ones.
					lanes[l] = int32(int8(wb[4*l]))*int32(q[2*l]) + int32(int8(wb[4*l+1]))*int32(q[16+2*l]) +
						int32(int8(wb[4*l+2]))*int32(q[2*l+1]) + int32(int8(wb[4*l+3]))*int32(q[17+2*l])
				}
				accumulateLanes8(&acc, &lanes, loadF16(row[b*q8_0Bytes:])*s.scales[b*s.rows+first+c])
			}
			out[c*outStride+r] = sum8(&acc)
		}
	}
}
