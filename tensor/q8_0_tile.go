package tensor

import "encoding/binary"

// A prompt multiplies each weight row by hundreds of activation rows, and
// the one-row kernels spend as much time getting each block's quants into
// shape (signs, magnitudes, pairs) as multiplying them. The tile kernels
// instead multiply two weight rows by several Q8_0 activation rows at a
// time, reading the activations in a layout made once per batch, and the
// block scales as float32, block by block. They take the weight formats
// whose products sum in the lanes8 scheme (tileFormat: Q8_0, Q5_0, and
// IQ4_NL in batches), and their results equal that scheme's bit for bit:
// the integer lanes are exact whatever the order of their products, and
// every float step is the reference's.
//
// Two layouts, one per kernel, each 64 bytes a block:
//   - split (AVX2, and the Go twin elsewhere): the quants widened to int16,
//     the even-numbered ones and then the odd-numbered ones;
//   - VNNI (AVX-512 VNNI): the 32 quants as they are, then for each lane l
//     of lanes8 the int32 -128·(q[4l]+q[4l+1]+q[4l+2]+q[4l+3]). VPDPBUSD
//     multiplies unsigned bytes by signed ones, so the kernel flips each
//     weight level's sign bit, which adds 128 to it as an unsigned byte,
//     and starts each lane from this correction, which takes the 128s out.

// q8TileRows is the tile kernels' number of weight rows.
const q8TileRows = 2

// The tile kernels' numbers of activation rows.
const (
	q8TileColsSplit = 5
	q8TileColsVNNI  = 8
)

// q8TileCols is the number of activation rows of the tile kernel this CPU
// runs.
func q8TileCols() int {
	if useAVX512 {
		return q8TileColsVNNI
	}
	return q8TileColsSplit
}

// q8Split is a batch of Q8_0 activation rows as the tile kernel reads them,
// padded with zero rows to whole tiles: the kernel takes the batch's last
// rows with them, and its results for them are dropped.
type q8Split struct {
	// quants holds block b of row i at (i·blocks+b)·q8SplitBlock, in the
	// layout of the kernel: split, or VNNI where vnni is set.
	quants []byte
	// scales holds block b's scale of row i at b·rows+i, and q8SplitPad
	// spare floats after the last, which the AVX2 kernel loads but ignores.
	scales []float32
	// rows counts the padding rows too; blocks is the blocks of a row.
	rows, blocks int
	vnni         bool
	cols         int    // the kernel's activation rows
	src          []byte // the Q8_0 rows, while they are being laid out
	// layOutRun is layOut's method value, made once: one per batch would
	// be an allocation per batch.
	layOutRun func(worker, lo, hi int)
}

// q8SplitBlock is the size of a block in either layout.
const q8SplitBlock = 64

// q8SplitPad lets the AVX2 kernel load the scales of five rows as eight
// floats.
const q8SplitPad = 8 - q8TileColsSplit

// set lays out the rows Q8_0 rows of blocks blocks each in xq for the
// kernel this CPU runs, the rows split across p.
func (s *q8Split) set(p *Pool, xq []byte, rows, blocks int) {
	s.vnni, s.cols = useAVX512, q8TileCols()
	padded := (rows + s.cols - 1) / s.cols * s.cols
	if rows == 1 {
		padded = 1 // generation's one-row kernel reads block b's scale at b
	}
	s.rows, s.blocks, s.src = padded, blocks, xq
	if n := padded * blocks * q8SplitBlock; cap(s.quants) < n {
		s.quants = make([]byte, n)
	}
	if n := padded*blocks + q8SplitPad; cap(s.scales) < n {
		s.scales = make([]float32, n)
	}
	s.quants = s.quants[:padded*blocks*q8SplitBlock]
	s.scales = s.scales[:padded*blocks+q8SplitPad]
	clear(s.quants[rows*blocks*q8SplitBlock:])
	for b := range blocks {
		clear(s.scales[b*padded+rows : (b+1)*padded])
	}
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
			q := s.quants[(i*s.blocks+b)*q8SplitBlock:][:q8SplitBlock]
			if s.vnni {
				copy(q, blk[2:])
				for l := range legacyBlock / 4 {
					var sum int32
					for _, v := range blk[2+4*l : 6+4*l] {
						sum += int32(int8(v))
					}
					binary.LittleEndian.PutUint32(q[legacyBlock+4*l:], uint32(-128*sum))
				}
				continue
			}
			for k := range legacyBlock / 2 {
				binary.LittleEndian.PutUint16(q[2*k:], uint16(int8(blk[2+2*k])))
				binary.LittleEndian.PutUint16(q[legacyBlock+2*k:], uint16(int8(blk[3+2*k])))
			}
		}
	}
}

// tileFormat is a weight format the tile kernels take: blocks of 32 levels
// with an F16 scale first, whose products with Q8_0 activations sum in the
// lanes8 scheme.
type tileFormat struct {
	typ        Type
	blockBytes int
	// batch marks a format whose products sum in the lanes8 scheme only
	// in batches (its Ops' BatchDot, as IQ4_NL's), not in VecDot.
	batch bool
}

// The tile formats, which the formats' Ops name.
var (
	q8_0Tile  = tileFormat{typ: Q8_0, blockBytes: q8_0Bytes}
	q5_0Tile  = tileFormat{typ: Q5_0, blockBytes: q5_0Bytes}
	iq4nlTile = tileFormat{typ: IQ4_NL, blockBytes: iq4nlBytes, batch: true}
)

// lanes sets lanes to lanes8's integer lanes of the weight levels v and
// block q of the layout, as the kernel of the layout makes them.
func (s *q8Split) lanes(lanes *[8]int32, v *[legacyBlock]int8, q []byte) {
	if s.vnni {
		// VPDPBUSD: the correction, plus each weight level with its sign
		// bit flipped, as an unsigned byte, times the quant.
		for l := range lanes {
			sum := int32(binary.LittleEndian.Uint32(q[legacyBlock+4*l:]))
			for k := 4 * l; k < 4*l+4; k++ {
				sum += int32(byte(v[k])^0x80) * int32(int8(q[k]))
			}
			lanes[l] = sum
		}
		return
	}
	// Products 4l and 4l+2 come from the even quants (words 2l and 2l+1),
	// 4l+1 and 4l+3 from the odd ones (words 16+2l and 17+2l).
	word := func(k int) int32 { return int32(int16(binary.LittleEndian.Uint16(q[2*k:]))) }
	for l := range lanes {
		lanes[l] = int32(v[4*l])*word(2*l) + int32(v[4*l+1])*word(16+2*l) +
			int32(v[4*l+2])*word(2*l+1) + int32(v[4*l+3])*word(17+2*l)
	}
}

// dot returns the product of the weight row w, in format f, and activation
// row i of s, summed in the lanes8 scheme.
func (s *q8Split) dot(f *tileFormat, w []byte, i int) float32 {
	x := s.quants[i*s.blocks*q8SplitBlock:][:s.blocks*q8SplitBlock]
	w = w[:s.blocks*f.blockBytes]
	var acc [8]float32
	var lanes [8]int32
	var v [legacyBlock]int8
	for b := range s.blocks {
		wb := w[b*f.blockBytes:][:f.blockBytes]
		blockLevels(f.typ, wb, &v)
		s.lanes(&lanes, &v, x[b*q8SplitBlock:][:q8SplitBlock])
		accumulateLanes8(&acc, &lanes, loadF16(wb)*s.scales[b*s.rows+i])
	}
	return sum8(&acc)
}

// tileGeneric is the tile kernel in Go: it sets out[c·outStride+r] to the
// product of weight row r, in format f, wStride bytes after w, and
// activation row first+c of s, for r < q8TileRows and c < s.cols.
func tileGeneric(f *tileFormat, w []byte, wStride int, s *q8Split, first int, out []float32, outStride int) {
	for c := range s.cols {
		for r := range q8TileRows {
			out[c*outStride+r] = s.dot(f, w[r*wStride:], first+c)
		}
	}
}

// rowsQ8_0Generic sets out[r] to the product of weight row r, rowBytes
// bytes apart from w, and the one activation row of s, for r < rows: what
// generation does with every Q8_0 matrix where the activations are laid out
// for VNNI.
func rowsQ8_0Generic(w []byte, rowBytes, rows int, s *q8Split, out []float32) {
	for r := range rows {
		out[r] = s.dot(&q8_0Tile, w[r*rowBytes:], 0)
	}
}
