package model_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/model"
	"zhi/tensor"
)

func TestPosDiff(t *testing.T) {
	pool := tensor.NewPool(0)
	names := strings.Split(os.Getenv("POSMODELS"), ",")
	for _, name := range names {
		ref := shared.LoadReference(t, shared.Path(t, "reference", name+".ref.json"))
		f, _ := gguf.Open(filepath.Join(shared.Path(t, "reference"), ref.Model))
		m, _ := model.Load(f)
		for ci, c := range ref.Cases {
			s, _ := model.NewSession(m, len(c.Tokens), pool)
			logits, _ := m.Forward(s, c.Tokens, true)
			V := m.Config().VocabSize
			out := fmt.Sprintf("%s case %d:", name, ci)
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
}
