package train

import (
	"math"
	"testing"
)

func TestCosineLR(t *testing.T) {
	const warmup, total, maxLR, minLR = 10, 110, 1e-3, 1e-4
	for _, c := range []struct {
		step int
		want float64
	}{
		{0, maxLR / warmup},
		{4, maxLR / 2},
		{9, maxLR},
		{10, maxLR},
		{60, (maxLR + minLR) / 2},
		{110, minLR},
		{500, minLR},
	} {
		if got := CosineLR(c.step, warmup, total, maxLR, minLR); math.Abs(float64(got)-c.want) > 1e-9 {
			t.Errorf("step %d: lr %g, want %g", c.step, got, c.want)
		}
	}
	prev := float32(math.Inf(1))
	for step := warmup; step <= total; step++ {
		lr := CosineLR(step, warmup, total, maxLR, minLR)
		if lr > prev {
			t.Fatalf("lr rises after warmup at step %d", step)
		}
		prev = lr
	}
}

func TestClipGradNorm(t *testing.T) {
	m, err := New(tinyConfig(false), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var want float64
	for i, p := range m.Params() {
		for j := range p.Grad {
			p.Grad[j] = float32((i+j)%7) - 3
			want += float64(p.Grad[j]) * float64(p.Grad[j])
		}
	}
	want = math.Sqrt(want)
	if got := m.ClipGradNorm(float32(2 * want)); math.Abs(float64(got)-want) > 1e-4*want || math.Abs(float64(m.GradNorm())-want) > 1e-4*want {
		t.Fatalf("ClipGradNorm above the norm returned %g and left %g, want %g unchanged", got, m.GradNorm(), want)
	}
	if got := m.ClipGradNorm(1); math.Abs(float64(got)-want) > 1e-4*want {
		t.Errorf("ClipGradNorm returned %g, want the norm %g", got, want)
	}
	if n := m.GradNorm(); math.Abs(float64(n)-1) > 1e-5 {
		t.Errorf("norm after clipping to 1: %g", n)
	}
}

// TestGradAccumulation checks that the gradients of two half batches,
// accumulated and halved, are those of the whole batch.
func TestGradAccumulation(t *testing.T) {
	m, err := New(tinyConfig(false), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	inputs := [][]int32{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 0, 1}, {2, 2, 2, 2}}
	targets := [][]int32{{2, 3, 4, 5}, {6, 7, 8, 9}, {10, 0, 1, 2}, {2, 2, 2, 3}}
	whole, err := m.Loss(Batch{Inputs: inputs, Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]float32, len(m.Params()))
	for i, p := range m.Params() {
		want[i] = append([]float32(nil), p.Grad...)
	}
	m.ZeroGrad()
	var sum float32
	for h := 0; h < 4; h += 2 {
		l, err := m.Loss(Batch{Inputs: inputs[h : h+2], Targets: targets[h : h+2]})
		if err != nil {
			t.Fatal(err)
		}
		sum += l
	}
	m.ScaleGrad(0.5)
	if math.Abs(float64(sum/2-whole)) > 1e-6 {
		t.Errorf("mean of half-batch losses %g, whole batch %g", sum/2, whole)
	}
	for i, p := range m.Params() {
		for j, g := range p.Grad {
			if math.Abs(float64(g-want[i][j])) > 1e-6+1e-4*math.Abs(float64(want[i][j])) {
				t.Fatalf("%s[%d]: accumulated %g, whole batch %g", p.Name, j, g, want[i][j])
			}
		}
	}
}

// TestAdamWDecay checks that weight decay shrinks the matrices only and
// that a zero gradient moves nothing else.
func TestAdamWDecay(t *testing.T) {
	m, err := New(tinyConfig(false), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := make([][]float32, len(m.Params()))
	for i, p := range m.Params() {
		before[i] = append([]float32(nil), p.Data...)
	}
	opt := NewAdamW()
	const lr = 0.5
	if err := opt.Step(m, lr); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		factor := float32(1)
		if p.Matrix() {
			factor = 1 - lr*opt.WeightDecay
		}
		for j, v := range p.Data {
			if v != before[i][j]*factor {
				t.Fatalf("%s[%d] = %g, want %g·%g", p.Name, j, v, before[i][j], factor)
			}
		}
	}
	other, err := New(tinyConfig(true), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := opt.Step(other, lr); err == nil {
		t.Error("stepping a model of another shape succeeded")
	}
}
