package model_test

import (
	"path/filepath"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/model"
	"zhi/sample"
	"zhi/tensor"
)

func TestPosDetail(t *testing.T) {
	pool := tensor.NewPool(1)
	name := "tiny-llama-spm-q8_0"
	ref := shared.LoadReference(t, shared.Path(t, "reference", name+".ref.json"))
	f, _ := gguf.Open(filepath.Join(shared.Path(t, "reference"), ref.Model))
	m, _ := model.Load(f)
	c := ref.Cases[5]
	V := m.Config().VocabSize
	// batch
	s, _ := model.NewSession(m, len(c.Tokens), pool)
	logits, _ := m.Forward(s, c.Tokens, true)
	// token by token
	s2, _ := model.NewSession(m, len(c.Tokens), pool)
	var inc [][]float32
	for _, tk := range c.Tokens {
		l, _ := m.Forward(s2, []int32{tk}, false)
		inc = append(inc, append([]float32(nil), l...))
	}
	for _, i := range []int{5, 6, 7, 34} {
		pos := c.Positions[i]
		t.Logf("pos %d lse ref %.5f got %.5f", i, pos.LogSumExp, sample.LogSumExp(logits[i*V:(i+1)*V]))
		for _, top := range pos.Top[:4] {
			id := int(top[0])
			t.Logf("  id %d ref %.5f batch %.5f inc %.5f", id, top[1], logits[i*V+id], inc[i][id])
		}
	}
}
