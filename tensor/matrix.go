package tensor

import (
	"fmt"
	"unsafe"
)

// Matrix is a read-only weight matrix of Rows rows, each Cols values of type
// Type stored one after another, as GGUF stores a 2-D tensor of shape
// [Cols, Rows]. Data is usually a view of the memory-mapped file.
type Matrix struct {
	Type       Type
	Rows, Cols int
	Data       []byte
	ops        *Ops
	rowBytes   int
}

// NewMatrix checks that data holds rows×cols values of type t and that zhi can
// compute with t.
func NewMatrix(t Type, rows, cols int, data []byte) (*Matrix, error) {
	ops, err := OpsFor(t)
	if err != nil {
		return nil, err
	}
	if ops.VecDot == nil {
		return nil, fmt.Errorf("%s is an activation type, not a weight type", t)
	}
	rowBytes, err := t.RowSize(cols)
	if err != nil {
		return nil, err
	}
	if rows <= 0 || len(data)/rowBytes < rows {
		return nil, fmt.Errorf("%s matrix %dx%d needs %d bytes, have %d", t, rows, cols, rows*rowBytes, len(data))
	}
	return &Matrix{Type: t, Rows: rows, Cols: cols, Data: data[:rows*rowBytes], ops: ops, rowBytes: rowBytes}, nil
}

// Row dequantizes row r into dst[:Cols].
func (m *Matrix) Row(r int, dst []float32) {
	m.ops.ToFloat(m.Data[r*m.rowBytes:(r+1)*m.rowBytes], dst[:m.Cols])
}

// Activations are a batch of input rows converted to the types that weight
// matrices multiply them in. Each conversion is done once per batch however
// many matrices use it (the Q, K and V projections share their input).
type Activations struct {
	x     []float32
	n     int
	cols  int
	conv  map[Type][]byte
	valid map[Type]bool
	// repackScratch is the workers' scratch for RepackDotRows.
	repackScratch []int32
	// split is the batch as the Q8_0 tile kernel reads it, when splitValid.
	split      q8Split
	splitValid bool
	// wide is the batch's conversion to wideType (F16 or BF16) widened
	// back to float32, for the wide kernels, when wideValid; widening and
	// widenRun do it.
	wide      []float32
	wideType  Type
	wideValid bool
	widening  widening
	widenRun  func(worker, lo, hi int)
	// job is the matrix product in progress and run its method value, made
	// once: a closure per product would be an allocation per product.
	// convert and convertRun are the same for the conversion to a dot type.
	job        mulJob
	run        func(worker, lo, hi int)
	convert    conversion
	convertRun func(worker, lo, hi int)
}

// Set makes a the batch of n rows of cols values in x. x is read, not copied,
// until the next Set.
func (a *Activations) Set(x []float32, n, cols int) {
	if a.conv == nil {
		a.conv = map[Type][]byte{}
		a.valid = map[Type]bool{}
	}
	a.x, a.n, a.cols = x[:n*cols], n, cols
	clear(a.valid)
	a.splitValid, a.wideValid = false, false
}

// as returns the batch converted to type t, one row after another, the rows
// split across the pool.
func (a *Activations) as(p *Pool, t Type, ops *Ops) []byte {
	if t == F32 {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a.x))), len(a.x)*4)
	}
	rowBytes, _ := t.RowSize(a.cols)
	buf := a.conv[t]
	if a.valid[t] {
		return buf[:a.n*rowBytes]
	}
	if cap(buf) < a.n*rowBytes {
		buf = make([]byte, a.n*rowBytes)
	}
	buf = buf[:a.n*rowBytes]
	a.convert = conversion{from: ops.FromFloat, x: a.x, cols: a.cols, to: buf, rowBytes: rowBytes}
	if a.convertRun == nil {
		a.convertRun = a.convert.rows
	}
	p.For(a.n, 1, a.convertRun)
	a.convert = conversion{}
	a.conv[t], a.valid[t] = buf, true
	return buf
}

// widened returns the batch's conversion xq to type t, whose Ops are ops,
// widened back to float32, made once per batch, the rows split across p.
func (a *Activations) widened(p *Pool, t Type, ops *Ops, xq []byte) []float32 {
	n := a.n * a.cols
	if a.wideValid && a.wideType == t {
		return a.wide[:n]
	}
	if cap(a.wide) < n {
		a.wide = make([]float32, n)
	}
	a.wide = a.wide[:n]
	a.widening = widening{to: ops.ToFloat, src: xq, dst: a.wide, cols: a.cols}
	if a.widenRun == nil {
		a.widenRun = a.widening.rows
	}
	p.For(a.n, 1, a.widenRun)
	a.widening = widening{}
	a.wideType, a.wideValid = t, true
	return a.wide
}

// widening is the widening of a batch's conversion, in progress: rows of
// cols 16-bit values in src to float32 in dst, by to.
type widening struct {
	to   func(src []byte, dst []float32)
	src  []byte
	dst  []float32
	cols int
}

// rows widens rows lo…hi-1.
func (w *widening) rows(_, lo, hi int) {
	w.to(w.src[2*lo*w.cols:2*hi*w.cols], w.dst[lo*w.cols:hi*w.cols])
}

// conversion is the conversion of a batch to a weight's dot type, in
// progress.
type conversion struct {
	from     func(src []float32, dst []byte)
	x        []float32
	cols     int
	to       []byte
	rowBytes int
}

// rows converts rows lo…hi-1.
func (c *conversion) rows(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		c.from(c.x[i*c.cols:(i+1)*c.cols], c.to[i*c.rowBytes:(i+1)*c.rowBytes])
	}
}

// MulInto computes out[i*m.Rows+r] = row r of m · row i of a for every row i
// of the batch, splitting the weight rows across the pool. Each weight row is
// read once per batch, which is what makes prompt processing cheaper per token
// than generation.
//
// It sums each dot product as the reference's kernel for this matrix and
// batch would (see dotFor), so that results agree to the last bit.
func (m *Matrix) MulInto(p *Pool, out []float32, a *Activations) {
	if a.cols != m.Cols {
		panic(fmt.Sprintf("tensor: matrix has %d columns, activations %d", m.Cols, a.cols))
	}
	vt := m.ops.VecDotType
	vops, err := OpsFor(vt)
	if err != nil {
		panic(err)
	}
	xq := a.as(p, vt, vops)
	xRow, _ := vt.RowSize(m.Cols)
	n := a.n
	// Activation rows are taken a chunk at a time that stays in the
	// core's cache while the weight rows of a ForChunks chunk pass over it.
	chunk := max(4, activationCache/xRow/4*4)
	a.job = mulJob{m: m, out: out, xq: xq, xRow: xRow, n: n, chunk: chunk}
	m.setKernels(n, &a.job)
	if a.job.repackRows != nil {
		if n := p.Threads() * RepackScratch(m.Cols); cap(a.repackScratch) < n {
			a.repackScratch = make([]int32, n)
		}
		a.job.scratch = a.repackScratch
	}
	if a.job.dotWide2x3 != nil {
		a.job.wide = a.widened(p, vt, vops, xq)
		a.job.chunk = max(3, activationCache/(4*m.Cols)/3*3) // float32 rows, whole tiles
		if o := m.ops; o.BatchDotWide4x6 != nil && useAVX512 {
			a.job.dotWide4x6 = o.BatchDotWide4x6
			a.job.chunk = max(6, activationCache/(4*m.Cols)/6*6)
		}
	}
	// The activations are laid out for the tile kernels, and for a Q8_0
	// matrix with VNNI for the one-row kernel too.
	if f := a.job.tileFormat; f != nil {
		if cols := q8TileCols(); n >= cols || n == 1 && useAVX512 && f.typ == Q8_0 {
			if !a.splitValid {
				a.split.set(p, xq, n, m.Cols/legacyBlock)
				a.splitValid = true
			}
			a.job.split = &a.split
			// The laid-out rows are twice the size; whole tiles of them.
			a.job.chunk = max(cols, activationCache/(2*m.Cols)/cols*cols)
		} else {
			a.job.tileFormat = nil
		}
	}
	if a.run == nil {
		a.run = a.job.rows
	}
	// Chunks that shrink to 16 rows at the end balance the cores when one
	// runs slower (a busy neighbour, a lower clock) at little cost: the
	// weight rows of a chunk are read once whichever worker takes it.
	p.ForChunks(m.Rows, 16, a.run)
}

// mulJob is one matrix product, split by weight rows across workers.
type mulJob struct {
	m          *Matrix
	out        []float32
	xq         []byte
	xRow       int // bytes of one converted activation row
	n, chunk   int // activation rows, and how many to take at a time
	dot        func(n int, w, x []byte) float32
	dotBatch   func(n int, w, x []byte, stride, rows int, out []float32, outStride int)
	dot2x4     func(n int, w []byte, wStride int, x []byte, stride int, out []float32, outStride int)
	dotRows    func(n int, w []byte, rowBytes, rows int, x []byte, out []float32)
	dotWide2x3 func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int)
	dotWide4x6 func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int)
	wide       []float32 // the activations for dotWide2x3 and dotWide4x6
	// repackRows, where set, serves every activation row (RepackDotRows),
	// with RepackScratch int32s of scratch for each worker.
	repackRows func(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32)
	scratch    []int32
	tileFormat *tileFormat // the weights' format for the tile kernels, if they are used
	split      *q8Split    // the activations for the tile kernels
}

// rows computes the products of weight rows lo…hi-1: all in one call
// where repackRows is there, or for one activation row rowsQ8_0 (laid out
// for VNNI) or dotRows; otherwise four weight rows at a time where
// dotWide4x6 is, two where the tile kernel, dot2x4 or dotWide2x3 is, and
// the rest one at a time.
func (j *mulJob) rows(worker, lo, hi int) {
	if j.n == 1 && j.split != nil {
		m := j.m
		rowsQ8_0(m.Data[lo*m.rowBytes:hi*m.rowBytes], m.rowBytes, hi-lo, j.split, j.out[lo:hi])
		return
	}
	if j.repackRows != nil {
		m := j.m
		per := RepackScratch(m.Cols)
		j.repackRows(m.Cols, m.Data[lo*m.rowBytes:hi*m.rowBytes], m.rowBytes, hi-lo, j.xq, j.xRow, j.n, j.out[lo:], m.Rows,
			j.scratch[worker*per:(worker+1)*per])
		return
	}
	if j.n == 1 && j.dotRows != nil {
		m := j.m
		j.dotRows(m.Cols, m.Data[lo*m.rowBytes:hi*m.rowBytes], m.rowBytes, hi-lo, j.xq[:j.xRow], j.out[lo:hi])
		return
	}
	for first := 0; first < j.n; first += j.chunk {
		last := min(first+j.chunk, j.n)
		r := lo
		if j.split != nil {
			for ; r+q8TileRows <= hi; r += q8TileRows {
				j.tile(r, first, last)
			}
		}
		if j.dot2x4 != nil {
			for ; r+2 <= hi; r += 2 {
				j.rowPair(r, first, last)
			}
		}
		if j.dotWide4x6 != nil {
			for ; r+4 <= hi; r += 4 {
				j.wideQuad(r, first, last)
			}
		}
		if j.dotWide2x3 != nil {
			for ; r+2 <= hi; r += 2 {
				j.widePair(r, first, last)
			}
		}
		for ; r < hi; r++ {
			j.row(r, first, last)
		}
	}
}

// rowPair computes the products of weight rows r and r+1 with activation
// rows first…last-1, four activation rows at a time.
func (j *mulJob) rowPair(r, first, last int) {
	m, xq, xRow, out, rows, cols := j.m, j.xq, j.xRow, j.out, j.m.Rows, j.m.Cols
	w := m.Data[r*m.rowBytes : (r+2)*m.rowBytes]
	i := first
	for ; i+4 <= last; i += 4 {
		j.dot2x4(cols, w, m.rowBytes, xq[i*xRow:(i+4)*xRow], xRow, out[i*rows+r:], rows)
	}
	for ; i < last; i++ {
		x := xq[i*xRow : (i+1)*xRow]
		out[i*rows+r] = j.dot(cols, w, x)
		out[i*rows+r+1] = j.dot(cols, w[m.rowBytes:], x)
	}
}

// tile computes the products of weight rows r and r+1 with activation rows
// first…last-1, as many at a time as the tile kernel takes. The batch's
// last rows, fewer than that, go with the layout's padding rows into a
// tile of their own.
func (j *mulJob) tile(r, first, last int) {
	m, rows, cols := j.m, j.m.Rows, j.split.cols
	w := m.Data[r*m.rowBytes : (r+q8TileRows)*m.rowBytes]
	i := first
	for ; i+cols <= last; i += cols {
		tile(j.tileFormat, w, m.rowBytes, j.split, i, j.out[i*rows+r:], rows)
	}
	if i < last {
		var part [q8TileColsVNNI * q8TileRows]float32
		tile(j.tileFormat, w, m.rowBytes, j.split, i, part[:], q8TileRows)
		for c := range last - i {
			copy(j.out[(i+c)*rows+r:][:q8TileRows], part[c*q8TileRows:])
		}
	}
}

// wideQuad computes the products of weight rows r…r+3 with activation rows
// first…last-1, six at a time from the widened activations, and the rest
// with widePair.
func (j *mulJob) wideQuad(r, first, last int) {
	m, out, rows, cols := j.m, j.out, j.m.Rows, j.m.Cols
	w := m.Data[r*m.rowBytes : (r+4)*m.rowBytes]
	i := first
	for ; i+6 <= last; i += 6 {
		j.dotWide4x6(cols, w, m.rowBytes, j.wide[i*cols:(i+6)*cols], cols, out[i*rows+r:], rows)
	}
	if i < last {
		j.widePair(r, i, last)
		j.widePair(r+2, i, last)
	}
}

// widePair computes the products of weight rows r and r+1 with activation
// rows first…last-1, three at a time from the widened activations, and the
// rest one at a time.
func (j *mulJob) widePair(r, first, last int) {
	m, xq, xRow, out, rows, cols := j.m, j.xq, j.xRow, j.out, j.m.Rows, j.m.Cols
	w := m.Data[r*m.rowBytes : (r+2)*m.rowBytes]
	i := first
	for ; i+3 <= last; i += 3 {
		j.dotWide2x3(cols, w, m.rowBytes, j.wide[i*cols:(i+3)*cols], cols, out[i*rows+r:], rows)
	}
	for ; i < last; i++ {
		x := xq[i*xRow : (i+1)*xRow]
		out[i*rows+r] = j.dot(cols, w, x)
		out[i*rows+r+1] = j.dot(cols, w[m.rowBytes:], x)
	}
}

// row computes the products of weight row r with activation rows
// first…last-1.
func (j *mulJob) row(r, first, last int) {
	m, xq, xRow, out, rows, cols := j.m, j.xq, j.xRow, j.out, j.m.Rows, j.m.Cols
	w := m.Data[r*m.rowBytes : (r+1)*m.rowBytes]
	if j.dotBatch != nil {
		j.dotBatch(cols, w, xq[first*xRow:last*xRow], xRow, last-first, out[first*rows+r:], rows)
		return
	}
	for i := first; i < last; i++ {
		out[i*rows+r] = j.dot(cols, w, xq[i*xRow:(i+1)*xRow])
	}
}

// activationCache is how many bytes of activations MulInto keeps in use at
// once: about half a core's L2 cache.
const activationCache = 256 << 10

// BatchInvariant reports whether each row of MulInto's result is the same
// whatever the number of activation rows, that is whether the reference uses
// one kernel for this matrix at every batch size.
func (m *Matrix) BatchInvariant() bool {
	o := m.ops
	return (o.RepackDot != nil && m.Rows%o.RepackRows == 0) || o.BatchDot == nil || !TinyBLASFits(m.Rows, m.Cols)
}

// setKernels sets j's kernels to the dot product the reference uses for
// this matrix times a batch of n activation rows: its repack kernels for the
// types and shapes it repacks (whatever n), tinyBLAS for float matrices it
// fits when n ≥ 2, and its single-row vec_dot kernel otherwise. With the
// repack kernel it also sets the type's RepackDotRows, which then serves
// every activation row, and with the vec_dot kernel its VecDotBatch,
// VecDot2x4 and VecDotRows, if any, for several rows at a time; with
// tinyBLAS or vec_dot the tile kernels' format where they sum as it does.
func (m *Matrix) setKernels(n int, j *mulJob) {
	o := m.ops
	switch {
	case o.RepackDot != nil && m.Rows%o.RepackRows == 0:
		j.dot, j.repackRows = o.RepackDot, o.RepackDotRows
	case n >= 2 && o.BatchDot != nil && TinyBLASFits(m.Rows, m.Cols):
		j.dot, j.dotBatch, j.dotWide2x3 = o.BatchDot, o.BatchDotBatch, o.BatchDotWide2x3
		if o.tile != nil && o.tile.batch {
			j.tileFormat = o.tile
		}
	default:
		j.dot, j.dotBatch, j.dot2x4, j.dotRows = o.VecDot, o.VecDotBatch, o.VecDot2x4, o.VecDotRows
		if o.tile != nil && !o.tile.batch {
			j.tileFormat = o.tile
		}
	}
}
