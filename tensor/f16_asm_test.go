package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomHalfRow returns n halves: mostly Gaussian values of a random
// magnitude, with zeros, subnormals, the largest halves, infinities and
// NaNs mixed in when special is set.
func randomHalfRow(r *rand.Rand, n int, special bool) []uint16 {
	h := make([]uint16, n)
	scale := math.Ldexp(1, r.IntN(24)-12)
	for i := range h {
		if special && r.IntN(16) == 0 {
			h[i] = specialHalves[r.IntN(len(specialHalves))]
			continue
		}
		h[i] = F32ToF16(float32(r.NormFloat64() * scale))
	}
	return h
}

func TestF16DotsMatchGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 7, 15, 16, 17, 32, 48, 63, 64, 65, 96, 127, 128, 160, 200, 256, 1000, 4096 + 48} {
		for trial := range 40 {
			special := trial%4 == 3
			x, y := randomHalfRow(r, n, special), randomHalfRow(r, n, special)
			if got, want := DotF16(x, y), dotF16Generic(x, y); !sameBits(got, want) {
				t.Fatalf("n=%d trial %d: DotF16 assembly %g (%#x), Go %g (%#x)", n, trial, got, math.Float32bits(got), want, math.Float32bits(want))
			}
			if got, want := DotF16Batch(x, y), dotF16BatchGeneric(x[:n/16*16], y[:n/16*16]); !sameBits(got, want) {
				t.Fatalf("n=%d trial %d: DotF16Batch assembly %g (%#x), Go %g (%#x)", n, trial, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
}

// TestF16DotsSpecialRows multiplies rows of one special value each, where
// overflow and cancellation decide the result.
func TestF16DotsSpecialRows(t *testing.T) {
	requireAsm(t)
	for _, n := range []int{48, 64, 112} {
		for _, a := range specialHalves {
			for _, b := range specialHalves {
				x, y := make([]uint16, n), make([]uint16, n)
				for i := range x {
					x[i], y[i] = a, b
					if i%3 == 0 {
						y[i] ^= 0x8000 // some of each sign
					}
				}
				if got, want := DotF16(x, y), dotF16Generic(x, y); !sameBits(got, want) {
					t.Fatalf("n=%d %#04x·%#04x: DotF16 assembly %g, Go %g", n, a, b, got, want)
				}
				if got, want := DotF16Batch(x, y), dotF16BatchGeneric(x, y); !sameBits(got, want) {
					t.Fatalf("n=%d %#04x·%#04x: DotF16Batch assembly %g, Go %g", n, a, b, got, want)
				}
			}
		}
	}
}

func TestEncodeF16MatchesF32ToF16(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(23, 24))
	src := make([]float32, 1<<16)
	for i := range src {
		switch i % 4 {
		case 0: // any bits: NaNs, infinities, subnormals
			src[i] = math.Float32frombits(r.Uint32())
		case 1: // near the half range's ends and the subnormal halves
			src[i] = math.Float32frombits(r.Uint32()&0x807fffff | uint32(100+r.IntN(45))<<23)
		case 2: // halfway between two halves
			src[i] = math.Float32frombits(r.Uint32()&0xffffe000 | 0x1000)
		default:
			src[i] = float32(r.NormFloat64())
		}
	}
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 33, len(src)} {
		dst := make([]uint16, n+1)
		dst[n] = 0xabcd
		EncodeF16(dst, src[:n])
		for i, v := range src[:n] {
			if want := F32ToF16(v); dst[i] != want {
				t.Fatalf("n=%d: EncodeF16(%g = %#x) = %#04x, want %#04x", n, v, math.Float32bits(v), dst[i], want)
			}
		}
		if dst[n] != 0xabcd {
			t.Fatalf("n=%d: EncodeF16 wrote past the end", n)
		}
	}
}

func TestDecodeF16MatchesF16ToF32(t *testing.T) {
	requireAsm(t)
	all := make([]uint16, 1<<16)
	var finite []uint16 // no NaN: the fast path alone
	for h := range all {
		all[h] = uint16(h)
		if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
			finite = append(finite, uint16(h))
		}
	}
	for _, src := range [][]uint16{all, finite, finite[:1], finite[:17], finite[:33], all[0x7c00:0x7c20], nil} {
		dst := make([]float32, len(src)+1)
		dst[len(src)] = 42
		DecodeF16(dst, src)
		for i, h := range src {
			if want := F16ToF32(h); math.Float32bits(dst[i]) != math.Float32bits(want) {
				t.Fatalf("DecodeF16(%#04x) = %#x, want %#x", h, math.Float32bits(dst[i]), math.Float32bits(want))
			}
		}
		if dst[len(src)] != 42 {
			t.Fatalf("DecodeF16 of %d halves wrote past the end", len(src))
		}
	}
}

func BenchmarkDotF16(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{128, 4096} {
		x, y := randomHalfRow(r, n, false), randomHalfRow(r, n, false)
		for _, k := range []struct {
			name string
			dot  func(x, y []uint16) float32
			asm  bool
		}{
			{"rounds/asm", DotF16, true}, {"rounds/go", dotF16Generic, false},
			{"tiles/asm", DotF16Batch, true}, {"tiles/go", dotF16BatchGeneric, false},
		} {
			b.Run(fmt.Sprintf("%s/%d", k.name, n), func(b *testing.B) {
				if k.asm {
					requireAsm(b)
				}
				b.SetBytes(int64(4 * n))
				var sink float32
				for b.Loop() {
					sink += k.dot(x, y)
				}
				_ = fmt.Sprint(sink)
			})
		}
	}
}

func BenchmarkConvertF16(b *testing.B) {
	const n = 4096
	f, h := randomRow(rand.New(rand.NewPCG(1, 2)), n), make([]uint16, n)
	b.Run("encode/asm", func(b *testing.B) {
		requireAsm(b)
		for b.Loop() {
			EncodeF16(h, f)
		}
	})
	b.Run("encode/go", func(b *testing.B) {
		for b.Loop() {
			encodeF16Generic(h, f)
		}
	})
	b.Run("decode/asm", func(b *testing.B) {
		requireAsm(b)
		for b.Loop() {
			DecodeF16(f, h)
		}
	})
	b.Run("decode/go", func(b *testing.B) {
		for b.Loop() {
			decodeF16Generic(f, h)
		}
	})
}
