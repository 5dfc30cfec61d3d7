package tensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The GGML value table of IQ4_NL, written out again so the tests do not
// trust the package's copy.
var wantIQ4NLValues = [16]float32{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

var negZero = float32(math.Copysign(0, -1))

func half(f float32) []byte { return binary.LittleEndian.AppendUint16(nil, F32ToF16(f)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// nibbles returns the 16 bytes j | (15-j)<<4: nibble values 0..15 for the
// first 16 values of a block and 15..0 for the last 16.
func nibbles() []byte {
	b := make([]byte, 16)
	for j := range b {
		b[j] = byte(j) | byte(15-j)<<4
	}
	return b
}

// rising returns nibbles j | j<<4: with the right fifth bits, levels 0..31.
func rising() []byte {
	b := make([]byte, 16)
	for j := range b {
		b[j] = byte(j) | byte(j)<<4
	}
	return b
}

// qhBits is a fifth-bit word with bits 0, 2, 5, 7 and 24 set, to catch any
// mix-up of bit or byte order.
var qhBits = []byte{0xa5, 0x00, 0x00, 0x01}

func qhSet(k int) bool { return k == 0 || k == 2 || k == 5 || k == 7 || k == 24 }

// nib returns the value of nibbles() at position k of a block.
func nib(k int) float32 {
	if k < 16 {
		return float32(k)
	}
	return float32(31 - k)
}

type knownBlock struct {
	name  string
	typ   Type
	block func(d float32) []byte
	want  func(d float32, k int) float32
}

var knownBlocks = []knownBlock{
	{"Q4_0", Q4_0,
		func(d float32) []byte { return cat(half(d), nibbles()) },
		func(d float32, k int) float32 { return (nib(k) - 8) * d }},
	{"Q4_1", Q4_1,
		func(d float32) []byte { return cat(half(d), half(-1), nibbles()) },
		func(d float32, k int) float32 { return nib(k)*d - 1 }},
	{"Q5_0/rising", Q5_0,
		func(d float32) []byte { return cat(half(d), []byte{0, 0, 0xff, 0xff}, rising()) },
		func(d float32, k int) float32 { return float32(k-16) * d }},
	{"Q5_0/bits", Q5_0,
		func(d float32) []byte { return cat(half(d), qhBits, make([]byte, 16)) },
		func(d float32, k int) float32 {
			if qhSet(k) {
				return 0
			}
			return -16 * d
		}},
	{"Q5_1/rising", Q5_1,
		func(d float32) []byte { return cat(half(d), half(3), []byte{0, 0, 0xff, 0xff}, rising()) },
		func(d float32, k int) float32 { return float32(k)*d + 3 }},
	{"Q5_1/bits", Q5_1,
		func(d float32) []byte { return cat(half(d), half(3), qhBits, make([]byte, 16)) },
		func(d float32, k int) float32 {
			if qhSet(k) {
				return 16*d + 3
			}
			return 3
		}},
	{"Q8_0", Q8_0,
		func(d float32) []byte {
			b := half(d)
			for k := range 32 {
				b = append(b, byte(int8(8*k-128)))
			}
			return b
		},
		func(d float32, k int) float32 { return float32(8*k-128) * d }},
	{"Q8_1", Q8_1,
		func(d float32) []byte {
			b := cat(half(d), half(123)) // s plays no part in dequantizing
			for k := range 32 {
				b = append(b, byte(int8(127-8*k)))
			}
			return b
		},
		func(d float32, k int) float32 { return float32(127-8*k) * d }},
	{"IQ4_NL", IQ4_NL,
		func(d float32) []byte { return cat(half(d), nibbles()) },
		func(d float32, k int) float32 { return wantIQ4NLValues[int(nib(k))] * d }},
}

func TestDequantizeKnownBlocks(t *testing.T) {
	scales := []float32{0.5, -3, 0.015625}
	for _, c := range knownBlocks {
		t.Run(c.name, func(t *testing.T) {
			var src []byte
			for _, d := range scales {
				src = append(src, c.block(d)...)
			}
			if len(src) != len(scales)*c.typ.TypeSize() {
				t.Fatalf("test blocks are %d bytes, want %d", len(src), len(scales)*c.typ.TypeSize())
			}
			got := make([]float32, 32*len(scales))
			if err := Dequantize(c.typ, src, got); err != nil {
				t.Fatal(err)
			}
			for b, d := range scales {
				for k := range 32 {
					if want := c.want(d, k); got[32*b+k] != want {
						t.Errorf("block %d value %d = %v, want %v", b, k, got[32*b+k], want)
					}
				}
			}
		})
	}
}

func TestQuantizeKnownBlocks(t *testing.T) {
	block := func(f func(k int) float32) []float32 {
		x := make([]float32, 32)
		for k := range x {
			x[k] = f(k)
		}
		return x
	}
	var iq4 []byte
	for j := range 16 {
		iq4 = append(iq4, byte(j)|byte(j)<<4)
	}
	// Values with ties and a clamp for Q4_0 at d = 1: q = trunc(x + 8.5).
	halves := make([]float32, 32)
	copy(halves, []float32{-8, 0.5, -0.5, 1.49, 7.6})
	halvesQ := bytes.Repeat([]byte{0x88}, 16)
	copy(halvesQ, []byte{0x80, 0x89, 0x88, 0x89, 0x8f})
	// Scaled values with ties in both rounding modes of Q8 at d = 1.
	ties := make([]float32, 32)
	copy(ties, []float32{127, 2.5, -2.5, 0.5, -0.5, 1.5, 4.5})
	tiesRef := append(half(1), 127, 3, 0xfd, 1, 0xff, 2, 5)
	tiesRef = append(tiesRef, make([]byte, 25)...)
	tiesRef1 := cat(half(1), half(134), tiesRef[2:])

	cases := []struct {
		name string
		typ  Type
		x    []float32
		want []byte
	}{
		{"Q4_0/negative peak", Q4_0, block(func(k int) float32 { return float32(k%16 - 8) }), cat(half(1), rising())},
		{"Q4_0/positive peak", Q4_0, block(func(k int) float32 { return float32(8 - k%16) }), cat(half(-1), rising())},
		{"Q4_0/rounding", Q4_0, halves, cat(half(1), halvesQ)},
		// 0/-8 is -0; zeros take the middle level 8.
		{"Q4_0/zero", Q4_0, make([]float32, 32), cat(half(negZero), bytes.Repeat([]byte{0x88}, 16))},
		{"Q4_1", Q4_1, block(func(k int) float32 { return float32(k%16 + 10) }), cat(half(1), half(10), rising())},
		{"Q4_1/zero", Q4_1, make([]float32, 32), make([]byte, 20)},
		{"Q5_0", Q5_0, block(func(k int) float32 { return float32(k - 16) }), cat(half(1), []byte{0, 0, 0xff, 0xff}, rising())},
		{"Q5_0/zero", Q5_0, make([]float32, 32), cat(half(negZero), []byte{0xff, 0xff, 0xff, 0xff}, make([]byte, 16))},
		{"Q5_1", Q5_1, block(func(k int) float32 { return 0.5*float32(k) - 3 }), cat(half(0.5), half(-3), []byte{0, 0, 0xff, 0xff}, rising())},
		{"Q8_0/ties", Q8_0, ties, tiesRef},
		{"Q8_1/ties", Q8_1, ties, tiesRef1},
		{"IQ4_NL", IQ4_NL, block(func(k int) float32 { return 0.5 * wantIQ4NLValues[k%16] }), cat(half(0.5), iq4)},
		{"IQ4_NL/zero", IQ4_NL, make([]float32, 32), cat(half(0), bytes.Repeat([]byte{0x88}, 16))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make([]byte, c.typ.TypeSize())
			if err := Quantize(c.typ, c.x, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.want) {
				t.Errorf("Quantize =\n%x, want\n%x", got, c.want)
			}
		})
	}
}

// TestFromFloatQ8Ties checks the CPU backend's activation rounding: the
// scale is amax/127 and scaled values round half to even, where the file
// quantizer rounds them away from zero (TestQuantizeKnownBlocks).
func TestFromFloatQ8Ties(t *testing.T) {
	x := make([]float32, 32)
	copy(x, []float32{127, 2.5, -2.5, 0.5, -0.5, 1.5, 4.5, -3.5})
	qs := append([]byte{127, 2, 0xfe, 0, 0, 2, 4, 0xfc}, make([]byte, 24)...)
	for _, c := range []struct {
		typ  Type
		want []byte
	}{
		{Q8_0, cat(half(1), qs)},
		{Q8_1, cat(half(1), half(127+2-2+2+4-4), qs)},
	} {
		o, err := OpsFor(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, c.typ.TypeSize())
		o.FromFloat(x, got)
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s FromFloat =\n%x, want\n%x", c.typ, got, c.want)
		}
	}
}

// TestFromFloatQ8Scale checks that the activation encoder multiplies by
// 127/amax, not by 1/d as the file quantizer does: it finds a block where the
// two factors round a value differently.
func TestFromFloatQ8Scale(t *testing.T) {
	o, _ := OpsFor(Q8_0)
	got := make([]byte, Q8_0.TypeSize())
	x := make([]float32, 32)
	tried := 0
	for i := 1; i < 1000 && tried < 20; i++ {
		amax := float32(i) / 997
		byAmax, byD := 127/amax, 1/(amax/127)
		if byAmax == byD {
			continue
		}
		for k := range 127 {
			// Values next to the boundary between levels k and k+1.
			v := float32((float64(k) + 0.5) / float64(byAmax))
			for range 4 {
				want := math.RoundToEven(float64(v * byAmax))
				if want == math.RoundToEven(float64(v*byD)) {
					v = math.Nextafter32(v, 0)
					continue
				}
				tried++
				x[0], x[1] = amax, v
				o.FromFloat(x, got)
				if int8(got[3]) != int8(want) {
					t.Fatalf("amax %v: FromFloat(%v) = %d, want %v (x·127/amax rounded to even)", amax, v, int8(got[3]), want)
				}
				break
			}
		}
	}
	if tried == 0 {
		t.Fatal("found no value that tells the two scale factors apart")
	}
}

func randomRow(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

// TestQuantizeError checks that quantizing then dequantizing Gaussian data
// loses no more than each format's resolution allows.
func TestQuantizeError(t *testing.T) {
	bounds := map[Type]float64{
		F32:    0,
		F16:    2.5e-4,
		BF16:   2e-3,
		Q4_0:   0.1,
		Q4_1:   0.09,
		Q5_0:   0.05,
		Q5_1:   0.045,
		Q8_0:   0.006,
		Q8_1:   0.006,
		IQ4_NL: 0.09,
	}
	r := rand.New(rand.NewPCG(3, 4))
	x := randomRow(r, 1<<14)
	for typ, bound := range bounds {
		t.Run(typ.String(), func(t *testing.T) {
			size, _ := typ.RowSize(len(x))
			q := make([]byte, size)
			y := make([]float32, len(x))
			if err := Quantize(typ, x, q); err != nil {
				t.Fatal(err)
			}
			if err := Dequantize(typ, q, y); err != nil {
				t.Fatal(err)
			}
			in, diff := make([]float64, len(x)), make([]float64, len(x))
			for i := range x {
				in[i], diff[i] = float64(x[i]), float64(y[i]-x[i])
			}
			rel := rms(diff) / rms(in)
			t.Logf("relative RMS error %.5f", rel)
			if rel > bound {
				t.Errorf("relative RMS error %.5f > %.5f", rel, bound)
			}
		})
	}
}

// TestVecDotMatchesDequantized checks each dot product against the float64
// dot product of the dequantized rows.
func TestVecDotMatchesDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, typ := range []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL} {
		t.Run(typ.String(), func(t *testing.T) {
			for _, n := range []int{32, 4096} {
				w, x := quantizedRow(t, r, typ, n)
				o, _ := OpsFor(typ)
				got := o.VecDot(n, w, x)
				want, tol := dequantizedDot(t, typ, o.VecDotType, n, w, x)
				if math.Abs(float64(got)-want) > tol {
					t.Errorf("n=%d: VecDot = %v, dequantized dot = %v (tolerance %.3g)", n, got, want, tol)
				}
			}
		})
	}
}

// quantizedRow returns a random weight row of type typ and a random
// activation row converted to its dot type.
func quantizedRow(t testing.TB, r *rand.Rand, typ Type, n int) (w, x []byte) {
	o, err := OpsFor(typ)
	if err != nil {
		t.Fatal(err)
	}
	xo, err := OpsFor(o.VecDotType)
	if err != nil {
		t.Fatal(err)
	}
	wSize, _ := typ.RowSize(n)
	xSize, _ := o.VecDotType.RowSize(n)
	w, x = make([]byte, wSize), make([]byte, xSize)
	wf := randomRow(r, n)
	for i := range wf {
		wf[i] += 0.3 // an offset, so that Q4_1 and Q5_1 have one to store
	}
	o.Quantize(wf, w)
	xo.FromFloat(randomRow(r, n), x)
	return w, x
}

// dequantizedDot returns the float64 dot product of the dequantized rows and
// the error VecDot may make: float32 rounding, plus for Q8_1 activations the
// half-precision rounding of their block sums s, which the kernels use in
// place of d·Σq.
func dequantizedDot(t *testing.T, typ, xType Type, n int, w, x []byte) (dot, tol float64) {
	wf, xf := make([]float32, n), make([]float32, n)
	if err := Dequantize(typ, w, wf); err != nil {
		t.Fatal(err)
	}
	if err := Dequantize(xType, x, xf); err != nil {
		t.Fatal(err)
	}
	var abs float64
	for i := range wf {
		dot += float64(wf[i]) * float64(xf[i])
		abs += math.Abs(float64(wf[i]) * float64(xf[i]))
	}
	tol = 1e-5 * abs
	if xType == Q8_1 {
		wb := typ.TypeSize()
		for b := range n / 32 {
			m := math.Abs(float64(F16ToF32(binary.LittleEndian.Uint16(w[b*wb+2:]))))
			s := math.Abs(float64(F16ToF32(binary.LittleEndian.Uint16(x[b*36+2:]))))
			tol += m * s * math.Ldexp(1, -11)
		}
	}
	return dot, tol
}

func TestOpsTable(t *testing.T) {
	want := map[Type]Type{
		F32: F32, F16: F16, BF16: BF16,
		Q4_0: Q8_0, Q5_0: Q8_0, Q8_0: Q8_0, IQ4_NL: Q8_0,
		Q4_1: Q8_1, Q5_1: Q8_1,
	}
	for typ, vt := range want {
		o, err := OpsFor(typ)
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if o.Type != typ || o.VecDotType != vt || o.VecDot == nil || o.ToFloat == nil || o.Quantize == nil || o.FromFloat == nil {
			t.Errorf("%s: incomplete kernels or dot type %s, want %s", typ, o.VecDotType, vt)
		}
	}
}

// FuzzDequantize feeds arbitrary bytes to every decoder of this family: any
// bit pattern is a valid block, so decoding must succeed without panicking,
// and the result must be finite where the scales are.
func FuzzDequantize(f *testing.F) {
	f.Add(uint8(Q4_0), []byte{})
	f.Add(uint8(Q5_1), bytes.Repeat([]byte{0xff}, 24))
	f.Add(uint8(IQ4_NL), cat(half(1), nibbles()))
	f.Add(uint8(F16), []byte{0x00, 0x7c, 0x01, 0x00})
	types := []Type{F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, IQ4_NL}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := types[int(which)%len(types)]
		n := len(data) / typ.TypeSize() * typ.BlockSize()
		dst := make([]float32, n)
		if err := Dequantize(typ, data, dst); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if err := Dequantize(typ, data, make([]float32, n+typ.BlockSize())); err == nil {
			t.Fatalf("%s: decoding past the data succeeded", typ)
		}
		q := make([]byte, len(data))
		if err := Quantize(typ, dst, q); err != nil {
			t.Fatalf("%s: requantizing: %v", typ, err)
		}
	})
}

func benchVecDot(b *testing.B, typ Type) {
	const n = 4096
	w, x := quantizedRow(b, rand.New(rand.NewPCG(7, 8)), typ, n)
	o, _ := OpsFor(typ)
	b.SetBytes(int64(len(w)))
	var sink float32
	for b.Loop() {
		sink += o.VecDot(n, w, x)
	}
	_ = fmt.Sprint(sink)
}

func BenchmarkVecDotF32(b *testing.B)    { benchVecDot(b, F32) }
func BenchmarkVecDotF16(b *testing.B)    { benchVecDot(b, F16) }
func BenchmarkVecDotBF16(b *testing.B)   { benchVecDot(b, BF16) }
func BenchmarkVecDotQ4_0(b *testing.B)   { benchVecDot(b, Q4_0) }
func BenchmarkVecDotQ4_1(b *testing.B)   { benchVecDot(b, Q4_1) }
func BenchmarkVecDotQ5_0(b *testing.B)   { benchVecDot(b, Q5_0) }
func BenchmarkVecDotQ5_1(b *testing.B)   { benchVecDot(b, Q5_1) }
func BenchmarkVecDotQ8_0(b *testing.B)   { benchVecDot(b, Q8_0) }
func BenchmarkVecDotIQ4_NL(b *testing.B) { benchVecDot(b, IQ4_NL) }
