package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Align trains a model with DPO (see DPOLoss) on preference pairs. The
// reference model is the policy as it was when training started, and it
// stays frozen; all DPO needs of it is log p(chosen | prompt) and
// log p(rejected | prompt) of every pair, which do not change, so Align
// computes them once before the first step and keeps those numbers
// instead of a second copy of the network: two floats a pair instead of
// the model's weights and activations.

// DPOConfig configures Align.
type DPOConfig struct {
	Beta        float32 // β: how far the policy may drift from the reference; 0.1 is usual
	Epochs      int     // passes over the pairs
	Batch       int     // pairs per forward pass (each runs its chosen and rejected answers)
	Accum       int     // forward passes per optimizer step
	LR, MinLR   float32 // peak learning rate, and the one the cosine ends at
	Warmup      int     // steps of linear warmup
	WeightDecay float32 // AdamW's decoupled weight decay
	ClipNorm    float32 // largest global gradient norm; 0: no clipping
	Seed        uint64  // order of the pairs
	// LoRA, when set, is attached to the model and trains in its place, as
	// in SFTConfig.
	LoRA *LoRA
	// Progress, when set, is called after each step.
	Progress func(DPOProgress)
}

// DPOStats summarise how a policy ranks preference pairs relative to the
// reference.
type DPOStats struct {
	Loss float32 // mean DPO loss; log 2 while the policy is the reference
	// Margin is the mean implicit reward margin
	// β·((π_c − ref_c) − (π_r − ref_r)): how much more than the reference
	// the policy prefers the chosen answers.
	Margin float32
	// Accuracy is the share of the pairs whose margin is positive: those
	// the policy prefers the chosen answer of more than the reference did.
	Accuracy float32
}

// DPOProgress reports one step of Align: the stats are those of the step's
// pairs, measured before the step's update.
type DPOProgress struct {
	DPOStats
	Step, Steps int // steps done, from 1, and planned
	Epoch       int // from 1
	LR          float32
	GradNorm    float32 // before clipping
	Elapsed     time.Duration
}

// DPOSteps is the number of optimizer steps Align takes over n pairs.
func DPOSteps(n int, c DPOConfig) int {
	return c.loop().steps(n)
}

func (c DPOConfig) loop() loopConfig {
	return loopConfig{epochs: c.Epochs, batch: c.Batch, accum: c.Accum, warmup: c.Warmup,
		lr: c.LR, minLR: c.MinLR, weightDecay: c.WeightDecay, clipNorm: c.ClipNorm, lora: c.LoRA}
}

// Align trains m on pairs with DPO, AdamW, a linear warmup and a cosine
// decay of the learning rate, against m as it is when called (with the
// LoRA, if any, at its initial zero update). The loss of a step is the
// mean over its Batch·Accum pairs, whatever their split into forward
// passes. It returns the stats of the trained model over all the pairs.
func Align(ctx context.Context, m *Model, pairs []Preference, c DPOConfig) (DPOStats, error) {
	if err := c.check(m, pairs); err != nil {
		return DPOStats{}, err
	}
	if c.LoRA != nil {
		c.LoRA.sync()
	}
	ref, err := m.batchPairLogprobs(pairs, c.Batch)
	if err != nil {
		return DPOStats{}, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x3c6ef372fe94f82b))
	gradient := func(idx []int) (DPOStats, error) {
		margins, err := m.dpoGradient(pairs, ref, idx, c)
		if err != nil {
			return DPOStats{}, err
		}
		return statsOf(margins), nil
	}
	report := func(stats DPOStats, s loopStep) error {
		if c.Progress != nil {
			c.Progress(DPOProgress{
				DPOStats: stats, Step: s.step, Steps: s.steps, Epoch: s.epoch,
				LR: s.lr, GradNorm: s.gradNorm, Elapsed: time.Since(s.start),
			})
		}
		return nil
	}
	if err := trainLoop(ctx, m, len(pairs), c.loop(), rng, gradient, report); err != nil {
		return DPOStats{}, err
	}
	policy, err := m.batchPairLogprobs(pairs, c.Batch)
	if err != nil {
		return DPOStats{}, err
	}
	margins := make([]float32, len(pairs))
	for i, p := range policy {
		margins[i] = c.Beta * ((p.Chosen - ref[i].Chosen) - (p.Rejected - ref[i].Rejected))
	}
	return statsOf(margins), nil
}

func (c DPOConfig) check(m *Model, pairs []Preference) error {
	switch {
	case len(pairs) == 0:
		return errors.New("train: no preference pairs to align on")
	case !(c.Beta > 0) || math.IsInf(float64(c.Beta), 0):
		return fmt.Errorf("train: dpo beta %g must be positive and finite", c.Beta)
	}
	if err := c.loop().check(m); err != nil {
		return err
	}
	for i, p := range pairs {
		if len(p.Prompt) == 0 || len(p.Chosen) == 0 || len(p.Rejected) == 0 {
			return fmt.Errorf("train: pair %d has an empty prompt or answer", i)
		}
	}
	return nil
}

// batchPairLogprobs is PairLogprobs run batch pairs at a time.
func (m *Model) batchPairLogprobs(pairs []Preference, batch int) ([]PairLogprobs, error) {
	out := make([]PairLogprobs, 0, len(pairs))
	for lo := 0; lo < len(pairs); lo += batch {
		lp, err := m.PairLogprobs(pairs[lo:min(lo+batch, len(pairs))])
		if err != nil {
			return nil, err
		}
		out = append(out, lp...)
	}
	return out, nil
}

// dpoGradient adds to m's gradients that of the mean DPO loss over the
// pairs picked by idx, c.Batch pairs per forward pass, and returns their
// margins.
//
// DPOLoss adds the gradient of the mean over its own pairs, so passes of
// unequal size (the last of an epoch) must be reweighed: before each pass
// the gradient so far is scaled by the previous pass's size over this
// one's, and at the end the whole by the last pass's size over the total.
// That leaves every pair with weight 1/len(idx).
func (m *Model) dpoGradient(pairs []Preference, ref []PairLogprobs, idx []int, c DPOConfig) ([]float32, error) {
	margins := make([]float32, 0, len(idx))
	prev := 0
	for lo := 0; lo < len(idx); lo += c.Batch {
		part := idx[lo:min(lo+c.Batch, len(idx))]
		ps, rs := make([]Preference, len(part)), make([]PairLogprobs, len(part))
		for i, j := range part {
			ps[i], rs[i] = pairs[j], ref[j]
		}
		if prev != 0 && prev != len(part) {
			m.ScaleGrad(float32(prev) / float32(len(part)))
		}
		res, err := DPOLoss(m, ps, rs, c.Beta)
		if err != nil {
			return nil, err
		}
		margins = append(margins, res.Margins...)
		prev = len(part)
	}
	if prev != len(idx) {
		m.ScaleGrad(float32(prev) / float32(len(idx)))
	}
	return margins, nil
}

// statsOf summarises the margins of pairs; the loss of a pair is
// −log σ(margin).
func statsOf(margins []float32) DPOStats {
	var loss, sum float64
	won := 0
	for _, z := range margins {
		loss += softplus(-float64(z))
		sum += float64(z)
		if z > 0 {
			won++
		}
	}
	n := float64(len(margins))
	return DPOStats{Loss: float32(loss / n), Margin: float32(sum / n), Accuracy: float32(float64(won) / n)}
}

// Preferences tokenizes preference examples with Preference, leaving out
// those whose prompt and longer answer together have more than maxTokens
// tokens; it returns how many it left out. Errors name the example's file,
// name, and line.
func (f *SFTFormat) Preferences(name string, prefs []TextPreference, maxTokens int) (pairs []Preference, dropped int, err error) {
	for _, p := range prefs {
		pr, err := f.Preference(p)
		if err != nil {
			return nil, 0, fmt.Errorf("train: %s:%d: %w", name, p.Line, err)
		}
		if len(pr.Prompt)+max(len(pr.Chosen), len(pr.Rejected)) > maxTokens {
			dropped++
			continue
		}
		pairs = append(pairs, pr)
	}
	return pairs, dropped, nil
}
