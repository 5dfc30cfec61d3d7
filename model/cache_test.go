package model_test

import (
	"math"
	"testing"

	"zhi/internal/shared"
	"zhi/model"
	"zhi/sample"
	"zhi/tensor"
)

// TestQ8Cache runs a prompt with keys and values cached in Q8_0 and checks
// that the logits stay close to those of the F16 cache: the same best token
// at most positions and a small difference in log-probabilities.
func TestQ8Cache(t *testing.T) {
	m := loadModel(t, shared.Path(t, "reference", "tiny-llama-spm-q8_0.gguf"))
	pool := tensor.NewPool(0)
	defer pool.Close()
	tokens := make([]int32, 64)
	for i := range tokens {
		tokens[i] = int32(100 + 37*i%3000)
	}
	run := func(k, v tensor.Type) []float32 {
		s, err := model.NewSessionCache(m, len(tokens), k, v, pool)
		if err != nil {
			t.Fatal(err)
		}
		logits, err := m.Forward(s, tokens, true)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), logits...)
	}
	want := run(tensor.F16, tensor.F16)
	vocab := m.Config().VocabSize
	for _, types := range [][2]tensor.Type{{tensor.Q8_0, tensor.F16}, {tensor.F16, tensor.Q8_0}, {tensor.Q8_0, tensor.Q8_0}} {
		got := run(types[0], types[1])
		same, worst := 0, 0.0
		for p := range tokens {
			w, g := want[p*vocab:(p+1)*vocab], got[p*vocab:(p+1)*vocab]
			if sample.Argmax(w) == sample.Argmax(g) {
				same++
			}
			best := sample.Argmax(w)
			lw := float64(w[best]) - sample.LogSumExp(w)
			lg := float64(g[best]) - sample.LogSumExp(g)
			worst = max(worst, math.Abs(lw-lg))
		}
		t.Logf("cache %v: same best token at %d/%d positions, log-prob of the F16 best differs by at most %.3f", types, same, len(tokens), worst)
		if same < len(tokens)*3/4 || worst > 0.5 {
			t.Errorf("cache %v: too far from the F16 cache", types)
		}
	}
	if _, err := model.NewSessionCache(m, 8, tensor.Q4_0, tensor.F16, pool); err == nil {
		t.Error("a Q4_0 cache was accepted")
	}
}
