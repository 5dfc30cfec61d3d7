package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference checks of every layer's backward pass: for a loss
// L = Σ r·y with random r, the analytic gradient (the backward function
// given dy = r) must match (L(x+h) − L(x−h)) / 2h for every input value.

// dot64 is Σ r·y in float64.
func dot64(r, y []float32) float64 {
	var s float64
	for i := range r {
		s += float64(r[i]) * float64(y[i])
	}
	return s
}

// checkGrad compares grad, the analytic gradient of loss with respect to
// x, with central differences.
func checkGrad(t *testing.T, name string, x, grad []float32, loss func() float64) {
	t.Helper()
	const h = 1e-2
	for i := range x {
		old := x[i]
		x[i] = old + h
		up := float64(x[i])
		lp := loss()
		x[i] = old - h
		down := float64(x[i])
		lm := loss()
		x[i] = old
		num := (lp - lm) / (up - down)
		if diff := math.Abs(num - float64(grad[i])); diff > 2e-3+2e-2*math.Abs(num) {
			t.Errorf("%s[%d]: analytic %g, numerical %g", name, i, grad[i], num)
		}
	}
}

func TestRMSNormGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, d = 3, 8
	x, w, r := randSlice(rng, rows*d, 1), randSlice(rng, d, 1), randSlice(rng, rows*d, 1)
	y, rinv := make([]float32, rows*d), make([]float32, rows)
	loss := func() float64 { rmsNorm(y, rinv, x, w, 1e-5); return dot64(r, y) }
	loss()
	dx, dw := make([]float32, rows*d), make([]float32, d)
	rmsNormBackward(dx, dw, r, x, rinv, w)
	checkGrad(t, "x", x, dx, loss)
	checkGrad(t, "w", w, dw, loss)
}

func TestRopeGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const seq, hd, heads = 5, 6, 2
	rp := newRope(seq, hd, 10000)
	x, r := randSlice(rng, 2*seq*heads*hd, 1), randSlice(rng, 2*seq*heads*hd, 1)
	y := make([]float32, len(x))
	loss := func() float64 {
		copy(y, x)
		rp.rotate(y, 0, 2*seq, heads*hd, seq, false)
		return dot64(r, y)
	}
	dx := append([]float32(nil), r...)
	rp.rotate(dx, 0, 2*seq, heads*hd, seq, true)
	checkGrad(t, "x", x, dx, loss)

	// Position 0 is not rotated; position 1 turns pair 0 by one radian.
	y = []float32{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}
	rp.rotate(y, 0, 2, hd, seq, false)
	if y[0] != 1 || y[1] != 0 || math.Abs(float64(y[6])-math.Cos(1)) > 1e-6 || math.Abs(float64(y[7])-math.Sin(1)) > 1e-6 {
		t.Errorf("rotations of (1, 0) at positions 0 and 1: %v", y)
	}
}

func TestSwiGLUGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 40 // past a whole register of the vectorised exponential
	g, u, r := randSlice(rng, n, 3), randSlice(rng, n, 1), randSlice(rng, n, 1)
	h := make([]float32, n)
	loss := func() float64 { swiglu(h, g, u); return dot64(r, h) }
	dg, du := make([]float32, n), make([]float32, n)
	swigluBackward(dg, du, r, g, u)
	checkGrad(t, "gate", g, dg, loss)
	checkGrad(t, "up", u, du, loss)
}

func TestCrossEntropyGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const v, target, weight = 37, 5, 0.7
	z := randSlice(rng, v, 2)
	row := make([]float32, v)
	loss := func() float64 { copy(row, z); return -weight * float64(softmaxCrossEntropy(row, target)) }
	// log p(target) against a float64 log-softmax.
	var sum float64
	for _, x := range z {
		sum += math.Exp(float64(x))
	}
	if got, want := -loss()/weight, float64(z[target])-math.Log(sum); math.Abs(got-want) > 1e-5 {
		t.Errorf("log p(target) = %g, want %g", got, want)
	}
	crossEntropyBackward(row, target, weight)
	checkGrad(t, "logits", z, append([]float32(nil), row...), loss)
}

// TestLinearGrad checks the three products of a linear layer y = x·Wᵀ in
// the forms the backward pass uses them: dx = dy·W, dW = dyᵀ·x.
func TestLinearGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const n, in, out = 7, 5, 9
	x, w, r := randSlice(rng, n*in, 1), randSlice(rng, out*in, 1), randSlice(rng, n*out, 1)
	var buf gemmBuf
	y := make([]float32, n*out)
	loss := func() float64 {
		gemm(rowMajor(y, n, out), rowMajor(x, n, in), rowMajor(w, out, in).T(), false, &buf)
		return dot64(r, y)
	}
	dx, dw := make([]float32, n*in), make([]float32, out*in)
	gemm(rowMajor(dx, n, in), rowMajor(r, n, out), rowMajor(w, out, in), false, &buf)
	gemm(rowMajor(dw, out, in), rowMajor(r, n, out).T(), rowMajor(x, n, in), false, &buf)
	checkGrad(t, "x", x, dx, loss)
	checkGrad(t, "w", w, dw, loss)
}

// TestAttentionGrad checks one head's attention, reading q, k and v as
// blocks of columns of wider buffers as the network does, and the
// accumulation of dk and dv over the heads of a group.
func TestAttentionGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const seq, hd, width = 6, 4, 12
	view := func(buf []float32) mat { return rowMajor(buf, seq, width).sub(0, seq, 4, hd) }
	q, k, v := randSlice(rng, seq*width, 1), randSlice(rng, seq*width, 1), randSlice(rng, seq*width, 1)
	r := randSlice(rng, seq*width, 1)
	o, lse := make([]float32, seq*width), make([]float32, seq)
	s, ds := make([]float32, seq*seq), make([]float32, seq*seq)
	var buf gemmBuf
	const scale = 0.5
	loss := func() float64 {
		attendForward(view(o), view(q), view(k), view(v), lse, scale, s, &buf)
		var l float64
		for i := range seq {
			for j := range hd {
				l += float64(view(r).at(i, j)) * float64(view(o).at(i, j))
			}
		}
		return l
	}
	loss()
	dq, dk, dv := make([]float32, seq*width), make([]float32, seq*width), make([]float32, seq*width)
	attendBackward(view(dq), view(dk), view(dv), view(r), view(q), view(k), view(v), view(o), lse, scale, false, s, ds, &buf)
	checkGrad(t, "q", q, dq, loss)
	checkGrad(t, "k", k, dk, loss)
	checkGrad(t, "v", v, dv, loss)

	// A second head sharing k and v adds its gradient to theirs.
	dk2, dv2 := append([]float32(nil), dk...), append([]float32(nil), dv...)
	attendBackward(view(dq), view(dk2), view(dv2), view(r), view(q), view(k), view(v), view(o), lse, scale, true, s, ds, &buf)
	for i := range dk {
		if math.Abs(float64(dk2[i]-2*dk[i])) > 1e-5 || math.Abs(float64(dv2[i]-2*dv[i])) > 1e-5 {
			t.Fatalf("accumulated dk, dv [%d] = %g, %g, want twice %g, %g", i, dk2[i], dv2[i], dk[i], dv[i])
		}
	}

	// Row 0 attends to position 0 only: its output is v's row 0.
	for j := range hd {
		if view(o).at(0, j) != view(v).at(0, j) {
			t.Fatalf("first output row %v, want v's first row", o[4:8])
		}
	}
}

// tinyConfig is a network small enough for finite differences over its
// parameters.
func tinyConfig(tied bool) Config {
	return Config{Dim: 8, Layers: 2, Heads: 4, KVHeads: 2, FFN: 12, Vocab: 11, Context: 8,
		RopeBase: 10000, NormEps: 1e-5, TiedEmbeddings: tied}
}

// TestModelGrad checks the gradient of the whole network, embedding
// included, by finite differences on a sample of every parameter's values,
// with a mask, tied and untied output.
func TestModelGrad(t *testing.T) {
	for _, tied := range []bool{false, true} {
		t.Run(fmt.Sprintf("tied=%v", tied), func(t *testing.T) {
			m, err := New(tinyConfig(tied), 1)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			rng := rand.New(rand.NewPCG(17, 18))
			for _, p := range m.Params() {
				// Weights larger than the initial ones make the loss
				// vary enough for float32 differences.
				for i := range p.Data {
					p.Data[i] += float32(rng.NormFloat64() * 0.4)
				}
			}
			b := Batch{
				Inputs:  [][]int32{{1, 4, 2, 9, 4, 7}, {3, 3, 10, 0, 5, 6}},
				Targets: [][]int32{{4, 2, 9, 4, 7, 1}, {3, 10, 0, 5, 6, 2}},
				Mask:    [][]float32{{0, 1, 1, 1, 1, 0.5}, {1, 0, 1, 1, 1, 1}},
			}
			if _, err := m.Loss(b); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				l, err := m.EvalLoss(b)
				if err != nil {
					t.Fatal(err)
				}
				return float64(l)
			}
			for _, p := range m.Params() {
				// A sample of each tensor: checking every value would
				// take a forward pass per value.
				idx := rng.Perm(len(p.Data))[:min(6, len(p.Data))]
				x, g := make([]float32, len(idx)), make([]float32, len(idx))
				for i, j := range idx {
					x[i], g[i] = p.Data[j], p.Grad[j]
				}
				checkGrad(t, p.Name, x, g, func() float64 {
					for i, j := range idx {
						p.Data[j] = x[i]
					}
					return loss()
				})
				for i, j := range idx {
					p.Data[j] = x[i]
				}
			}
		})
	}
}
