package model_test

import (
	"testing"

	"zhi/internal/shared"
	"zhi/model"
	"zhi/tensor"
)

// TestDecodeDoesNotAllocate checks that generating a token, once the
// session's buffers exist, allocates nothing: a token's work is arithmetic
// on memory the session already holds.
func TestDecodeDoesNotAllocate(t *testing.T) {
	m := loadModel(t, shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf"))
	pool := tensor.NewPool(2)
	defer pool.Close()
	s, err := model.NewSession(m, 256, pool)
	if err != nil {
		t.Fatal(err)
	}
	token := []int32{1000}
	if _, err := m.Forward(s, token, false); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := m.Forward(s, token, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("a decode step allocates %.0f times", allocs)
	}
}
