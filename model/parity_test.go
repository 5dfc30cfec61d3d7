package model_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/internal/shared"
	"zhi/model"
	"zhi/sample"
	"zhi/tensor"
)

// exact is how far a logit may be from the reference's and still count as
// the same float32: the reference files print six decimals. zhi reproduces
// the reference's arithmetic operation by operation (its summation orders,
// fused multiply-adds and approximations), so anything more means one of
// them has been lost; README's tolerance (shared.Tolerance) is far wider.
const exact = 1e-6

// TestLogitsParity runs every reference model on the reference's own tokens
// in one batch and compares the logits after every position: the reference's
// top 10 within tolerance, nothing else above its 10th, the same log-sum-exp,
// and every logit of its top 10 bit for bit.
//
// For the first and the last prompt it then follows the reference's greedy
// continuation as the reference computed it, one token at a time with the KV
// cache, which takes the reference's single-row kernels: at every step the
// best token must be the reference's and the gap to the second best its gap,
// bit for bit.
func TestLogitsParity(t *testing.T) {
	pool := tensor.NewPool(0)
	defer pool.Close()
	forEachModel(t, func(t *testing.T, name string, m model.Model, ref *shared.Reference) {
		vocab := m.Config().VocabSize
		for i, c := range ref.Cases {
			s, err := model.NewSession(m, len(c.Tokens)+len(c.Greedy), pool)
			if err != nil {
				t.Fatal(err)
			}
			logits, err := m.Forward(s, c.Tokens, true)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, pos := range c.Positions {
				d, err := compare(name, logits[i*vocab:(i+1)*vocab], pos)
				if err != nil {
					t.Errorf("prompt %q position %d: %v", c.Prompt, i, err)
				}
				worst = max(worst, d)
			}
			if worst > exact {
				t.Errorf("prompt %q: largest difference %.2g: not the reference's float32 logits", c.Prompt, worst)
			}
			if i == 0 || i == len(ref.Cases)-1 {
				followGreedy(t, m, s, c, logits[(len(c.Tokens)-1)*vocab:])
			}
		}
	})
}

// followGreedy checks the greedy continuation of case c, whose prompt s
// holds and whose last position gave logits.
func followGreedy(t *testing.T, m model.Model, s *model.Session, c shared.Case, logits []float32) {
	t.Helper()
	for j, want := range c.Greedy {
		top := sample.Top(logits, 2)
		margin := float64(top[0].Logit - top[1].Logit)
		if top[0].ID != want || math.Abs(margin-c.GreedyMargin[j]) > exact {
			t.Errorf("prompt %q greedy step %d: token %d by %.6f, reference %d by %.6f",
				c.Prompt, j, top[0].ID, margin, want, c.GreedyMargin[j])
			return
		}
		var err error
		if logits, err = m.Forward(s, []int32{want}, false); err != nil {
			t.Fatal(err)
		}
	}
}

// forEachModel runs f as a subtest for every reference model.
func forEachModel(t *testing.T, f func(t *testing.T, name string, m model.Model, ref *shared.Reference)) {
	for _, refPath := range shared.Glob(t, "reference/*.ref.json") {
		name := strings.TrimSuffix(filepath.Base(refPath), ".ref.json")
		t.Run(name, func(t *testing.T) {
			ref := shared.LoadReference(t, refPath)
			m := loadModel(t, filepath.Join(filepath.Dir(refPath), ref.Model))

			f(t, name, m, ref)
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
