package model_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/model"
	"zhi/sample"
	"zhi/tensor"
)

// TestLogitsParity runs every reference model on the reference's own tokens
// in one batch and compares the logits after every position: the reference's
// top 10 within tolerance, nothing else above its 10th, the same log-sum-exp.
func TestLogitsParity(t *testing.T) {
	pool := tensor.NewPool(0)
	defer pool.Close()
	for _, refPath := range shared.Glob(t, "reference/*.ref.json") {
		name := strings.TrimSuffix(filepath.Base(refPath), ".ref.json")
		t.Run(name, func(t *testing.T) {
			ref := shared.LoadReference(t, refPath)
			f, err := gguf.Open(filepath.Join(filepath.Dir(refPath), ref.Model))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := model.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range ref.Cases {
				s, err := model.NewSession(m, len(c.Tokens), pool)
				if err != nil {
					t.Fatal(err)
				}
				logits, err := m.Forward(s, c.Tokens, true)
				if err != nil {
					t.Fatal(err)
				}
				vocab := m.Config().VocabSize
				worst := 0.0
				for i, pos := range c.Positions {
					d, err := compare(name, logits[i*vocab:(i+1)*vocab], pos)
					if err != nil {
						t.Errorf("prompt %q position %d: %v", c.Prompt, i, err)
					}
					worst = max(worst, d)
				}
				t.Logf("prompt %q: largest difference %.2g", c.Prompt, worst)
			}
		})
	}
}

// compare checks one position's logits against the reference and returns the
// largest difference seen among its top 10.
func compare(name string, logits []float32, pos shared.Position) (float64, error) {
	worst := 0.0
	for _, top := range pos.Top {
		id, want := int(top[0]), top[1]
		got := float64(logits[id])
		d := math.Abs(got - want)
		if d > shared.Tolerance(name, want) {
			return d, fmt.Errorf("token %d: logit %.5f, reference %.5f", id, got, want)
		}
		worst = max(worst, d)
	}
	last := pos.Top[len(pos.Top)-1][1]
	for _, c := range sample.Top(logits, len(pos.Top)) {
		inRef := slices.ContainsFunc(pos.Top, func(r [2]float64) bool { return int32(r[0]) == c.ID })
		if !inRef && float64(c.Logit) > last+shared.Tolerance(name, last) {
			return worst, fmt.Errorf("token %d (logit %.5f) is above the reference's top 10", c.ID, c.Logit)
		}
	}
	if got := sample.LogSumExp(logits); math.Abs(got-pos.LogSumExp) > shared.Tolerance(name, pos.LogSumExp) {
		return worst, fmt.Errorf("logsumexp %.5f, reference %.5f", got, pos.LogSumExp)
	}
	return worst, nil
}
