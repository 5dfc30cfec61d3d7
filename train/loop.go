package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// loopConfig is the part of SFTConfig and DPOConfig that drives the
// optimisation, which FineTune and Align share.
type loopConfig struct {
	epochs, batch, accum, warmup     int
	lr, minLR, weightDecay, clipNorm float32
	lora                             *LoRA
}

// steps is the number of optimizer steps over n items.
func (c loopConfig) steps(n int) int {
	per := c.batch * c.accum
	if per <= 0 {
		return 0
	}
	return c.epochs * ((n + per - 1) / per)
}

func (c loopConfig) check(m *Model) error {
	switch {
	case c.epochs <= 0 || c.batch <= 0 || c.accum <= 0:
		return fmt.Errorf("train: epochs %d, batch %d and accumulation %d must be positive", c.epochs, c.batch, c.accum)
	case !(c.lr > 0) || !(c.minLR >= 0) || c.minLR > c.lr || c.warmup < 0:
		return fmt.Errorf("train: learning rate %g down to %g with %d warmup steps", c.lr, c.minLR, c.warmup)
	case !(c.weightDecay >= 0) || !(c.clipNorm >= 0):
		return fmt.Errorf("train: weight decay %g and clipping norm %g must not be negative", c.weightDecay, c.clipNorm)
	case c.lora != nil && c.lora.model != m:
		return errors.New("train: the LoRA is attached to another model")
	}
	return nil
}

// loopStep is one optimizer step of trainLoop, as its report sees it.
type loopStep struct {
	step, steps, epoch int // step from 1
	lr, gradNorm       float32
	lastOfEpoch        bool
	start              time.Time // of the loop, for the elapsed time
}

// trainLoop runs c.epochs passes over n items, each in a new order drawn
// from rng, with one AdamW step, a linear warmup and a cosine decay of the
// learning rate, per group of batch·accum items. For each group, gradient
// is called with the items' indices and m's gradients cleared, and adds
// those of the group's loss; what it returns goes to report, called after
// the step.
//
// With c.lora set, the adapter trains in m's place. The caller syncs it
// first: it may need the adapted model before training (Align's reference).
func trainLoop[S any](ctx context.Context, m *Model, n int, c loopConfig, rng *rand.Rand,
	gradient func(idx []int) (S, error), report func(S, loopStep) error) error {
	trained := m
	if c.lora != nil {
		trained = c.lora.trainable()
	}
	opt := NewAdamW()
	opt.WeightDecay = c.weightDecay
	steps, per := c.steps(n), c.batch*c.accum
	start := time.Now()
	step := 0
	for epoch := 1; epoch <= c.epochs; epoch++ {
		order := rng.Perm(n)
		for lo := 0; lo < n; lo += per {
			if err := ctx.Err(); err != nil {
				return err
			}
			s := loopStep{
				step: step + 1, steps: steps, epoch: epoch,
				lr:          CosineLR(step, c.warmup, steps, c.lr, c.minLR),
				lastOfEpoch: lo+per >= n,
				start:       start,
			}
			m.ZeroGrad()
			stats, err := gradient(order[lo:min(lo+per, n)])
			if err != nil {
				return err
			}
			if c.lora != nil {
				c.lora.backward()
			}
			s.gradNorm = trained.GradNorm()
			if c.clipNorm > 0 {
				trained.ClipGradNorm(c.clipNorm)
			}
			if err := opt.Step(trained, s.lr); err != nil {
				return err
			}
			if c.lora != nil {
				c.lora.sync()
			}
			step++
			if err := report(stats, s); err != nil {
				return err
			}
		}
	}
	return nil
}
