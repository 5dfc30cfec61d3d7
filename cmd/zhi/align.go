package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/spf13/pflag"

	"zhi/train"
)

// Default learning rates of DPO, a quarter of finetune's. DPO's gradient
// keeps pushing the two answers apart, and steps as large as supervised
// fine-tuning's soon drive the policy into degenerate text; recipes for
// large models use rates one to two orders below their SFT rates (the DPO
// paper 1e-6 with β = 0.1). The small models zhi trains tolerate more,
// hence rates between the two; --lr takes over where they move a model
// too little or too far.
const (
	defaultDPOFullLR = 5e-6
	defaultDPOLoRALR = 5e-5
)

// alignOptions are the flags of zhi align.
type alignOptions struct {
	tuneFlags
	beta float32
}

var alignCommand = command{
	name:  "align",
	short: "align a fine-tuned model with human preferences by DPO, fully or with LoRA: zhi align -m SFT --data PREFS.jsonl -o OUT.gguf",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var o alignOptions
		o.register(fs, tuneHelp{
			data:   "JSONL file of preferences: {prompt, chosen, rejected}, each with an optional system (zhi compare writes them)",
			unit:   "pairs",
			fullLR: defaultDPOFullLR, loraLR: defaultDPOLoRALR,
		})
		fs.Float32Var(&o.beta, "beta", 0.1, "DPO β: the strength of the pull back towards the model as it was (smaller lets it drift further)")
		return o.run(func(ctx context.Context) error { return align(ctx, o) })
	},
}

// align runs DPO with the model as it is loaded as the frozen reference:
// train.Align computes the reference's log-probabilities of every pair
// once, before the first step, so only one copy of the model is held.
func align(ctx context.Context, o alignOptions) error {
	if err := o.check("PREFS.jsonl"); err != nil {
		return err
	}
	if !(o.beta > 0) || math.IsInf(float64(o.beta), 0) {
		return fmt.Errorf("--beta must be positive")
	}
	base, prefs, err := loadBase(&o.tuneFlags, train.ReadPreferences)
	if err != nil {
		return err
	}
	m, maxLen := base.m, base.maxLen
	defer m.Close()
	pairs, dropped, err := base.format.Preferences(o.data, prefs, maxLen)
	if err != nil {
		return err
	}
	if len(pairs) == 0 {
		return fmt.Errorf("%s: all %d pairs are longer than %d tokens", o.data, dropped, maxLen)
	}
	c := train.DPOConfig{
		Beta: o.beta, Epochs: o.epochs, Batch: o.batch, Accum: o.accum, LR: o.lr, MinLR: o.lr / 10,
		WeightDecay: o.weightDecay, ClipNorm: o.clip, Seed: o.seed,
	}
	var trained int
	if c.LoRA, trained, err = o.attachLoRA(m); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "%s: %d preference pairs", o.data, len(prefs))
	if dropped > 0 {
		fmt.Fprintf(os.Stderr, "; skipped %d longer than %d tokens", dropped, maxLen)
	}
	fmt.Fprintf(os.Stderr, "; %d to train on, beta %g\n", len(pairs), o.beta)
	steps := train.DPOSteps(len(pairs), c)
	c.Warmup = o.warmup(steps)
	o.describe(m, c.LoRA, trained, steps)
	c.Progress = func(p train.DPOProgress) {
		if p.Step == 1 || p.Step == p.Steps || (o.logEvery > 0 && p.Step%o.logEvery == 0) {
			fmt.Fprintf(os.Stderr, "step %d/%d  epoch %d  loss %.4f  reward margin %.4f  accuracy %.0f%%  lr %.3g  grad norm %.3g  %s\n",
				p.Step, p.Steps, p.Epoch, p.Loss, p.Margin, 100*p.Accuracy, p.LR, p.GradNorm, p.Elapsed.Round(time.Second))
		}
	}
	start := time.Now()
	stats, err := train.Align(ctx, m, pairs, c)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: nothing written")
		}
		return err
	}
	if err := o.save(m, c.LoRA, base.outType); err != nil {
		return err
	}
	// Before training the policy is the reference: every margin is 0 and
	// the loss log 2.
	fmt.Printf("aligned on %d pairs for %d epochs in %s: loss %.4f (%.4f before), reward margin %.4f, accuracy %.0f%%\n",
		len(pairs), o.epochs, time.Since(start).Round(time.Second), stats.Loss, math.Ln2, stats.Margin, 100*stats.Accuracy)
	return nil
}
