package tensor

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// kTypes are the super-block formats: the K-quants and IQ4_XS.
var kTypes = []Type{Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ4_XS}

// kWeightTypes are the ones with a dot product (Q8_K is only an activation).
var kWeightTypes = []Type{Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS}

// The spec functions below decode value p of a block straight from the block
// layouts in ggml-common.h, one value at a time. They return the value as
// scaled - offset, the two terms the format adds (offset is 0 for formats
// without mins), so callers can also bound rounding errors.

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func h16(b []byte) float32 { return F16ToF32(le16(b)) }

func specQ8K(b []byte, p int) (scaled, offset float32) {
	d := math.Float32frombits(binary.LittleEndian.Uint32(b))
	return d * float32(int8(b[4+p])), 0
}

func specQ2K(b []byte, p int) (scaled, offset float32) {
	sc := b[p/16]
	half, r := p/128, p%128
	q := b[16+32*half+r%32] >> (2 * (r / 32)) & 3
	return h16(b[80:]) * float32(sc&0xF) * float32(q), h16(b[82:]) * float32(sc>>4)
}

func specQ3K(b []byte, p int) (scaled, offset float32) {
	k := p / 16
	low := b[96+k%8] >> (4 * (k / 8)) & 0xF
	high := b[104+k%4] >> (2 * (k / 4)) & 3
	scale := int(low|high<<4) - 32
	half, r := p/128, p%128
	q := int(b[32+32*half+r%32]>>(2*(r/32))&3) - 4
	if b[p%32]>>(p/32)&1 == 1 {
		q += 4
	}
	return h16(b[108:]) * float32(scale) * float32(q), 0
}

// specScaleMin is get_scale_min_k4 as ggml-quants.c writes it.
func specScaleMin(j int, s []byte) (sc, m uint8) {
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	return s[j+4]&0xF | s[j-4]>>6<<4, s[j+4]>>4 | s[j]>>6<<4
}

func specQ4K(b []byte, p int) (scaled, offset float32) {
	sc, m := specScaleMin(p/32, b[4:16])
	q := b[16+32*(p/64)+p%32] >> (4 * (p / 32 % 2)) & 0xF
	return h16(b[0:]) * float32(sc) * float32(q), h16(b[2:]) * float32(m)
}

func specQ5K(b []byte, p int) (scaled, offset float32) {
	sc, m := specScaleMin(p/32, b[4:16])
	q := b[48+32*(p/64)+p%32] >> (4 * (p / 32 % 2)) & 0xF
	q |= b[16+p%32] >> (p / 32) & 1 << 4
	return h16(b[0:]) * float32(sc) * float32(q), h16(b[2:]) * float32(m)
}

func specQ6K(b []byte, p int) (scaled, offset float32) {
	half, r := p/128, p%128
	quarter, l := r/32, r%32
	low := b[64*half+32*(quarter%2)+l] >> (4 * (quarter / 2)) & 0xF
	high := b[128+32*half+l] >> (2 * quarter) & 3
	q := int(low|high<<4) - 32
	return h16(b[208:]) * float32(int8(b[192+p/16])) * float32(q), 0
}

func specIQ4XS(b []byte, p int) (scaled, offset float32) {
	ib, r := p/32, p%32
	ls := int(b[4+ib/2]>>(4*(ib%2))&0xF) | int(le16(b[2:])>>(2*ib)&3)<<4
	q := b[8+16*ib+r%16] >> (4 * (r / 16)) & 0xF
	return h16(b[0:]) * float32(ls-32) * float32(iq4nlValues[q]), 0
}

var kSpecs = map[Type]func(b []byte, p int) (scaled, offset float32){
	Q2_K: specQ2K, Q3_K: specQ3K, Q4_K: specQ4K, Q5_K: specQ5K,
	Q6_K: specQ6K, Q8_K: specQ8K, IQ4_XS: specIQ4XS,
}

// kScaleFields are the byte offsets of each format's scale fields, which
// randomBlocks sets to finite values.
var kScaleFields = map[Type][]int{
	Q2_K: {80, 82}, Q3_K: {108}, Q4_K: {0, 2}, Q5_K: {0, 2}, Q6_K: {208}, IQ4_XS: {0},
}

// randomBlocks returns n blocks of typ with random bits everywhere except
// the scales, which are random halves in ±[2⁻⁴, 4) (Q8_K: a random float32 of
// that size), so that every value is finite.
func randomBlocks(r *rand.Rand, typ Type, n int) []byte {
	size := typ.TypeSize()
	b := make([]byte, n*size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for i := range n {
		blk := b[i*size : (i+1)*size]
		scale := float32(math.Ldexp(1+r.Float64(), r.IntN(6)-4))
		if r.IntN(2) == 0 {
			scale = -scale
		}
		if typ == Q8_K {
			binary.LittleEndian.PutUint32(blk, math.Float32bits(scale))
			continue
		}
		for _, off := range kScaleFields[typ] {
			binary.LittleEndian.PutUint16(blk[off:], F32ToF16(scale))
			scale = scale*0.75 + 0.01
		}
	}
	return b
}

// TestKDequantizeSpec decodes random blocks and compares every value with the
// value-by-value decoding of the spec.
func TestKDequantizeSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, typ := range kTypes {
		t.Run(typ.String(), func(t *testing.T) {
			const blocks = 8
			b := randomBlocks(r, typ, blocks)
			got := make([]float32, blocks*qkK)
			if err := Dequantize(typ, b, got); err != nil {
				t.Fatal(err)
			}
			size := typ.TypeSize()
			for p := range got {
				scaled, offset := kSpecs[typ](b[p/qkK*size:], p%qkK)
				if want := scaled - offset; got[p] != want {
					t.Fatalf("value %d = %v, want %v", p, got[p], want)
				}
			}
		})
	}
}

// TestKDequantizeKnownBlocks decodes hand-built blocks and checks chosen
// values against numbers worked out by hand from the layouts.
func TestKDequantizeKnownBlocks(t *testing.T) {
	type check struct {
		index int
		want  float32
	}
	one, half := F32ToF16(1), F32ToF16(0.5)
	put16 := func(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
	tests := []struct {
		typ    Type
		build  func(b []byte)
		checks []check
	}{{
		typ: Q8_K,
		build: func(b []byte) {
			binary.LittleEndian.PutUint32(b, math.Float32bits(0.25))
			b[4], b[4+255] = 0x81, 5 // -127 and 5
		},
		checks: []check{{0, -31.75}, {1, 0}, {255, 1.25}},
	}, {
		typ: Q2_K,
		build: func(b []byte) {
			put16(b, 80, one)
			put16(b, 82, half)
			b[0] = 0x32             // sub-block 0: scale 2, min 3
			b[13] = 0x1F            // sub-block 13: scale 15, min 1
			b[16] = 0b11100100      // value 0: level 0; values 32, 64, 96: 1, 2, 3
			b[16+48+3] = 0b00100000 // bits 4-5 of byte 3 of the second half, sub-half 1: value 128+64+16+3
		},
		checks: []check{
			{0, 2*0 - 0.5*3},    // -1.5
			{1, -1.5},           // level 0 too
			{32, 0},             // sub-block 2: scale and min 0
			{211, 15*2 - 0.5*1}, // 29.5
			{208, 15*0 - 0.5*1}, // level 0 in sub-block 13
		},
	}, {
		typ: Q3_K,
		build: func(b []byte) {
			put16(b, 108, half)
			b[96] = 1       // scale 0 low nibble 1
			b[104] = 2      // scale 0 high bits 2: scale 33, i.e. +1; all others -32
			b[32] = 3       // value 0: low bits 3
			b[0] = 1        // value 0: high bit set
			b[32+32+16] = 2 // value 128+16 (sub-block 9): low bits 2, high bit (byte 16, bit 4) clear
		},
		checks: []check{
			{0, 0.5 * 1 * 3},      // 1.5
			{1, 0.5 * 1 * -4},     // -2
			{144, 0.5 * -32 * -2}, // 32
		},
	}, {
		typ: Q4_K,
		build: func(b []byte) {
			put16(b, 0, one)
			put16(b, 2, half)
			b[4+0], b[4+4] = 10, 4 // sub-block 0: scale 10, min 4
			// sub-block 5: scale 50 = 0b11_0010, min 33 = 0b10_0001
			b[4+9] = 0x12     // low nibbles: scale 2, min 1
			b[4+1] |= 3 << 6  // scale's top bits
			b[4+5] |= 2 << 6  // min's top bits
			b[16] = 7         // value 0
			b[16+64+3] = 0xA0 // value 163: high nibble of byte 3 in group 2
		},
		checks: []check{
			{0, 10*7 - 0.5*4},     // 68
			{163, 50*10 - 0.5*33}, // 483.5
			{32, 0},               // sub-block 1: scale 0, min 0
		},
	}, {
		typ: Q5_K,
		build: func(b []byte) {
			put16(b, 0, one)
			put16(b, 2, half)
			b[4+0], b[4+4] = 10, 4
			b[4+9] = 0x12
			b[4+1] |= 3 << 6
			b[4+5] |= 2 << 6
			b[48] = 7
			b[48+64+3] = 0xA0
			b[16+3] = 1 << 5 // fifth bit of value 163 = 32·5+3
		},
		checks: []check{
			{0, 10*7 - 0.5*4},          // 68
			{163, 50*(10+16) - 0.5*33}, // 1283.5
		},
	}, {
		typ: Q6_K,
		build: func(b []byte) {
			put16(b, 208, half)
			b[192+0] = 0xFD     // scale of sub-block 0: -3
			b[192+13] = 7       // scale of sub-block 13
			b[0] = 5            // value 0: low bits 5
			b[128] = 2          // value 0: high bits 2 → 37, i.e. +5
			b[64+20] = 0x10     // value 128+64+20 = 212: low bits 1 (high nibble of ql byte 20 of half 1)
			b[128+32+20] = 0x30 // its high bits 3 → 49, i.e. +17
		},
		checks: []check{
			{0, 0.5 * -3 * 5},   // -7.5
			{1, 0.5 * -3 * -32}, // 48: all bits zero is level -32
			{212, 0.5 * 7 * 17}, // 59.5
		},
	}, {
		typ: IQ4_XS,
		build: func(b []byte) {
			put16(b, 0, half)
			b[4] = 1          // scale 0 low nibble 1
			put16(b, 2, 2)    // scale 0 high bits 2: 33, i.e. +1; others -32
			b[8] = 0x0F       // value 0: level 15 = 113
			b[8+16*3+2] = 0x0 // value 3·32+16+2: high nibble 0 = -127
		},
		checks: []check{
			{0, 0.5 * 1 * 113},      // 56.5
			{16, 0.5 * 1 * -127},    // high nibble of byte 0
			{114, 0.5 * -32 * -127}, // 2032
		},
	}}
	for _, tc := range tests {
		t.Run(tc.typ.String(), func(t *testing.T) {
			b := make([]byte, tc.typ.TypeSize())
			tc.build(b)
			got := make([]float32, qkK)
			if err := Dequantize(tc.typ, b, got); err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.checks {
				if got[c.index] != c.want {
					t.Errorf("value %d = %v, want %v", c.index, got[c.index], c.want)
				}
			}
		})
	}
}

// TestQuantizeQ8KKnownBlock quantizes a block whose peak is -127, so that
// the scale is exactly 1 and every level can be worked out by hand: rounding
// is to nearest with ties to even, and +127 is kept.
func TestQuantizeQ8KKnownBlock(t *testing.T) {
	x := make([]float32, qkK)
	copy(x, []float32{-127, 127, 2.5, 3.5, -2.5, 0.5, 1.49, -126.6})
	x[200] = 100.25
	want := make([]int8, qkK)
	copy(want, []int8{-127, 127, 2, 4, -2, 0, 1, -127})
	want[200] = 100
	b := make([]byte, q8KBytes)
	if err := Quantize(Q8_K, x, b); err != nil {
		t.Fatal(err)
	}
	if d := math.Float32frombits(binary.LittleEndian.Uint32(b)); d != 1 {
		t.Errorf("d = %v, want 1", d)
	}
	for i, w := range want {
		if got := int8(b[q8KQs+i]); got != w {
			t.Errorf("q[%d] = %d, want %d", i, got, w)
		}
	}
	for j, w := range []int16{-127 + 127 + 2 + 4 - 2 + 0 + 1 - 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100} {
		if got := int16(le16(b[q8KBsums+2*j:])); got != w {
			t.Errorf("bsums[%d] = %d, want %d", j, got, w)
		}
	}
}

// TestKQuantizeError checks that quantizing then dequantizing Gaussian data
// loses no more than each format's resolution allows, at magnitudes whose
// super-block scales are normal halves (below about 1e-4 they underflow, in
// the reference too).
func TestKQuantizeError(t *testing.T) {
	bounds := map[Type]float64{
		Q2_K:   0.32,
		Q3_K:   0.165,
		Q4_K:   0.078,
		Q5_K:   0.04,
		Q6_K:   0.0195,
		Q8_K:   0.0075,
		IQ4_XS: 0.085,
	}
	r := rand.New(rand.NewPCG(3, 4))
	base := randomRow(r, 1<<14)
	for _, typ := range kTypes {
		for _, magnitude := range []float32{1, 1.0 / 64, 1000} {
			x := make([]float32, len(base))
			for i, v := range base {
				x[i] = v * magnitude
			}
			y := quantizeRoundTrip(t, typ, x)
			rel := relativeRMS(x, y)
			if rel > bounds[typ] {
				t.Errorf("%s ×%g: relative RMS error %.5f > %.5f", typ, magnitude, rel, bounds[typ])
			}
			if magnitude == 1 {
				t.Logf("%s: relative RMS error %.5f", typ, rel)
			}
		}
	}
}

func quantizeRoundTrip(t *testing.T, typ Type, x []float32) []float32 {
	t.Helper()
	size, err := typ.RowSize(len(x))
	if err != nil {
		t.Fatal(err)
	}
	q := make([]byte, size)
	y := make([]float32, len(x))
	if err := Quantize(typ, x, q); err != nil {
		t.Fatal(err)
	}
	if err := Dequantize(typ, q, y); err != nil {
		t.Fatal(err)
	}
	return y
}

func relativeRMS(x, y []float32) float64 {
	in, diff := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		in[i], diff[i] = float64(x[i]), float64(y[i])-float64(x[i])
	}
	return rms(diff) / rms(in)
}

// TestKQuantizeSpecialBlocks checks blocks the quantizers treat specially:
// all zero, below the all-zero threshold, constant, a lone spike.
func TestKQuantizeSpecialBlocks(t *testing.T) {
	spike := make([]float32, qkK)
	spike[77] = -3
	constant := make([]float32, qkK)
	tiny := make([]float32, qkK)
	for i := range constant {
		constant[i] = 0.75
		tiny[i] = 1e-20
	}
	for _, typ := range kTypes {
		for name, x := range map[string][]float32{"zero": make([]float32, qkK), "tiny": tiny, "constant": constant, "spike": spike} {
			y := quantizeRoundTrip(t, typ, x)
			amax, _ := blockPeak(x)
			for i := range y {
				if err := math.Abs(float64(y[i] - x[i])); !(err <= 0.05*float64(amax)+1e-19) {
					t.Errorf("%s %s: value %d = %v, want about %v", typ, name, i, y[i], x[i])
					break
				}
			}
		}
	}
}

// TestKRequantize checks what requantizing dequantized data keeps: Q6_K
// reproduces the values exactly and Q8_K to rounding; the others, whose scale
// searches are not idempotent, move the values by much less than the
// quantization error.
func TestKRequantize(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := randomRow(r, 1<<13)
	for _, typ := range kTypes {
		y := quantizeRoundTrip(t, typ, x)
		z := quantizeRoundTrip(t, typ, y)
		switch typ {
		case Q6_K:
			for i := range y {
				if y[i] != z[i] {
					t.Fatalf("Q6_K: value %d %v requantized to %v", i, y[i], z[i])
				}
			}
		case Q8_K:
			for i := range y {
				if math.Abs(float64(y[i]-z[i])) > 1e-6*math.Abs(float64(y[i])) {
					t.Fatalf("Q8_K: value %d %v requantized to %v", i, y[i], z[i])
				}
			}
		default:
			if drift, loss := relativeRMS(y, z), relativeRMS(x, y); drift > 0.3*loss {
				t.Errorf("%s: requantizing moved values by %.5f (relative RMS), first quantization %.5f", typ, drift, loss)
			}
		}
	}
}

// TestKVecDotMatchesDequantized checks each dot product against the float64
// dot product of the dequantized rows, both for quantized data and for
// arbitrary block bits.
func TestKVecDotMatchesDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, typ := range kWeightTypes {
		t.Run(typ.String(), func(t *testing.T) {
			o, _ := OpsFor(typ)
			for _, n := range []int{256, 4096} {
				w, x := quantizedRow(t, r, typ, n)
				got := o.VecDot(n, w, x)
				want, tol := dequantizedDot(t, typ, Q8_K, n, w, x)
				if math.Abs(float64(got)-want) > tol {
					t.Errorf("n=%d: VecDot = %v, dequantized dot = %v (tolerance %.3g)", n, got, want, tol)
				}
				w = randomBlocks(r, typ, n/qkK)
				got = o.VecDot(n, w, x)
				want, tol = specDot(typ, w, x)
				if math.Abs(float64(got)-want) > tol {
					t.Errorf("n=%d, random bits: VecDot = %v, dequantized dot = %v (tolerance %.3g)", n, got, want, tol)
				}
			}
		})
	}
}

// specDot is the float64 dot product of weights w decoded with the spec and
// Q8_K activations x, with a bound on VecDot's float32 rounding error that
// allows for cancellation between the scaled and offset terms.
func specDot(typ Type, w, x []byte) (dot, tol float64) {
	spec := kSpecs[typ]
	size := typ.TypeSize()
	var mag float64
	for p := range len(w) / size * qkK {
		scaled, offset := spec(w[p/qkK*size:], p%qkK)
		a, _ := specQ8K(x[p/qkK*q8KBytes:], p%qkK)
		dot += (float64(scaled) - float64(offset)) * float64(a)
		mag += (math.Abs(float64(scaled)) + math.Abs(float64(offset))) * math.Abs(float64(a))
	}
	return dot, 1e-5 * mag
}

// TestKVecDotAllZero checks that all-zero activations, which Q8_K stores as
// a zero scale, give a zero product.
func TestKVecDotAllZero(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	x := make([]byte, q8KBytes)
	quantizeQ8K(make([]float32, qkK), x)
	if !bytes.Equal(x, make([]byte, q8KBytes)) {
		t.Fatalf("Q8_K of zeros = %x, want all zero", x)
	}
	for _, typ := range kWeightTypes {
		o, _ := OpsFor(typ)
		if got := o.VecDot(qkK, randomBlocks(r, typ, 1), x); got != 0 {
			t.Errorf("%s: dot with zero activations = %v", typ, got)
		}
	}
}

func TestKOpsTable(t *testing.T) {
	for _, typ := range kTypes {
		o, err := OpsFor(typ)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if o.Type != typ || o.VecDotType != Q8_K || o.ToFloat == nil || o.Quantize == nil || o.FromFloat == nil {
			t.Errorf("%s: incomplete kernels or dot type %s", typ, o.VecDotType)
		}
		if (o.VecDot == nil) != (typ == Q8_K) {
			t.Errorf("%s: VecDot present = %v", typ, o.VecDot != nil)
		}
	}
}

// FuzzKQuants decodes arbitrary bytes as each super-block format, checks the
// decoding against the spec and the dot product against the decoded values,
// and requantizes the result. Any bit pattern is a valid block.
func FuzzKQuants(f *testing.F) {
	f.Add(uint8(0), bytes.Repeat([]byte{0x5a}, q2KBytes))
	f.Add(uint8(1), bytes.Repeat([]byte{0xff}, 2*q3KBytes))
	f.Add(uint8(4), append(bytes.Repeat([]byte{0x11}, 208), 0x00, 0x7c)) // Q6_K, d = +Inf
	f.Add(uint8(5), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := kTypes[int(which)%len(kTypes)]
		size := typ.TypeSize()
		n := len(data) / size * qkK
		w := data[:n/qkK*size]
		got := make([]float32, n)
		if err := Dequantize(typ, w, got); err != nil {
			t.Fatal(err)
		}
		finite := true
		for p := range got {
			scaled, offset := kSpecs[typ](w[p/qkK*size:], p%qkK)
			want := scaled - offset
			if got[p] != want && !(math.IsNaN(float64(got[p])) && math.IsNaN(float64(want))) {
				t.Fatalf("%s value %d = %v, want %v", typ, p, got[p], want)
			}
			finite = finite && !math.IsInf(float64(scaled), 0) && !math.IsNaN(float64(scaled)) &&
				!math.IsInf(float64(offset), 0) && !math.IsNaN(float64(offset))
		}
		if o, _ := OpsFor(typ); o.VecDot != nil && finite && n > 0 {
			x := make([]byte, n/qkK*q8KBytes)
			quantizeQ8K(randomRow(rand.New(rand.NewPCG(uint64(n), 1)), n), x)
			dot, tol := specDot(typ, w, x)
			if got := o.VecDot(n, w, x); math.Abs(float64(got)-dot) > tol+1e-30 {
				t.Fatalf("%s: VecDot = %v, dequantized dot = %v", typ, got, dot)
			}
		}
		if err := Quantize(typ, got, make([]byte, len(w))); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkVecDotQ2_K(b *testing.B)   { benchVecDot(b, Q2_K) }
func BenchmarkVecDotQ3_K(b *testing.B)   { benchVecDot(b, Q3_K) }
func BenchmarkVecDotQ4_K(b *testing.B)   { benchVecDot(b, Q4_K) }
func BenchmarkVecDotQ5_K(b *testing.B)   { benchVecDot(b, Q5_K) }
func BenchmarkVecDotQ6_K(b *testing.B)   { benchVecDot(b, Q6_K) }
func BenchmarkVecDotIQ4_XS(b *testing.B) { benchVecDot(b, IQ4_XS) }
