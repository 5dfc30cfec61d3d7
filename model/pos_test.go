package model_test

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/model"
	"zhi/tensor"
)

func TestPosDiff(t *testing.T) {
	pool := tensor.NewPool(0)
	for _, name := range []string{"tiny-llama-spm-f16", "tiny-llama-spm-q8_0", "tiny-qwen2-gpt2-q8_0"} {
		ref := shared.LoadReference(t, shared.Path(t, "reference", name+".ref.json"))
		f, _ := gguf.Open(filepath.Join(shared.Path(t, "reference"), ref.Model))
		m, _ := model.Load(f)
		c := ref.Cases[5]
		s, _ := model.NewSession(m, len(c.Tokens), pool)
		logits, _ := m.Forward(s, c.Tokens, true)
		V := m.Config().VocabSize
		out := name + ":"
		for i, pos := range c.Positions {
			w := 0.0
			for _, top := range pos.Top {
				w = math.Max(w, math.Abs(float64(logits[i*V+int(top[0])])-top[1]))
			}
			out += fmt.Sprintf(" %d:%.3f", i, w)
		}
		t.Log(out)
	}
}
