package tensor

import "math"

// The reference's softmax and SiLU kernels (ggml_vec_soft_max_f32,
// ggml_vec_swiglu_f32) work through whole AVX-512 registers of sixteen
// values with a vectorised e^x, then through the values past the last whole
// register one at a time with the C library's expf. The register part runs
// in assembly (exp_amd64.s) when useAVX2 is set, in the Go twins here
// otherwise; both compute vexpf operation by operation, so their results are
// identical.

// Max returns the largest value of x, -Inf when it is empty, comparing as
// the reference's ggml_vec_max_f32 does (m = a > b ? a : b, so that a NaN
// is kept only until a number follows it) but in eight lanes: lane l takes
// the values 8k+l of the whole eights, the lanes meet as halves, quarters
// and pairs, and the values after the last whole eight follow one by one.
// Without NaNs the order changes nothing.
func Max(x []float32) float32 {
	whole := len(x) / 8 * 8
	m := maxLanes(x[:whole])
	for _, v := range x[whole:] {
		m = cmax(m, v)
	}
	return m
}

// cmax is C's MAX(a, b): a > b ? a : b.
func cmax(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

// maxLanesGeneric is Max's eight lanes over x, a whole number of eights.
func maxLanesGeneric(x []float32) float32 {
	var lanes [8]float32
	for l := range lanes {
		lanes[l] = float32(math.Inf(-1))
	}
	for i := 0; i < len(x); i += 8 {
		for l := range lanes {
			lanes[l] = cmax(lanes[l], x[i+l])
		}
	}
	for width := 4; width > 0; width /= 2 {
		for l := range width {
			lanes[l] = cmax(lanes[l], lanes[l+width])
		}
	}
	return lanes[0]
}

// SoftmaxExp replaces each value v of x by e^(v-m) and returns the sum of the
// results in float64, as ggml_vec_soft_max_f32 does: each whole register's
// exponentials are added up as _mm512_reduce_add_ps adds lanes, in float32,
// before joining the sum; the values past them join it one by one.
func SoftmaxExp(x []float32, m float32) float64 {
	whole := len(x) / 16 * 16
	sum := softmaxExpRegs(x[:whole], m)
	for i := whole; i < len(x); i++ {
		x[i] = expf(x[i] - m)
		sum += float64(x[i])
	}
	return sum
}

// SwiGLU writes silu(gate)·up into gate, silu(g) = g/(1+e^-g), as
// ggml_vec_swiglu_f32 does. up holds at least len(gate) values.
func SwiGLU(gate, up []float32) {
	up = up[:len(gate)]
	whole := len(gate) / 16 * 16
	swigluRegs(gate[:whole], up[:whole])
	for i := whole; i < len(gate); i++ {
		g := gate[i]
		gate[i] = g / (1 + expf(-g)) * up[i]
	}
}

// Scale multiplies each value of x by s.
func Scale(x []float32, s float32) { scale(x, s) }

func softmaxExpRegsGeneric(x []float32, m float32) float64 {
	var sum float64
	for i := 0; i+16 <= len(x); i += 16 {
		reg := (*[16]float32)(x[i:])
		for l, v := range reg {
			reg[l] = vexpf(v - m)
		}
		sum += float64(sum16(reg))
	}
	return sum
}

func swigluRegsGeneric(gate, up []float32) {
	up = up[:len(gate)]
	for i, g := range gate {
		gate[i] = g / (1 + vexpf(-g)) * up[i]
	}
}

func scaleGeneric(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// vexpf is the reference's vectorised e^x for AVX-512 (ggml_v_expf): a
// polynomial from Arm's optimized routines, evaluated with fused
// multiply-adds and scaled by 2^n. It differs from the correctly rounded e^x
// in the last bit now and then, and those bits reach the logits, so zhi
// computes it operation by operation.
func vexpf(x float32) float32 {
	const shift = 0x1.8p23
	z := fma32(x, 0x1.715476p+0, shift)
	n := z - shift
	b := fma32(-n, 0x1.7f7d1cp-20, fma32(-n, 0x1.62e4p-1, x))
	u := b * b
	j := fma32(fma32(fma32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma32(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u,
		fma32(0x1.ffffecp-1, b, 1))
	if abs32(n) > 192 {
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	// _mm512_scalef_ps: j·2^n, rounded once.
	return float32(math.Ldexp(float64(j), int(n)))
}

// expf is the C library's expf, which the reference uses on values past the
// last whole register. glibc's result is within about half an ulp; the
// correctly rounded one differs from it too rarely to matter here.
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }
