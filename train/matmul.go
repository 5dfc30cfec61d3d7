package train

import (
	"fmt"

	"zhi/tensor"
)

// Matrix products are the whole cost of training, and every one of them is
// C = A·B for some views A and B of row-major buffers: a weight used as is
// or transposed, a head's columns of the query buffer, a gradient read by
// columns. mat describes such a view by two strides, so that transposing
// is swapping them and a product never copies its operands to reorder them.
//
// gemm computes products the way high-performance BLAS libraries do. For
// each block of kc values of k, and nc columns at a time, it copies
// ("packs") B into panels of nr columns laid out in the order the kernel
// reads them; a register-blocked kernel then keeps an mr×nr tile of C in
// registers while it runs along k, broadcasting values of a panel of mr
// rows of A. The kernel takes A's panels with any strides, so A is read
// where it lies when that streams well (see inPlaceA) and packed
// otherwise. Packing turns strided accesses into sequential ones and costs
// O(mk + kn) against the product's O(mnk); the blocking keeps a panel of A
// in L1 and the block of B in L2 while they are used.

// mat is a rows×cols matrix whose element (i, j) is data[i*rs + j*cs].
type mat struct {
	data       []float32
	rows, cols int
	rs, cs     int
}

// rowMajor views data as a rows×cols matrix stored row after row.
func rowMajor(data []float32, rows, cols int) mat {
	return mat{data: data[:rows*cols], rows: rows, cols: cols, rs: cols, cs: 1}
}

// T is the transpose of a, sharing its data.
func (a mat) T() mat { return mat{a.data, a.cols, a.rows, a.cs, a.rs} }

// sub is rows [r0, r0+rows) and columns [c0, c0+cols) of a.
func (a mat) sub(r0, rows, c0, cols int) mat {
	return mat{a.data[r0*a.rs+c0*a.cs:], rows, cols, a.rs, a.cs}
}

// at returns element (i, j); it is for tests and small loops.
func (a mat) at(i, j int) float32 { return a.data[i*a.rs+j*a.cs] }

// Kernel tile and blocking sizes. The tile is what the AVX2 kernel holds in
// twelve of its sixteen registers: 6 rows of 16 columns.
const (
	mr = 6
	nr = 16
	kc = 256 // a panel of A (6 KiB) stays in L1
	nc = 128 // a block of B (128 KiB) stays in L2
)

// gemmBuf holds one goroutine's packed operands.
type gemmBuf struct {
	a    []float32 // all of A's rows for one block of k
	b    [kc * nc]float32
	tile [mr * nr]float32
}

// triangle tells gemm which part of a product of attention matrices
// matters, so that it skips the tiles that are zero or unwanted under the
// causal mask.
type triangle int

const (
	dense  triangle = iota
	lowerC          // only C[i][j] with j <= i is wanted; the rest of C is left zero (or as it was when accumulating)
	lowerA          // A[i][p] is zero for p > i
	upperA          // A[i][p] is zero for p < i
)

// gemm sets C = A·B, or adds A·B to C when acc is set. C must be row-major
// (cs == 1) and must not overlap A or B.
func gemm(c, a, b mat, acc bool, buf *gemmBuf) { gemmTri(c, a, b, acc, dense, buf) }

// aPanel is mr rows of A over a range of k: element (i, p) is
// data[i*rs+p*ps]. A packed panel has rs 1 and ps mr; a panel read in
// place has A's own strides.
type aPanel struct {
	data   []float32
	rs, ps int
}

// inPlaceA tells whether the kernel reads A's full panels where they are
// instead of from packed copies, for a product with n columns. Rows stored
// contiguously along k stream well from memory. A transposed A, whose
// columns lie a row of the buffer apart and at power-of-two widths fall
// into few cache sets, is worth packing when its panels are read many
// times; in the narrow products of attention, one head wide, it is not.
func inPlaceA(a mat, n int) bool { return a.cs == 1 || a.rs == 1 && n <= 2*nr }

// gemmTri is gemm knowing where A or C is triangular.
func gemmTri(c, a, b mat, acc bool, tri triangle, buf *gemmBuf) {
	if a.rows != c.rows || b.cols != c.cols || a.cols != b.rows || c.cs != 1 {
		panic(fmt.Sprintf("train: gemm shapes %dx%d = %dx%d · %dx%d", c.rows, c.cols, a.rows, a.cols, b.rows, b.cols))
	}
	m, n, k := c.rows, c.cols, a.cols
	// A dense product sets C with its first block of k. A triangular one
	// may skip tiles there, so it clears C first.
	if !acc && (tri != dense || k == 0) {
		for i := range m {
			clear(c.data[i*c.rs : i*c.rs+n])
		}
		acc = true
	}
	panels := (m + mr - 1) / mr
	directA := inPlaceA(a, n)
	for k0 := 0; k0 < k; k0 += kc {
		kb := min(kc, k-k0)
		set := !acc && k0 == 0
		if need := panels * mr * kb; cap(buf.a) < need {
			buf.a = make([]float32, need)
		}
		for p := range panels {
			m0 := p * mr
			if mb := min(mr, m-m0); mb < mr || !directA {
				packA(buf.a[m0*kb:], a.sub(m0, mb, k0, kb))
			}
		}
		for n0 := 0; n0 < n; n0 += nc {
			nb := min(nc, n-n0)
			packB(buf.b[:], b.sub(k0, kb, n0, nb))
			for m0 := 0; m0 < m; m0 += mr {
				mb := min(mr, m-m0)
				// The range of k this row panel needs.
				lo, hi := k0, k0+kb
				switch tri {
				case lowerA:
					hi = min(hi, m0+mb)
				case upperA:
					lo = max(lo, m0)
				}
				if lo >= hi {
					continue
				}
				ap := aPanel{buf.a[m0*kb+(lo-k0)*mr:], 1, mr}
				if directA && mb == mr {
					ap = aPanel{a.data[m0*a.rs+lo*a.cs:], a.rs, a.cs}
				}
				for j0 := 0; j0 < nb; j0 += nr {
					if tri == lowerC && n0+j0 >= m0+mb {
						break
					}
					jb := min(nr, nb-j0)
					bp := buf.b[j0*kb+(lo-k0)*nr:]
					out := c.data[m0*c.rs+n0+j0:]
					if mb == mr && jb == nr {
						// Two full tiles side by side, both wanted, go
						// through the kernel for pairs.
						if j0+2*nr <= nb && (tri != lowerC || n0+j0+nr < m0+mb) {
							kernelPair(hi-lo, ap, bp, nr*kb, out, c.rs, set)
							j0 += nr
							continue
						}
						kernel(hi-lo, ap, bp, out, c.rs, set)
						continue
					}
					// An edge tile goes through a full one: the packed
					// panels are zero beyond the edge.
					kernel(hi-lo, ap, bp, buf.tile[:], nr, true)
					for i := range mb {
						row := out[i*c.rs : i*c.rs+jb]
						tile := buf.tile[i*nr : i*nr+jb]
						if set {
							copy(row, tile)
							continue
						}
						for j, v := range tile {
							row[j] += v
						}
					}
				}
			}
		}
	}
}

// packA copies a (at most mr rows) into dst column by column, mr values a
// column, zero below its last row.
func packA(dst []float32, a mat) {
	dst = dst[:a.cols*mr]
	if a.rows == mr && a.rs == 1 {
		packColumns(dst, a)
		return
	}
	clear(dst)
	for p := range a.cols {
		for i := range a.rows {
			dst[p*mr+i] = a.data[i*a.rs+p*a.cs]
		}
	}
}

// packColumnsGeneric is packA for a transposed A of mr rows, whose columns
// are runs of mr values in the buffer.
func packColumnsGeneric(dst []float32, a mat) {
	for p := range a.cols {
		*(*[mr]float32)(dst[p*mr:]) = *(*[mr]float32)(a.data[p*a.cs:])
	}
}

// packB copies b into panels of nr columns, each panel row by row, nr
// values a row, zero right of b's last column.
func packB(dst []float32, b mat) {
	for j0 := 0; j0 < b.cols; j0 += nr {
		jb := min(nr, b.cols-j0)
		panel := dst[j0*b.rows : (j0+nr)*b.rows]
		if jb == nr {
			packPanel(panel, b.sub(0, b.rows, j0, nr))
			continue
		}
		clear(panel)
		for j := range jb {
			for p := range b.rows {
				panel[p*nr+j] = b.at(p, j0+j)
			}
		}
	}
}

// packPanelGeneric copies b, nr columns wide, into dst row by row.
func packPanelGeneric(dst []float32, b mat) {
	dst = dst[:b.rows*nr]
	for p := range b.rows {
		row := (*[nr]float32)(dst[p*nr:])
		for j := range row {
			row[j] = b.data[p*b.rs+j*b.cs]
		}
	}
}

// kernelGeneric adds the product of an mr×k panel of A and a packed k×nr
// panel of B to the mr×nr tile of c whose rows are ldc apart, or stores it
// there when set is true.
func kernelGeneric(k int, a aPanel, b, c []float32, ldc int, set bool) {
	var acc [mr][nr]float32
	for p := range k {
		bp := (*[nr]float32)(b[p*nr:])
		for i := range mr {
			ai, row := a.data[i*a.rs+p*a.ps], &acc[i]
			for j, bj := range bp {
				row[j] += ai * bj
			}
		}
	}
	for i := range acc {
		row := (*[nr]float32)(c[i*ldc : i*ldc+nr])
		if set {
			*row = acc[i]
			continue
		}
		for j, v := range acc[i] {
			row[j] += v
		}
	}
}

// kernelPairGeneric is kernelGeneric over two tiles side by side: the
// first nr columns of c from the panel b, the next nr from the panel bnext
// values further on.
func kernelPairGeneric(k int, a aPanel, b []float32, bnext int, c []float32, ldc int, set bool) {
	kernelGeneric(k, a, b, c, ldc, set)
	kernelGeneric(k, a, b[bnext:], c[nr:], ldc, set)
}

// matmul is gemm split over the model's worker pool, by rows of C or by
// columns. Each worker packs its share of the operand split and the whole
// of the other, so the split is chosen to repeat the cheaper packing: none
// when A is read in place, else the smaller operand's. Columns are split
// only when there are enough for every worker to get a pair of panels.
func (m *Model) matmul(c, a, b mat, acc bool) {
	wide := c.cols >= 2*nr*m.pool.Threads()
	if wide && (inPlaceA(a, c.cols) || a.rows*a.cols < b.rows*b.cols) {
		m.pool.For(c.cols, nr, func(w, lo, hi int) {
			gemm(c.sub(0, c.rows, lo, hi-lo), a, b.sub(0, b.rows, lo, hi-lo), acc, &m.gemmBufs[w])
		})
		return
	}
	m.pool.For(c.rows, mr, func(w, lo, hi int) {
		gemm(c.sub(lo, hi-lo, 0, c.cols), a.sub(lo, hi-lo, 0, a.cols), b, acc, &m.gemmBufs[w])
	})
}

// newGemmBufs allocates one gemmBuf per worker of pool.
func newGemmBufs(pool *tensor.Pool) []gemmBuf { return make([]gemmBuf, pool.Threads()) }
