package tensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The assembly kernels must agree with their Go twins bit for bit on any
// input, however unlikely: the tests below feed both random bytes, extreme
// levels and special scales (zero, subnormal, largest, infinite, NaN).

// requireAsm skips a test of the assembly kernels where they are off, which
// makes every dispatcher its Go twin.
func requireAsm(t testing.TB) {
	t.Helper()
	if !useAVX2 {
		t.Skip("assembly kernels off: not amd64 with AVX2, or ZHI_NOASM set")
	}
}

// specialHalves are F16 scales at the edges of the format.
var specialHalves = []uint16{
	0x0000, 0x8000, // ±0
	0x0001, 0x83ff, // subnormal
	0x0400, 0x3c00, 0xbc00, // smallest normal, ±1
	0x7bff, 0xfbff, // ±largest
	0x7c00, 0xfc00, // ±Inf
	0x7e00, 0xfe01, 0x7c01, // quiet and signalling NaN
}

// randomHalf returns an F16 scale: usually a plausible one, sometimes a
// special one or any bit pattern at all.
func randomHalf(r *rand.Rand) uint16 {
	switch r.IntN(8) {
	case 0:
		return specialHalves[r.IntN(len(specialHalves))]
	case 1:
		return uint16(r.Uint32())
	}
	return F32ToF16(float32(r.NormFloat64() * 0.02))
}

// randomLegacyBlocks returns n values' worth of blocks of the given size, each
// with an F16 scale at off (and, for Q8_1-like layouts, more halves up to
// quants) and quant bytes that are random or at the extremes.
func randomLegacyBlocks(r *rand.Rand, n, blockBytes, quants int) []byte {
	b := make([]byte, n/legacyBlock*blockBytes)
	for i := 0; i < len(b); i += blockBytes {
		blk := b[i : i+blockBytes]
		for h := 0; h < quants; h += 2 {
			binary.LittleEndian.PutUint16(blk[h:], randomHalf(r))
		}
		q := blk[quants:]
		switch r.IntN(6) {
		case 0: // every level at one extreme
			fill := []byte{0x00, 0x7f, 0x80, 0xff, 0x88, 0x0f}[r.IntN(6)]
			for j := range q {
				q[j] = fill
			}
		case 1: // extremes mixed
			for j := range q {
				q[j] = []byte{0x00, 0x7f, 0x80, 0xff, 0x81, 0x01}[r.IntN(6)]
			}
		default:
			for j := range q {
				q[j] = byte(r.Uint32())
			}
		}
	}
	return b
}

// sameBits reports whether a and b have the same bits, or are both NaN:
// which NaN's payload an operation passes on depends on operand order,
// which Go's compiler chooses freely.
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

var legacyDots = []struct {
	typ          Type
	asm, generic func(n int, w, x []byte) float32
	quants       int // offset of the quants in a weight block
	xQuants      int // offset of the quants in an activation block (Q8_0 or Q8_1)
}{
	{Q8_0, vecDotQ8_0, vecDotQ8_0Generic, 2, 2},
	{Q4_0, vecDotQ4_0, vecDotQ4_0Generic, 2, 2},
	{Q4_0, repackDotQ4_0, repackDotQ4_0Generic, 2, 2},
	{Q4_1, vecDotQ4_1, vecDotQ4_1Generic, 4, 4},
	{Q5_0, vecDotQ5_0, vecDotQ5_0Generic, 2, 2}, // qh counts as quants: random bits
	{Q5_1, vecDotQ5_1, vecDotQ5_1Generic, 4, 4},
	{IQ4_NL, vecDotIQ4_NL, vecDotIQ4_NLGeneric, 2, 2},
}

var testLengths = []int{0, 32, 64, 96, 256, 288, 1024, 4096 + 96}

func TestLegacyDotsMatchGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(11, 12))
	for k, c := range legacyDots {
		name := fmt.Sprintf("%s/%d", c.typ, k)
		for _, n := range testLengths {
			for trial := range 60 {
				var w, x []byte
				if trial%3 == 0 {
					w, x = quantizedRow(t, r, c.typ, n)
				} else {
					w = randomLegacyBlocks(r, n, c.typ.TypeSize(), c.quants)
					x = randomLegacyBlocks(r, n, legacyBlock+c.xQuants, c.xQuants)
				}
				if got, want := c.asm(n, w, x), c.generic(n, w, x); !sameBits(got, want) {
					t.Fatalf("%s n=%d trial %d: assembly %g (%#x), Go %g (%#x)", name, n, trial, got, math.Float32bits(got), want, math.Float32bits(want))
				}
				// Activation quants of -128 (which FromFloat never makes)
				// send Q8_0 to its Go twin: try the rows without them.
				for b := 0; b < len(x); b += legacyBlock + c.xQuants {
					for j := b + c.xQuants; j < b+legacyBlock+c.xQuants; j++ {
						if x[j] == 0x80 {
							x[j] = 0x81
						}
					}
				}
				if got, want := c.asm(n, w, x), c.generic(n, w, x); !sameBits(got, want) {
					t.Fatalf("%s n=%d trial %d, no -128: assembly %g (%#x), Go %g (%#x)", name, n, trial, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
	}
}

// TestLegacyDotsSpecialBlocks sums rows whose every block has the same
// special scale and extreme levels, where each lane's rounding is easiest
// to get wrong.
func TestLegacyDotsSpecialBlocks(t *testing.T) {
	requireAsm(t)
	const n = 256
	for k, c := range legacyDots {
		for _, dw := range specialHalves {
			for _, dx := range specialHalves {
				for _, fill := range [][2]byte{{0x7f, 0x80}, {0x80, 0x80}, {0x80, 0x7f}, {0xff, 0x81}, {0x00, 0x01}} {
					w := bytes.Repeat(append(specialScales(dw, c.quants), bytes.Repeat(fill[:1], c.typ.TypeSize()-c.quants)...), n/32)
					x := bytes.Repeat(append(specialScales(dx, c.xQuants), bytes.Repeat(fill[1:], 32)...), n/32)
					if got, want := c.asm(n, w, x), c.generic(n, w, x); !sameBits(got, want) {
						t.Fatalf("%s/%d scales %#04x·%#04x levels %#x: assembly %g, Go %g", c.typ, k, dw, dx, fill, got, want)
					}
				}
			}
		}
	}
}

// specialScales returns the halves of a block header of the given size: the
// scale h, and h negated as the offset (Q4_1, Q5_1) or block sum (Q8_1).
func specialScales(h uint16, size int) []byte {
	b := binary.LittleEndian.AppendUint16(nil, h)
	if size == 4 {
		b = binary.LittleEndian.AppendUint16(b, h^0x8000)
	}
	return b
}

// randomActivations returns n floats of mixed magnitudes with zeros,
// halfway cases, subnormals, huge values, infinities and NaNs mixed in.
func randomActivations(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	scale := float32(math.Ldexp(1, r.IntN(60)-30))
	for i := range x {
		switch r.IntN(24) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(r.IntN(255)-127) + 0.5 // ties once scaled by 1
		case 2:
			x[i] = math.Float32frombits(r.Uint32() & 0x807fffff) // subnormal
		case 3:
			x[i] = math.Float32frombits(r.Uint32()) // anything, NaN included
		case 4:
			x[i] = []float32{math.MaxFloat32, -math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), negZero}[r.IntN(6)]
		default:
			x[i] = float32(r.NormFloat64()) * scale
		}
	}
	return x
}

// TestFromFloatMatchesGo checks the assembly activation quantizers, Q8_0's
// and Q8_K's, against their Go twins byte for byte.
func TestFromFloatMatchesGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range []struct {
		typ         Type
		asm, twin   func(src []float32, dst []byte)
		block, size int
	}{
		{Q8_0, fromFloatQ8_0, fromFloatQ8_0Generic, legacyBlock, q8_0Bytes},
		{Q8_K, fromFloatQ8K, quantizeQ8K, qkK, q8KBytes},
	} {
		check := func(x []float32) {
			t.Helper()
			x = x[:len(x)/c.block*c.block]
			got, want := make([]byte, len(x)/c.block*c.size), make([]byte, len(x)/c.block*c.size)
			c.asm(x, got)
			c.twin(x, want)
			for b := 0; b < len(got); b += c.size {
				if !bytes.Equal(got[b:b+c.size], want[b:b+c.size]) {
					t.Fatalf("%s block %v:\nassembly %x\nGo       %x", c.typ, x[b/c.size*c.block:][:c.block], got[b:b+c.size], want[b:b+c.size])
				}
			}
		}
		for _, n := range testLengths {
			for range 40 {
				check(randomActivations(r, n))
				check(randomRow(r, n))
			}
		}
		// Blocks of one value repeated, and a block's amax in each position.
		for _, v := range []float32{0, negZero, 1, -1, 0x1p-149, 0x1p-127, 3e-37, math.MaxFloat32, float32(math.Inf(-1)), float32(math.NaN())} {
			x := make([]float32, c.block)
			for i := range x {
				x[i] = v
			}
			check(x)
			for i := range x {
				y := randomRow(r, c.block)
				y[i] = v
				check(y)
			}
		}
	}
}

func benchLegacy(b *testing.B, dot func(n int, w, x []byte) float32, typ Type) {
	const n = 4096
	w, x := quantizedRow(b, rand.New(rand.NewPCG(7, 8)), typ, n)
	b.SetBytes(int64(len(w)))
	var sink float32
	for b.Loop() {
		sink += dot(n, w, x)
	}
	_ = fmt.Sprint(sink)
}

// BenchmarkLegacyDot compares each assembly kernel with its Go twin on a
// row of 4096 values.
func BenchmarkLegacyDot(b *testing.B) {
	for k, c := range legacyDots {
		name := c.typ.String()
		if c.typ == Q4_0 && k == 2 {
			name += "repack"
		}
		b.Run(name+"/asm", func(b *testing.B) { requireAsm(b); benchLegacy(b, c.asm, c.typ) })
		b.Run(name+"/go", func(b *testing.B) { benchLegacy(b, c.generic, c.typ) })
	}
}

// BenchmarkFromFloat compares the activation quantizers with their Go
// twins on 4096 values.
func BenchmarkFromFloat(b *testing.B) {
	x := randomRow(rand.New(rand.NewPCG(1, 2)), 4096)
	for _, c := range []struct {
		typ       Type
		asm, twin func(src []float32, dst []byte)
		size      int
	}{
		{Q8_0, fromFloatQ8_0, fromFloatQ8_0Generic, 4096 / legacyBlock * q8_0Bytes},
		{Q8_K, fromFloatQ8K, quantizeQ8K, 4096 / qkK * q8KBytes},
	} {
		dst := make([]byte, c.size)
		b.Run(c.typ.String()+"/asm", func(b *testing.B) {
			requireAsm(b)
			b.SetBytes(4 * 4096)
			for b.Loop() {
				c.asm(x, dst)
			}
		})
		b.Run(c.typ.String()+"/go", func(b *testing.B) {
			b.SetBytes(4 * 4096)
			for b.Loop() {
				c.twin(x, dst)
			}
		})
	}
}

// legacyDot4s are the four-row kernels with their one-row kernels and the
// one-row Go twins each of their results must equal.
var legacyDot4s = []struct {
	name            string
	typ             Type
	dot4            func(n int, w, x []byte, stride int, out []float32, outStride int)
	one, generic    func(n int, w, x []byte) float32
	quants, xQuants int // as in legacyDots
}{
	{"Q8_0", Q8_0, vecDot4Q8_0, vecDotQ8_0, vecDotQ8_0Generic, 2, 2},
	{"Q5_0", Q5_0, vecDot4Q5_0, vecDotQ5_0, vecDotQ5_0Generic, 2, 2},
	{"IQ4_NLbatch", IQ4_NL, batchDot4IQ4_NL, batchDotIQ4_NL, batchDotIQ4_NLGeneric, 2, 2},
	{"Q4_1", Q4_1, vecDot4Q4_1, vecDotQ4_1, vecDotQ4_1Generic, 4, 4},
	{"Q5_1", Q5_1, vecDot4Q5_1, vecDotQ5_1, vecDotQ5_1Generic, 4, 4},
}

// TestLegacyDot4MatchGo checks each four-row kernel against its Go twin
// row by row, with activation rows packed tightly or apart and results
// next to each other or apart, and that it writes only its four results.
func TestLegacyDot4MatchGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(31, 32))
	const pad = 5 // floats watched on either side of out
	for _, c := range legacyDot4s {
		for _, n := range testLengths {
			for trial := range 30 {
				xBlock := legacyBlock + c.xQuants
				rowBytes := n / legacyBlock * xBlock
				stride := rowBytes + r.IntN(2)*(1+r.IntN(100))
				w := randomLegacyBlocks(r, n, c.typ.TypeSize(), c.quants)
				x := make([]byte, 3*stride+rowBytes)
				for row := range 4 {
					copy(x[row*stride:], randomLegacyBlocks(r, n, xBlock, c.xQuants))
				}
				if trial%2 == 0 { // without -128, which sends Q8_0 to its twin
					for i := range x {
						if x[i] == 0x80 {
							x[i] = 0x81
						}
					}
				}
				outStride := 1 + r.IntN(4)
				buf := make([]float32, pad+3*outStride+1+pad)
				c.dot4(n, w, x, stride, buf[pad:pad+3*outStride+1], outStride)
				for row := range 4 {
					got, want := buf[pad+row*outStride], c.generic(n, w, x[row*stride:])
					if !sameBits(got, want) {
						t.Fatalf("%s n=%d trial %d row %d: assembly %g (%#x), Go %g (%#x)", c.name, n, trial, row, got, math.Float32bits(got), want, math.Float32bits(want))
					}
					buf[pad+row*outStride] = 0
				}
				for i, v := range buf {
					if v != 0 {
						t.Fatalf("%s n=%d trial %d outStride %d: wrote buf[%d] = %g, out starts at %d", c.name, n, trial, outStride, i, v, pad)
					}
				}
			}
		}
	}
}

// TestBatchMulIntoMatchesBatchDot multiplies an IQ4_NL matrix of a row
// count the reference does not repack, and F16 and BF16 matrices, which the
// reference's tinyBLAS takes for batches, by batches of 2 to 19
// (IQ4_NL) or 15 (F16, BF16) rows, which MulInto hands to the tile kernel
// (IQ4_NL, from five or eight rows), BatchDotBatch (groups of four),
// BatchDotWide4x6 or BatchDotWide2x3 (four weight rows by six activation
// rows, two by three), and the rest to BatchDot, and checks every output
// against BatchDot bit for bit.
func TestBatchMulIntoMatchesBatchDot(t *testing.T) {
	checkMulInto(t, rand.New(rand.NewPCG(51, 52)), IQ4_NL, 12, 320, 2, 19, batchDotIQ4_NLGeneric)
	// F16 and BF16 batches go six activation rows at a time to
	// BatchDotWide4x6 with AVX-512, three to BatchDotWide2x3 otherwise.
	checkMulInto(t, rand.New(rand.NewPCG(55, 56)), F16, 12, 320, 2, 15, batchDotF16)
	checkMulInto(t, rand.New(rand.NewPCG(57, 58)), BF16, 12, 320, 2, 15, batchDotBF16Generic)
}

// TestRepackMulIntoMatchesRepackDot multiplies Q4_0 and IQ4_NL matrices the
// reference repacks by batches of every size up to 9, which MulInto splits into
// RepackDotRows calls, one per activation row, and checks every output
// against RepackDot bit for bit.
func TestRepackMulIntoMatchesRepackDot(t *testing.T) {
	for _, typ := range []Type{Q4_0, IQ4_NL} {
		o, _ := OpsFor(typ)
		if o.RepackDotRows == nil {
			t.Fatalf("%s: no RepackDotRows", typ)
		}
		checkMulInto(t, rand.New(rand.NewPCG(35, 36)), typ, 16, 320, 1, 9, o.RepackDot)
	}
}

// BenchmarkLegacyDot4 compares, on four activation rows of 4096 values, each
// four-row kernel with its one-row assembly kernel called four times and
// with its Go twin.
func BenchmarkLegacyDot4(b *testing.B) {
	const n = 4096
	for _, c := range legacyDot4s {
		r := rand.New(rand.NewPCG(9, 10))
		w, _ := quantizedRow(b, r, c.typ, n)
		x := make([]byte, 0, 4*n/legacyBlock*q8_0Bytes)
		for range 4 {
			_, xq := quantizedRow(b, r, c.typ, n)
			x = append(x, xq...)
		}
		stride := len(x) / 4
		var out [4]float32
		run := func(b *testing.B, dot4 func(n int, w, x []byte, stride int, out []float32, outStride int)) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				dot4(n, w, x, stride, out[:], 1)
			}
		}
		b.Run(c.name+"/asm4", func(b *testing.B) { requireAsm(b); run(b, c.dot4) })
		b.Run(c.name+"/asm1x4", func(b *testing.B) {
			requireAsm(b)
			run(b, func(n int, w, x []byte, stride int, out []float32, outStride int) {
				vecDotEachX(c.one, n, w, x, stride, 4, out, outStride)
			})
		})
		b.Run(c.name+"/go", func(b *testing.B) {
			run(b, func(n int, w, x []byte, stride int, out []float32, outStride int) {
				vecDotEachX(c.generic, n, w, x, stride, 4, out, outStride)
			})
		})
	}
}

// TestDot2x4Q8_0MatchesGo checks the two-by-four Q8_0 kernel against the Go
// twin product by product, with rows packed tightly or apart, and that it
// writes only its eight results.
func TestDot2x4Q8_0MatchesGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(33, 34))
	gapped := func(rows, rowBytes int) (stride int, b []byte) {
		stride = rowBytes + r.IntN(2)*(1+r.IntN(100))
		b = make([]byte, (rows-1)*stride+rowBytes)
		for row := range rows {
			copy(b[row*stride:], randomLegacyBlocks(r, rowBytes/q8_0Bytes*legacyBlock, q8_0Bytes, 2))
		}
		return stride, b
	}
	for _, n := range testLengths {
		for trial := range 30 {
			rowBytes := n / legacyBlock * q8_0Bytes
			wStride, w := gapped(2, rowBytes)
			stride, x := gapped(4, rowBytes)
			if trial%2 == 0 { // without -128, which sends the kernel to its twin
				for i := range x {
					if x[i] == 0x80 {
						x[i] = 0x81
					}
				}
			}
			outStride := 2 + r.IntN(3)
			out := make([]float32, 3*outStride+2)
			vecDot2x4Q8_0(n, w, wStride, x, stride, out, outStride)
			written := map[int]bool{}
			for i := range 2 {
				for j := range 4 {
					k := j*outStride + i
					written[k] = true
					got, want := out[k], vecDotQ8_0Generic(n, w[i*wStride:], x[j*stride:])
					if !sameBits(got, want) {
						t.Fatalf("n=%d trial %d weight row %d activation row %d: assembly %g, Go %g", n, trial, i, j, got, want)
					}
				}
			}
			for k, v := range out {
				if !written[k] && v != 0 {
					t.Fatalf("n=%d trial %d: wrote out[%d] = %g", n, trial, k, v)
				}
			}
		}
	}
}

// TestLanes8MulIntoMatchesVecDot multiplies Q8_0 and Q5_0 matrices, with an
// even and an odd number of rows, by batches of every size up to 19, which
// MulInto takes a tile's worth (five, or eight with VNNI) at a time with
// the tile kernels, the last rows padded to a tile, or for short batches
// with VecDot2x4 and VecDotBatch, and checks every output against VecDot
// bit for bit.
func TestLanes8MulIntoMatchesVecDot(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for _, typ := range []Type{Q8_0, Q5_0} {
		o, _ := OpsFor(typ)
		for _, rows := range []int{6, 7} {
			checkMulInto(t, r, typ, rows, 320, 1, 19, o.VecDot)
		}
	}
}

// TestRepackDotRowsMatchGo checks RepackDotRows of Q4_0 and IQ4_NL, whose
// assembly takes sixteen weight rows and four or one activation rows at a
// time (AVX-512 VNNI), or eight weight rows and (Q4_0) two activation rows
// (AVX2), against the Go twin product by product, for 0 to 40 weight rows
// (several groups and the rows left over) and 0 to 9 activation rows, each
// packed tightly or apart, and that it writes only its results.
func TestRepackDotRowsMatchGo(t *testing.T) {
	for _, c := range []struct {
		typ Type
		dot func(n int, w, x []byte) float32
	}{{Q4_0, repackDotQ4_0Generic}, {IQ4_NL, repackDotIQ4_NLGeneric}} {
		testRepackDotRows(t, rand.New(rand.NewPCG(49, 50)), c.typ, c.dot)
	}
}

// testRepackDotRows is TestRepackDotRowsMatchGo for one type, whose Go
// twin is dot.
func testRepackDotRows(t *testing.T, r *rand.Rand, typ Type, dot func(n int, w, x []byte) float32) {
	t.Helper()
	o, _ := OpsFor(typ)
	for _, n := range testLengths {
		for trial := range 10 {
			size, xSize := n/legacyBlock*q4_0Bytes, n/legacyBlock*q8_0Bytes
			rows, xRows := r.IntN(41), r.IntN(10)
			rowBytes := size + r.IntN(2)*(1+r.IntN(100))
			xStride := xSize + r.IntN(2)*(1+r.IntN(100))
			outStride := max(1, rows+r.IntN(3))
			w := make([]byte, max(0, (rows-1)*rowBytes+size))
			for row := range rows {
				copy(w[row*rowBytes:], randomLegacyBlocks(r, n, q4_0Bytes, 2))
			}
			x := make([]byte, max(0, (xRows-1)*xStride+xSize))
			for i := range xRows {
				copy(x[i*xStride:], randomLegacyBlocks(r, n, q8_0Bytes, 2))
			}
			out := make([]float32, xRows*outStride+1)
			for i := range out {
				out[i] = -7
			}
			o.RepackDotRows(n, w, rowBytes, rows, x, xStride, xRows, out, outStride, make([]int32, RepackScratch(n)))
			for k, v := range out {
				i, row := k/outStride, k%outStride
				switch {
				case i < xRows && row < rows:
					if want := dot(n, w[row*rowBytes:], x[i*xStride:]); !sameBits(v, want) {
						t.Fatalf("%s n=%d trial %d: weight row %d of %d, activation row %d of %d: %g (%#x), Go %g (%#x)",
							typ, n, trial, row, rows, i, xRows, v, math.Float32bits(v), want, math.Float32bits(want))
					}
				case v != -7:
					t.Fatalf("%s n=%d trial %d: wrote out[%d] = %g, outside its results", typ, n, trial, k, v)
				}
			}
		}
	}
}

// BenchmarkRepackDotRows compares, per 64 Q4_0 rows of 2048 values times
// one activation row, RepackDotRows (eight weight rows at a time) against
// one activation row and against two, with the one-row kernel called for
// each row.
func BenchmarkRepackDotRows(b *testing.B) {
	requireAsm(b)
	const n, rows = 2048, 64
	r := rand.New(rand.NewPCG(11, 12))
	rowBytes := n / legacyBlock * q4_0Bytes
	w := randomLegacyBlocks(r, n*rows, q4_0Bytes, 2)
	x := randomLegacyBlocks(r, 2*n, q8_0Bytes, 2)
	xStride := len(x) / 2
	out := make([]float32, 2*rows)
	scratch := make([]int32, RepackScratch(n))
	for _, xRows := range []int{1, 2} {
		b.Run(fmt.Sprintf("rows8x%d", xRows), func(b *testing.B) {
			b.SetBytes(int64(xRows * len(w)))
			for b.Loop() {
				repackDotRowsQ4_0(n, w, rowBytes, rows, x, xStride, xRows, out, rows, scratch)
			}
		})
	}
	b.Run("one", func(b *testing.B) {
		b.SetBytes(int64(len(w)))
		for b.Loop() {
			for i := range rows {
				out[i] = repackDotQ4_0(n, w[i*rowBytes:], x)
			}
		}
	})
}
