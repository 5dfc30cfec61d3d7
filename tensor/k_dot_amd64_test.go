package tensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// kernel4 is the signature of the assembly kernels of four and of eight
// activation rows, which DOT_GROUPS calls.
type kernel4 func(w, x *byte, stride, nb int, out *float32, outStride int)

// kDotKernels pairs each format's assembly kernels, for one and four
// activation rows in AVX2 and AVX-512 and for eight in AVX-512, with its Go
// twin; a kernel the format lacks is nil.
var kDotKernels = []struct {
	typ      Type
	asm      kernel1
	asm512   kernel1
	asm4     kernel4
	asm4x512 kernel4
	asm8x512 kernel4
	twin     func(n int, w, x []byte) float32
}{
	{Q2_K, dotQ2KAVX2, nil, dot4Q2KAVX2, nil, nil, vecDotQ2KGeneric},
	{Q3_K, dotQ3KAVX2, nil, dot4Q3KAVX2, nil, nil, vecDotQ3KGeneric},
	{Q4_K, dotQ4KAVX2, dotQ4KAVX512, dot4Q4KAVX2, dot4Q4KAVX512, dot8Q4KAVX512, vecDotQ4KGeneric},
	{Q5_K, dotQ5KAVX2, dotQ5KAVX512, dot4Q5KAVX2, dot4Q5KAVX512, nil, vecDotQ5KGeneric},
	{Q6_K, dotQ6KAVX2, dotQ6KAVX512, dot4Q6KAVX2, dot4Q6KAVX512, dot8Q6KAVX512, vecDotQ6KGeneric},
	{IQ4_XS, dotIQ4XSAVX2, nil, dot4IQ4XSAVX2, nil, nil, vecDotIQ4XSGeneric},
}

// oneRowKernels lists k's one-row kernels to test, AVX-512 only where the
// CPU has it.
func oneRowKernels(asm, asm512 kernel1) map[string]kernel1 {
	kernels := map[string]kernel1{"AVX2": asm}
	if asm512 != nil && hasAVX512() {
		kernels["AVX512"] = asm512
	}
	return kernels
}

// requireAVX2 skips tests of the assembly kernels on CPUs that lack them;
// ZHI_NOASM does not, so that the kernels are tested either way.
func requireAVX2(t testing.TB) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2 and FMA")
	}
}

// randomKWeights returns nb blocks of typ of one of four kinds, by kind%4:
// quantized Gaussian data, random bits with scales in a normal range
// (randomBlocks), random bits everywhere, which makes scales of every
// magnitude (huge, infinite and NaN too), and random bits with subnormal
// scales, whose products underflow.
func randomKWeights(t testing.TB, r *rand.Rand, typ Type, nb, kind int) []byte {
	switch kind % 4 {
	case 0:
		w, _ := quantizedRow(t, r, typ, nb*qkK)
		return w
	case 1:
		return randomBlocks(r, typ, nb)
	}
	size := typ.TypeSize()
	w := make([]byte, nb*size)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	if kind%4 == 3 {
		for b := range nb {
			for _, off := range kScaleFields[typ] {
				binary.LittleEndian.PutUint16(w[b*size+off:], uint16(r.IntN(0x400))|uint16(r.IntN(2))<<15)
			}
		}
	}
	return w
}

// randomQ8K returns nb Q8_K blocks quantized from Gaussian values whose
// magnitude changes from block to block, from 10^lo to 10^hi, some blocks
// all zero and some a lone spike.
func randomQ8K(r *rand.Rand, nb int, lo, hi float64) []byte {
	x := randomRow(r, nb*qkK)
	for b := range nb {
		blk := x[b*qkK : (b+1)*qkK]
		switch r.IntN(8) {
		case 0:
			clear(blk)
		case 1:
			clear(blk)
			blk[r.IntN(qkK)] = float32(r.NormFloat64())
		}
		scale := float32(math.Pow(10, lo+(hi-lo)*r.Float64()))
		for i := range blk {
			blk[i] *= scale
		}
	}
	q := make([]byte, nb*q8KBytes)
	quantizeQ8K(x, q)
	return q
}

func TestKDotAVX2MatchesGo(t *testing.T) {
	requireAVX2(t)
	for _, k := range kDotKernels {
		for name, asm := range oneRowKernels(k.asm, k.asm512) {
			t.Run(k.typ.String()+"/"+name, func(t *testing.T) {
				testKDot(t, k.typ, asm, k.twin)
			})
		}
	}
}

// testKDot checks one one-row kernel against the Go twin.
func testKDot(t *testing.T, typ Type, asm kernel1, twin func(n int, w, x []byte) float32) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, nb := range []int{0, 1, 2, 3, 8, 11} {
		for trial := range 60 {
			w, x := randomKWeights(t, r, typ, nb, trial), randomQ8K(r, nb, -20, 20)
			if trial%4 == 3 {
				// With subnormal weight scales, make the
				// activation scales tiny too, down to
				// subnormal, so that the products and the
				// sums underflow.
				for b := range nb {
					d := math.Float32frombits(binary.LittleEndian.Uint32(x[b*q8KBytes:])) * 0x1p-80
					binary.LittleEndian.PutUint32(x[b*q8KBytes:], math.Float32bits(d))
				}
			}
			n := nb * qkK
			got, want := asm(kBlocks(n, w, x, typ.TypeSize())), twin(n, w, x)
			if !sameBits(got, want) {
				t.Fatalf("%d blocks, trial %d: assembly %g (%#x), Go %g (%#x)",
					nb, trial, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
}

// TestKDot4AVX2MatchesGo checks that the four-row kernels, AVX2 and where
// the CPU has it AVX-512, and the eight-row AVX-512 ones, give each row what
// the Go twin gives it, for rows packed tightly and with gaps between them.
func TestKDot4AVX2MatchesGo(t *testing.T) {
	requireAVX2(t)
	for _, k := range kDotKernels {
		for _, c := range []struct {
			name   string
			rows   int
			kernel kernel4
			avx512 bool
		}{{"", 4, k.asm4, false}, {"/AVX512", 4, k.asm4x512, true}, {"/AVX512x8", 8, k.asm8x512, true}} {
			if c.kernel == nil {
				continue
			}
			t.Run(k.typ.String()+c.name, func(t *testing.T) {
				if c.avx512 && !hasAVX512() {
					t.Skip("no AVX-512 with VNNI")
				}
				testKDotRows(t, k.typ, c.rows, c.kernel, k.twin)
			})
		}
	}
}

// testKDotRows checks one kernel of rows activation rows against the Go
// twin.
func testKDotRows(t *testing.T, typ Type, rows int, kernel kernel4, twin func(n int, w, x []byte) float32) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, nb := range []int{0, 1, 2, 5, 11} {
		for trial := range 30 {
			n, rowBytes := nb*qkK, nb*q8KBytes
			stride := rowBytes + r.IntN(2)*(1+r.IntN(300))
			w := randomKWeights(t, r, typ, nb, trial)
			x := make([]byte, (rows-1)*stride+rowBytes)
			for row := range rows {
				copy(x[row*stride:], randomQ8K(r, nb, -20, 20))
			}
			const outStride = 3
			out := make([]float32, (rows-1)*outStride+2)
			pw, _, _ := kBlocks(n, w, x, typ.TypeSize())
			kernel(pw, unsafe.SliceData(x), stride, nb, &out[0], outStride)
			for row := range rows {
				got, want := out[row*outStride], twin(n, w, x[row*stride:])
				if !sameBits(got, want) {
					t.Fatalf("%d blocks, trial %d, row %d: assembly %g (%#x), Go %g (%#x)",
						nb, trial, row, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
			for i, v := range out {
				if i%outStride != 0 && v != 0 {
					t.Fatalf("%d blocks, trial %d: wrote out[%d] = %g", nb, trial, i, v)
				}
			}
		}
	}
}

// TestKDotAVX2Extremes checks blocks at the limits of the integer steps: all
// levels and scales at their largest, against quants of ±127 and -128.
func TestKDotAVX2Extremes(t *testing.T) {
	requireAVX2(t)
	for _, k := range kDotKernels {
		for _, wb := range []byte{0x00, 0x55, 0xaa, 0xff} {
			for _, q := range []int8{127, -127, -128} {
				w := make([]byte, 2*k.typ.TypeSize())
				for i := range w {
					w[i] = wb
				}
				for _, off := range kScaleFields[k.typ] {
					for b := range 2 {
						binary.LittleEndian.PutUint16(w[b*k.typ.TypeSize()+off:], F32ToF16(1.5))
					}
				}
				x := make([]byte, 2*q8KBytes)
				for b := range 2 {
					y := x[b*q8KBytes : (b+1)*q8KBytes]
					binary.LittleEndian.PutUint32(y, math.Float32bits(0.75))
					for i := range qkK {
						y[q8KQs+i] = byte(q)
					}
					for j := range qkK / 16 {
						binary.LittleEndian.PutUint16(y[q8KBsums+2*j:], uint16(16*int16(q)))
					}
				}
				want := k.twin(2*qkK, w, x)
				for name, asm := range oneRowKernels(k.asm, k.asm512) {
					if got := asm(kBlocks(2*qkK, w, x, k.typ.TypeSize())); !sameBits(got, want) {
						t.Errorf("%s %s bytes %#x, quants %d: assembly %g, Go %g", k.typ, name, wb, q, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkKDot compares each kernel, AVX2 and AVX-512 where the CPU has
// it, with its Go twin on a row of 4096 values; the four- and eight-row
// kernels (x4, x8) multiply the row by four or eight activation rows per op.
func BenchmarkKDot(b *testing.B) {
	requireAVX2(b)
	const n = 4096
	for _, k := range kDotKernels {
		w, x := quantizedRow(b, rand.New(rand.NewPCG(7, 8)), k.typ, n)
		x8 := bytes.Repeat(x, 8)
		var out [8]float32
		var sink float32
		b.Run(k.typ.String()+"/go", func(b *testing.B) {
			b.SetBytes(int64(len(w)))
			for b.Loop() {
				sink += k.twin(n, w, x)
			}
		})
		for name, asm := range oneRowKernels(k.asm, k.asm512) {
			b.Run(k.typ.String()+"/"+strings.ToLower(name), func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					sink += asm(kBlocks(n, w, x, k.typ.TypeSize()))
				}
			})
		}
		for _, c := range []struct {
			name   string
			rows   int
			kernel kernel4
		}{{"avx2x4", 4, k.asm4}, {"avx512x4", 4, k.asm4x512}, {"avx512x8", 8, k.asm8x512}} {
			if c.kernel == nil || strings.HasPrefix(c.name, "avx512") && !hasAVX512() {
				continue
			}
			b.Run(k.typ.String()+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(c.rows * len(w)))
				for b.Loop() {
					c.kernel(unsafe.SliceData(w), unsafe.SliceData(x8), len(x), n/qkK, &out[0], 1)
				}
			})
		}
		sink += out[0]
		_ = fmt.Sprint(sink)
	}
}

// TestVecDotRowsMatchesVecDot checks each VecDotRows against VecDot row by
// row, with weight rows packed tightly or apart, and that it writes only its
// results.
func TestVecDotRowsMatchesVecDot(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, typ := range []Type{Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS, Q8_0, Q4_1, Q5_1} {
		o, _ := OpsFor(typ)
		if o.VecDotRows == nil {
			t.Fatalf("%s: no VecDotRows", typ)
		}
		for _, nb := range []int{0, 1, 3, 8} {
			for trial := range 12 {
				// One super-block is eight Q8_0 blocks.
				n, size := nb*qkK, nb*qkK/typ.BlockSize()*typ.TypeSize()
				rows := 1 + r.IntN(5)
				rowBytes := size + r.IntN(2)*(1+r.IntN(200))
				w := make([]byte, (rows-1)*rowBytes+size)
				var x []byte
				if typ.BlockSize() == legacyBlock {
					// The halves that start a block: d, and m (Q4_1, Q5_1)
					// or s (their Q8_1 activations).
					halves := map[Type]int{Q8_0: 2, Q4_1: 4, Q5_1: 4}[typ]
					for row := range rows {
						copy(w[row*rowBytes:], randomLegacyBlocks(r, n, typ.TypeSize(), halves))
					}
					x = randomLegacyBlocks(r, n, legacyBlock+halves, halves)
				} else {
					for row := range rows {
						copy(w[row*rowBytes:], randomKWeights(t, r, typ, nb, trial))
					}
					x = randomQ8K(r, nb, -20, 20)
				}
				out := make([]float32, rows+1)
				out[rows] = -7
				o.VecDotRows(n, w, rowBytes, rows, x, out[:rows])
				for row := range rows {
					if got, want := out[row], o.VecDot(n, w[row*rowBytes:], x); !sameBits(got, want) {
						t.Fatalf("%s, %d values, trial %d, row %d of %d: %g, VecDot %g", typ, n, trial, row, rows, got, want)
					}
				}
				if out[rows] != -7 {
					t.Fatalf("%s, %d values, trial %d: wrote past its %d results", typ, n, trial, rows)
				}
			}
		}
	}
}
