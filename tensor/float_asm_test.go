package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// floatDots are the assembly kernels of the F32 and BF16 rows with their Go
// twins.
var floatDots = []struct {
	name         string
	typ          Type
	asm, generic func(n int, w, x []byte) float32
}{
	{"F32", F32, vecDotF32, vecDotF32Generic},
	{"F32batch", F32, batchDotF32, batchDotF32Generic},
	{"BF16", BF16, vecDotBF16, vecDotBF16Generic},
	{"BF16batch", BF16, batchDotBF16, batchDotBF16Generic},
}

// floatRow returns n values of typ as bytes: random ones with the special
// values of randomActivations mixed in when special is set, and for BF16
// sometimes any bit pattern at all (signalling NaNs included).
func floatRow(r *rand.Rand, typ Type, n int, special bool) []byte {
	v := randomRow(r, n)
	if special {
		v = randomActivations(r, n)
	}
	if typ == F32 {
		b := make([]byte, 4*n)
		quantizeF32(v, b)
		return b
	}
	b := make([]byte, 2*n)
	quantizeBF16(v, b)
	if special {
		for i := 0; i < n; i += 1 + r.IntN(8) {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(r.Uint32()))
		}
	}
	return b
}

func TestFloatDotsMatchGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(41, 42))
	lengths := []int{0, 1, 7, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 96, 127, 128, 160, 200, 256, 1000, 4096 + 48}
	for _, c := range floatDots {
		for _, n := range lengths {
			for trial := range 40 {
				special := trial%4 == 3
				w, x := floatRow(r, c.typ, n, special), floatRow(r, c.typ, n, special)
				if got, want := c.asm(n, w, x), c.generic(n, w, x); !sameBits(got, want) {
					t.Fatalf("%s n=%d trial %d: assembly %g (%#x), Go %g (%#x)", c.name, n, trial, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
	}
}

// TestFloatDotsSpecialRows multiplies rows of one special value each, where
// overflow and cancellation decide the result.
func TestFloatDotsSpecialRows(t *testing.T) {
	requireAsm(t)
	specials := []float32{0, negZero, 0x1p-149, 1, -1.5, 0x1p-126, math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for _, c := range floatDots {
		for _, n := range []int{48, 64, 112, 131} {
			for _, a := range specials {
				for _, b := range specials {
					wf, xf := make([]float32, n), make([]float32, n)
					for i := range wf {
						wf[i], xf[i] = a, b
						if i%3 == 0 {
							xf[i] = -b // some of each sign
						}
					}
					w, x := make([]byte, c.typ.TypeSize()*n), make([]byte, c.typ.TypeSize()*n)
					o, _ := OpsFor(c.typ)
					o.Quantize(wf, w)
					o.Quantize(xf, x)
					if got, want := c.asm(n, w, x), c.generic(n, w, x); !sameBits(got, want) {
						t.Fatalf("%s n=%d %g·%g: assembly %g, Go %g", c.name, n, a, b, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkFloatDot compares each assembly kernel with its Go twin on a row
// of 4096 values.
func BenchmarkFloatDot(b *testing.B) {
	const n = 4096
	for _, c := range floatDots {
		r := rand.New(rand.NewPCG(43, 44))
		w, x := floatRow(r, c.typ, n, false), floatRow(r, c.typ, n, false)
		run := func(b *testing.B, dot func(n int, w, x []byte) float32) {
			b.SetBytes(int64(len(w)))
			var sink float32
			for b.Loop() {
				sink += dot(n, w, x)
			}
			_ = fmt.Sprint(sink)
		}
		b.Run(c.name+"/asm", func(b *testing.B) { requireAsm(b); run(b, c.asm) })
		b.Run(c.name+"/go", func(b *testing.B) { run(b, c.generic) })
	}
}
