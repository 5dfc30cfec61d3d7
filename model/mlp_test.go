package model_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"zhi/internal/shared"
	"zhi/model"
	"zhi/tensor"
)

// TestMLPSlicesMatchWholeBatch checks that a prompt longer than the MLP's
// slice gives, bit for bit, the logits of the same prompt with the MLP
// taking the whole batch at once: for float weights, whose kernels depend
// on the number of rows, and for quantized ones. 257 rows make slices of
// 85 and 86 rows.
func TestMLPSlicesMatchWholeBatch(t *testing.T) {
	for _, name := range []string{"tiny-llama-spm-f16.gguf", "tiny-llama-spm-q4_k_m.gguf"} {
		t.Run(name, func(t *testing.T) {
			m := loadModel(t, shared.Path(t, "reference", name))
			r := rand.New(rand.NewPCG(1, 2))
			prompt := make([]int32, 257)
			for i := range prompt {
				prompt[i] = int32(r.IntN(m.Config().VocabSize))
			}
			logits := func(rows int) []float32 {
				defer model.SetMLPRows(rows)()
				pool := tensor.NewPool(2)
				defer pool.Close()
				s, err := model.NewSession(m, 512, pool)
				if err != nil {
					t.Fatal(err)
				}
				out, err := m.Forward(s, prompt, true)
				if err != nil {
					t.Fatal(err)
				}
				return append([]float32(nil), out...)
			}
			whole, sliced := logits(len(prompt)), logits(128)
			if len(whole) != len(sliced) {
				t.Fatalf("%d logits whole, %d sliced", len(whole), len(sliced))
			}
			for i := range whole {
				if math.Float32bits(whole[i]) != math.Float32bits(sliced[i]) {
					t.Fatalf("logit %d (row %d): %g whole, %g sliced", i, i/m.Config().VocabSize, whole[i], sliced[i])
				}
			}
		})
	}
}
