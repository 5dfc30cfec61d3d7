package train

import (
	"math"
	"testing"
)

// TestSequenceLogprob checks log p(continuation | prompt) against the
// per-position log-probabilities of the whole sequence.
func TestSequenceLogprob(t *testing.T) {
	m, err := New(tinyConfig(false), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	full := []int32{1, 5, 9, 2, 7, 3}
	lp, err := m.TokenLogprobs([][]int32{full[:5]}, [][]int32{full[1:]})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.SequenceLogprob(full[:3], full[3:])
	if err != nil {
		t.Fatal(err)
	}
	if want := lp[0][2] + lp[0][3] + lp[0][4]; math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("SequenceLogprob %g, want %g", got, want)
	}
	if _, err := m.SequenceLogprob(nil, full); err == nil {
		t.Error("empty prompt accepted")
	}
}

// TestDPOBatch checks that a batch of pairs of different lengths gives the
// mean of the pairs' losses and gradients taken one at a time: padding
// must not leak into the result.
func TestDPOBatch(t *testing.T) {
	m, err := New(tinyConfig(false), 5)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pairs := []Preference{
		{Prompt: []int32{1, 4}, Chosen: []int32{5, 6, 7}, Rejected: []int32{8}},
		{Prompt: []int32{1, 9, 9, 3}, Chosen: []int32{2}, Rejected: []int32{10, 10}},
	}
	ref := []PairLogprobs{{-5, -6}, {-2, -1}}
	res, err := DPOLoss(m, pairs, ref, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	batched := make([][]float32, len(m.Params()))
	for i, p := range m.Params() {
		batched[i] = append([]float32(nil), p.Grad...)
	}
	m.ZeroGrad()
	var loss float32
	for i := range pairs {
		r, err := DPOLoss(m, pairs[i:i+1], ref[i:i+1], 0.5)
		if err != nil {
			t.Fatal(err)
		}
		loss += r.Loss / 2
		if math.Abs(float64(r.Policy[0].Chosen-res.Policy[i].Chosen)) > 1e-5 || math.Abs(float64(r.Policy[0].Rejected-res.Policy[i].Rejected)) > 1e-5 {
			t.Errorf("pair %d: log-probabilities %v alone, %v in the batch", i, r.Policy[0], res.Policy[i])
		}
		wantMargin := 0.5 * ((r.Policy[0].Chosen - ref[i].Chosen) - (r.Policy[0].Rejected - ref[i].Rejected))
		if math.Abs(float64(r.Margins[0]-wantMargin)) > 1e-5 {
			t.Errorf("pair %d: margin %g, want %g", i, r.Margins[0], wantMargin)
		}
	}
	m.ScaleGrad(0.5)
	if math.Abs(float64(loss-res.Loss)) > 1e-6 {
		t.Errorf("batched loss %g, mean of single losses %g", res.Loss, loss)
	}
	for i, p := range m.Params() {
		for j, g := range p.Grad {
			if math.Abs(float64(g-batched[i][j])) > 1e-7+1e-4*math.Abs(float64(g)) {
				t.Fatalf("%s[%d]: batched gradient %g, mean of single ones %g", p.Name, j, batched[i][j], g)
			}
		}
	}
}

// TestBadInput checks that malformed batches are refused with an error.
func TestBadInput(t *testing.T) {
	m, err := New(tinyConfig(false), 6)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	long := make([]int32, m.Config.Context+1)
	for name, b := range map[string]Batch{
		"empty":          {},
		"ragged":         {Inputs: [][]int32{{1, 2}, {3}}, Targets: [][]int32{{1, 2}, {3}}},
		"token range":    {Inputs: [][]int32{{1, 11}}, Targets: [][]int32{{1, 2}}},
		"negative token": {Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{-1, 2}}},
		"too long":       {Inputs: [][]int32{long}, Targets: [][]int32{long}},
		"no targets":     {Inputs: [][]int32{{1, 2}}},
		"mask rows":      {Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{1, 2}}, Mask: [][]float32{{1, 1}, {1, 1}}},
		"mask zero":      {Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{1, 2}}, Mask: [][]float32{{0, 0}}},
		"mask negative":  {Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{1, 2}}, Mask: [][]float32{{1, -1}}},
		"mask NaN":       {Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{1, 2}}, Mask: [][]float32{{1, float32(math.NaN())}}},
	} {
		if _, err := m.Loss(b); err == nil {
			t.Errorf("%s: Loss accepted the batch", name)
		}
	}
	if err := m.Backward([][]float32{{1, 1}}); err == nil {
		t.Error("Backward without TokenLogprobs succeeded")
	}
	if _, err := m.TokenLogprobs([][]int32{{1, 2}}, [][]int32{{2, 3}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Backward([][]float32{{1}}); err == nil {
		t.Error("Backward with weights of the wrong shape succeeded")
	}
	if err := m.Backward([][]float32{{1, 1}}); err != nil {
		t.Error(err)
	}
	if err := m.Backward([][]float32{{1, 1}}); err == nil {
		t.Error("a second Backward after one forward pass succeeded")
	}
	m.Close()
	if _, err := m.Loss(Batch{Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{2, 3}}}); err == nil {
		t.Error("a closed model computed")
	}
	if err := NewAdamW().Step(m, 1e-3); err == nil {
		t.Error("a closed model took an optimizer step")
	}
	m.SetThreads(1)
	if _, err := m.Loss(Batch{Inputs: [][]int32{{1, 2}}, Targets: [][]int32{{2, 3}}}); err != nil {
		t.Errorf("after SetThreads: %v", err)
	}
	if _, err := New(Config{Dim: 6, Layers: 1, Heads: 4, KVHeads: 4, FFN: 4, Vocab: 4, Context: 4, RopeBase: 1e4, NormEps: 1e-5}, 1); err == nil {
		t.Error("dim 6 with 4 heads accepted")
	}
	if _, err := New(Config{Dim: 1 << 20, Layers: 1 << 20, Heads: 1, KVHeads: 1, FFN: 1, Vocab: 1, Context: 1, RopeBase: 1e4, NormEps: 1e-5}, 1); err == nil {
		t.Error("a config of 2^60 parameters accepted")
	}
}

// TestBatchShapes checks that a model whose buffers grew for a larger
// batch computes a smaller one exactly as a fresh model does.
func TestBatchShapes(t *testing.T) {
	small := Batch{Inputs: [][]int32{{1, 2, 3}}, Targets: [][]int32{{2, 3, 4}}}
	big := Batch{
		Inputs:  [][]int32{{5, 6, 7, 8, 9, 10, 1}, {1, 1, 2, 2, 3, 3, 4}},
		Targets: [][]int32{{6, 7, 8, 9, 10, 1, 2}, {1, 2, 2, 3, 3, 4, 4}},
	}
	var losses [2]float32
	var grads [2][][]float32
	for i := range 2 {
		m, err := New(tinyConfig(false), 8)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if i == 1 {
			if _, err := m.Loss(big); err != nil {
				t.Fatal(err)
			}
			m.ZeroGrad()
		}
		if losses[i], err = m.Loss(small); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			grads[i] = append(grads[i], p.Grad)
		}
	}
	if losses[0] != losses[1] {
		t.Errorf("loss %g after a larger batch, %g fresh", losses[1], losses[0])
	}
	for i := range grads[0] {
		for j := range grads[0][i] {
			if grads[0][i][j] != grads[1][i][j] {
				t.Fatalf("gradient %d[%d]: %g after a larger batch, %g fresh", i, j, grads[1][i][j], grads[0][i][j])
			}
		}
	}
}
