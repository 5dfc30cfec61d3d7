package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestVexpfCloseToExp checks the Go twin against the correctly rounded e^x:
// the reference's polynomial is within two ulps of it over the whole normal
// range, and the subnormal results are rounded once, so within one of their
// coarser ulps.
func TestVexpfCloseToExp(t *testing.T) {
	lo, hi := float32(-103.9), float32(88.72)
	for b := math.Float32bits(lo); b > 0x80000000; b -= 1009 {
		checkNearExp(t, math.Float32frombits(b))
	}
	for b := uint32(0); b <= math.Float32bits(hi); b += 1009 {
		checkNearExp(t, math.Float32frombits(b))
	}
}

func checkNearExp(t *testing.T, x float32) {
	t.Helper()
	got, want := vexpf(x), float32(math.Exp(float64(x)))
	if d := int64(math.Float32bits(got)) - int64(math.Float32bits(want)); d < -2 || d > 2 {
		t.Fatalf("vexpf(%g) = %g (%#x), e^x rounded %g (%#x)", x, got, math.Float32bits(got), want, math.Float32bits(want))
	}
}

func TestVexpfEdges(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Copysign(0, -1)), 1},
		{inf, inf}, {-inf, 0},
		{math.MaxFloat32, inf}, {-math.MaxFloat32, 0},
		{89, inf}, {-104, 0},
		{-150, 0}, {134, inf}, // past |n| = 192
	} {
		if got := vexpf(c.x); !sameBits(got, c.want) {
			t.Errorf("vexpf(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := vexpf(float32(math.NaN())); got == got {
		t.Errorf("vexpf(NaN) = %g", got)
	}
}

// expInputs returns n values for e^x: ordinary ones, ones whose results are
// subnormal or overflow, the edges of |n| ≤ 192, any bits at all (NaNs,
// infinities, subnormals), and exact special values.
func expInputs(r *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
		-87.33655, -103.97208, 88.72284, 88.72283, 133.08, -133.08, 133.2, -133.2}
	x := make([]float32, n)
	for i := range x {
		switch r.IntN(6) {
		case 0:
			x[i] = float32(r.NormFloat64() * math.Ldexp(1, r.IntN(18)-10))
		case 1:
			x[i] = float32(-87 - 17*r.Float64()) // subnormal results
		case 2:
			x[i] = float32(266*r.Float64() - 133)
		case 3:
			x[i] = math.Float32frombits(r.Uint32())
		case 4:
			x[i] = specials[r.IntN(len(specials))]
		default:
			x[i] = float32(-20 * r.Float64()) // softmax's usual range
		}
	}
	return x
}

// withoutAsm runs f with the Go twins.
func withoutAsm(f func()) {
	defer func(old bool) { useAVX2 = old }(useAVX2)
	useAVX2 = false
	f()
}

func sameBits64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

func TestSoftmaxExpMatchesGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(31, 32))
	for n := range 101 {
		for trial := range 30 {
			x := expInputs(r, n)
			m := float32(0)
			switch {
			case trial%3 == 1 && n > 0:
				m = x[r.IntN(n)]
			case trial%3 == 2:
				m = float32(r.NormFloat64() * 50)
			}
			checkSoftmaxExp(t, x, m)
		}
	}
	x := expInputs(r, 8192+5)
	checkSoftmaxExp(t, x, 0)
}

// TestExpSweep compares the two over a comb through every float32 and over
// every float32 where the results turn subnormal, overflow or hit |n| = 192.
func TestExpSweep(t *testing.T) {
	requireAsm(t)
	var x []float32
	for b := uint64(0); b < 1<<32; b += 1021 {
		x = append(x, math.Float32frombits(uint32(b)))
	}
	for _, r := range [][2]float32{{-104, -87}, {88.5, 89}, {133.07, 133.09}, {-133.09, -133.07}} {
		for v := r[0]; v <= r[1]; v = math.Nextafter32(v, r[1]+1) {
			x = append(x, v)
		}
	}
	x = x[:len(x)/16*16]
	checkSoftmaxExp(t, x, 0)
}

// checkSoftmaxExp compares SoftmaxExp with its Go twin on x, value by value
// and the sum.
func checkSoftmaxExp(t *testing.T, x []float32, m float32) {
	t.Helper()
	got, want := slices.Clone(x), slices.Clone(x)
	gotSum := SoftmaxExp(got, m)
	var wantSum float64
	withoutAsm(func() { wantSum = SoftmaxExp(want, m) })
	for i := range x {
		if !sameBits(got[i], want[i]) {
			t.Fatalf("n=%d: e^(%g - %g) (%#x): assembly %g (%#x), Go %g (%#x)", len(x), x[i], m, math.Float32bits(x[i]),
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
	if !sameBits64(gotSum, wantSum) {
		t.Fatalf("n=%d m=%g: sum: assembly %g, Go %g", len(x), m, gotSum, wantSum)
	}
}

func TestSwiGLUMatchesGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(33, 34))
	for _, n := range append(slices.Collect(func(yield func(int) bool) {
		for n := range 101 {
			yield(n)
		}
	}), 8192+7) {
		for range 30 {
			gate, up := expInputs(r, n), expInputs(r, n+r.IntN(3))
			for i := range gate {
				gate[i] = -gate[i] // silu takes e^-g
			}
			got, want := slices.Clone(gate), slices.Clone(gate)
			SwiGLU(got, up)
			withoutAsm(func() { SwiGLU(want, up) })
			for i := range gate {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("n=%d: silu(%g)·%g: assembly %g (%#x), Go %g (%#x)", n, gate[i], up[i],
						got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

func TestScaleMatchesGo(t *testing.T) {
	requireAsm(t)
	r := rand.New(rand.NewPCG(35, 36))
	for n := range 101 {
		x := expInputs(r, n)
		s := expInputs(r, 1)[0]
		got, want := slices.Clone(x), slices.Clone(x)
		Scale(got, s)
		scaleGeneric(want, s)
		for i := range x {
			if !sameBits(got[i], want[i]) {
				t.Fatalf("n=%d: %g·%g: assembly %g, Go %g", n, x[i], s, got[i], want[i])
			}
		}
	}
}

func BenchmarkSoftmax(b *testing.B) {
	benchmarkExp(b, func(x []float32) { Scale(x, float32(1/SoftmaxExp(x, 0))) })
}

func BenchmarkSwiGLU(b *testing.B) {
	up := expInputs(rand.New(rand.NewPCG(3, 4)), 8192)
	benchmarkExp(b, func(x []float32) { SwiGLU(x, up) })
}

// benchmarkExp times f on 8192 values with the assembly and with the Go
// twins.
func benchmarkExp(b *testing.B, f func(x []float32)) {
	src := make([]float32, 8192)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range src {
		src[i] = float32(-20 * r.Float64())
	}
	x := make([]float32, len(src))
	for _, asm := range []bool{true, false} {
		b.Run(fmt.Sprintf("asm=%t", asm), func(b *testing.B) {
			if asm {
				requireAsm(b)
			}
			defer func(old bool) { useAVX2 = old }(useAVX2)
			useAVX2 = useAVX2 && asm
			b.SetBytes(4 * int64(len(x)))
			for b.Loop() {
				copy(x, src)
				f(x)
			}
		})
	}
}

// TestMaxMatchesGo checks Max in assembly against its Go twin on every
// length up to 70, with the values of randomActivations (infinities and
// NaNs among them) mixed in, and that it finds the largest of ordinary
// values.
func TestMaxMatchesGo(t *testing.T) {
	requireAsm(t)
	defer func() { useAVX2 = true }()
	r := rand.New(rand.NewPCG(67, 68))
	for n := 0; n <= 70; n++ {
		for trial := range 20 {
			x := randomRow(r, n)
			if trial%2 == 1 {
				x = randomActivations(r, n)
			}
			useAVX2 = false
			want := Max(x)
			useAVX2 = true
			if got := Max(x); !sameBits(got, want) {
				t.Fatalf("%d values, trial %d: Max %g in assembly, %g in Go", n, trial, got, want)
			}
			if trial%2 == 0 {
				largest := float32(math.Inf(-1))
				for _, v := range x {
					largest = max(largest, v)
				}
				if want != largest {
					t.Fatalf("%d values, trial %d: Max %g, largest %g", n, trial, want, largest)
				}
			}
		}
	}
}
