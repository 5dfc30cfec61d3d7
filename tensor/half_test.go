package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// f16Value decodes a half from the definition of the format, independently
// of F16ToF32.
func f16Value(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(mant, -24)
	case 0x1f:
		if mant != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1024+mant, exp-25)
}

func TestF16ToF32AllValues(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		got, want := F16ToF32(h), f16Value(h)
		if math.IsNaN(want) {
			if !math.IsNaN(float64(got)) || math.Signbit(float64(got)) != (h&0x8000 != 0) {
				t.Fatalf("F16ToF32(%#04x) = %v, want NaN of the same sign", h, got)
			}
			continue
		}
		if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestF16RoundTrip(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		want := h
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			want |= 0x200 // a NaN keeps sign and payload and becomes quiet
		}
		if got := F32ToF16(F16ToF32(h)); got != want {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x, want %#04x", h, got, want)
		}
	}
}

func TestF32ToF16Rounding(t *testing.T) {
	tiny := math.Ldexp(1, -24) // the smallest subnormal half
	cases := []struct {
		f    float64
		want uint16
	}{
		{1, 0x3c00},
		{1 + math.Ldexp(1, -11), 0x3c00},                      // tie, to the even 1.0
		{1 + math.Ldexp(3, -11), 0x3c02},                      // tie, to the even 1+2⁻⁹
		{1 + math.Ldexp(1, -11) + math.Ldexp(1, -23), 0x3c01}, // just above the tie
		{1 + math.Ldexp(1, -11) - math.Ldexp(1, -24), 0x3c00}, // just below the tie
		{-2.5, 0xc100},
		{65504, 0x7bff},                           // largest finite half
		{65519.99, 0x7bff},                        // below the tie with 65536
		{65520, 0x7c00},                           // tie with 65536, whose mantissa is even: Inf
		{1e6, 0x7c00},                             // overflow
		{-1e6, 0xfc00},                            // overflow
		{math.MaxFloat32, 0x7c00},                 // overflow
		{tiny, 0x0001},                            // smallest subnormal
		{tiny / 2, 0x0000},                        // tie with 0
		{tiny/2 + math.Ldexp(1, -40), 0x0001},     // just above that tie
		{-tiny / 2, 0x8000},                       // tie with -0
		{tiny * 1.5, 0x0002},                      // tie, to the even 2·2⁻²⁴
		{tiny * 2.5, 0x0002},                      // tie, to the even 2·2⁻²⁴
		{1023 * tiny, 0x03ff},                     // largest subnormal
		{1023.5 * tiny, 0x0400},                   // tie, to the even smallest normal
		{math.Ldexp(1, -14), 0x0400},              // smallest normal
		{math.Ldexp(1, -30), 0x0000},              // underflow
		{float64(math.SmallestNonzeroFloat32), 0}, // float32 subnormal
		{math.Copysign(0, -1), 0x8000},
		{math.Inf(1), 0x7c00},
		{math.Inf(-1), 0xfc00},
	}
	for _, c := range cases {
		if got := F32ToF16(float32(c.f)); got != c.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
	if h := F32ToF16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("F32ToF16(NaN) = %#04x, not a NaN", h)
	}
}

// TestF32ToF16Nearest checks on many float32 values across the half range
// that the result is the nearest half, the even one on a tie.
func TestF32ToF16Nearest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1 << 20 {
		// Exponents from well below the subnormals to above the overflow.
		exp := uint32(127-27) + uint32(i)%45
		bits := exp<<23 | r.Uint32()&0x7fffff
		if i%7 == 0 {
			bits &^= 0xfff // many ties and near-ties
		}
		f := math.Float32frombits(bits | r.Uint32()&0x80000000)
		h := F32ToF16(f)
		checkNearestHalf(t, f, h)
	}
}

func checkNearestHalf(t *testing.T, f float32, h uint16) {
	t.Helper()
	if (h&0x8000 != 0) != math.Signbit(float64(f)) {
		t.Fatalf("F32ToF16(%g) = %#04x: wrong sign", f, h)
	}
	a, m := math.Abs(float64(f)), h&0x7fff
	// value of magnitude code c, with 0x7c00 standing for 65536, the value
	// overflow rounds from
	value := func(c uint16) float64 {
		if c == 0x7c00 {
			return 65536
		}
		return f16Value(c)
	}
	if m > 0x7c00 {
		t.Fatalf("F32ToF16(%g) = %#04x: NaN", f, h)
	}
	errThis := math.Abs(value(m) - a)
	for _, n := range []uint16{m - 1, m + 1} {
		if n > 0x7c00 || (m == 0 && n == 0xffff) {
			continue
		}
		errOther := math.Abs(value(n) - a)
		if errOther < errThis || (errOther == errThis && m&1 == 1) {
			t.Fatalf("F32ToF16(%g) = %#04x (%g), but %#04x (%g) is nearer or an even tie", f, h, value(m), n, value(n))
		}
	}
}

func TestBF16RoundTrip(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x) = %#08x", h, math.Float32bits(f))
		}
		got := F32ToBF16(f)
		if math.IsNaN(float64(f)) {
			if got&0x7f80 != 0x7f80 || got&0x7f == 0 || got&0x8000 != h&0x8000 {
				t.Fatalf("F32ToBF16(NaN %#04x) = %#04x, not a NaN of the same sign", h, got)
			}
			continue
		}
		if got != h {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x", h, got)
		}
	}
}

func TestF32ToBF16Rounding(t *testing.T) {
	cases := []struct {
		bits uint32
		want uint16
	}{
		{0x3f808000, 0x3f80}, // 1 + 2⁻⁸: tie, to the even 1.0
		{0x3f818000, 0x3f82}, // tie, to the even 1 + 2⁻⁶
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0xbf818000, 0xbf82}, // negative tie
		{0x7f7fffff, 0x7f80}, // largest float32 rounds to Inf
		{0x00008000, 0x0000}, // subnormal tie, to even 0
		{0x00018000, 0x0002}, // subnormal tie, to even
		{0x7f800000, 0x7f80}, // Inf
	}
	for _, c := range cases {
		if got := F32ToBF16(math.Float32frombits(c.bits)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.bits, got, c.want)
		}
	}
	// A NaN whose payload sits only in the low 16 bits stays a NaN.
	if got := F32ToBF16(math.Float32frombits(0x7f800001)); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("F32ToBF16(NaN 0x7f800001) = %#04x, not a NaN", got)
	}
}
