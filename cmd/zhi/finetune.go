package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/spf13/pflag"

	"zhi/chat"
	"zhi/gguf"
	"zhi/tensor"
	"zhi/tokenizer"
	"zhi/train"
)

// Default learning rates: full fine-tuning moves every weight of a trained
// model and wants a small one; a LoRA starts from zero and wants a larger
// one (the values common for both).
const (
	defaultFullLR = 2e-5
	defaultLoRALR = 2e-4
)

// finetuneOptions are the flags of zhi finetune.
type finetuneOptions struct {
	tuneFlags
	valFraction float64
}

var finetuneCommand = command{
	name:  "finetune",
	short: "fine-tune a model on question/answer pairs, fully or with LoRA: zhi finetune -m BASE --data PAIRS.jsonl -o OUT.gguf",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var o finetuneOptions
		o.register(fs, tuneHelp{
			data:   "JSONL file of examples: {prompt, response}, {question, answer}, {instruction, input, output} or {messages}, each with an optional system",
			unit:   "examples",
			fullLR: defaultFullLR, loraLR: defaultLoRALR,
		})
		fs.Float64Var(&o.valFraction, "val-fraction", 0, "share of the examples held out (drawn with --seed) to measure the answer loss after each epoch")
		return o.run(func(ctx context.Context) error { return finetune(ctx, o) })
	},
}

func finetune(ctx context.Context, o finetuneOptions) error {
	if err := o.check("PAIRS.jsonl"); err != nil {
		return err
	}
	if !(o.valFraction >= 0 && o.valFraction < 1) {
		return fmt.Errorf("--val-fraction must be in [0, 1)")
	}
	base, convs, err := loadBase(&o.tuneFlags, train.ReadPairs)
	if err != nil {
		return err
	}
	m, maxLen := base.m, base.maxLen
	defer m.Close()
	examples, dropped, err := base.format.TokenizeAll(o.data, convs, maxLen)
	if err != nil {
		return err
	}
	if len(examples) == 0 {
		return fmt.Errorf("%s: all %d examples are longer than %d tokens", o.data, dropped, maxLen)
	}
	trainSet, val := splitExamples(examples, o.valFraction, o.seed)
	c := train.SFTConfig{
		Epochs: o.epochs, Batch: o.batch, Accum: o.accum, LR: o.lr, MinLR: o.lr / 10,
		WeightDecay: o.weightDecay, ClipNorm: o.clip, Seed: o.seed, Val: val,
	}
	var trained int
	if c.LoRA, trained, err = o.attachLoRA(m); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "%s: %d conversations, %d examples", o.data, len(convs), len(examples))
	if dropped > 0 {
		fmt.Fprintf(os.Stderr, "; skipped %d longer than %d tokens", dropped, maxLen)
	}
	fmt.Fprintf(os.Stderr, "; %d to train on, %d held out\n", len(trainSet), len(val))
	steps := train.SFTSteps(len(trainSet), c)
	c.Warmup = o.warmup(steps)
	o.describe(m, c.LoRA, trained, steps)
	if len(val) > 0 {
		loss, err := m.AnswerLoss(val, o.batch)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "validation answer loss before training: %.4f\n", loss)
	}
	c.Progress = func(p train.SFTProgress) {
		if p.HasVal || p.Step == p.Steps || (o.logEvery > 0 && p.Step%o.logEvery == 0) {
			fmt.Fprintf(os.Stderr, "step %d/%d  epoch %d  loss %.4f  lr %.3g  grad norm %.3g  %s\n",
				p.Step, p.Steps, p.Epoch, p.Loss, p.LR, p.GradNorm, p.Elapsed.Round(time.Second))
		}
		if p.HasVal {
			fmt.Fprintf(os.Stderr, "epoch %d: validation answer loss %.4f\n", p.Epoch, p.ValLoss)
		}
	}
	start := time.Now()
	if err := train.FineTune(ctx, m, trainSet, c); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: nothing written")
		}
		return err
	}
	if err := o.save(m, c.LoRA, base.outType); err != nil {
		return err
	}
	fmt.Printf("fine-tuned on %d examples for %d epochs in %s\n", len(trainSet), o.epochs, time.Since(start).Round(time.Second))
	return nil
}

// baseFormat reads the base model's tokenizer and chat template, and picks
// the type of the written matrices: outType when given, else the base's
// own when it is F32, F16 or BF16, else F16.
func baseFormat(path, outType string) (*train.SFTFormat, tensor.Type, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, 0, err
	}
	tmpl, err := chat.ForModel(f, tok, nil)
	if err != nil {
		return nil, 0, err
	}
	format, err := train.NewSFTFormat(tmpl, tok)
	if err != nil {
		return nil, 0, err
	}
	if outType != "" {
		t, err := tensor.ParseType(outType)
		if err != nil || (t != tensor.F32 && t != tensor.F16 && t != tensor.BF16) {
			return nil, 0, fmt.Errorf("--type %q: use f32, f16 or bf16 (zhi quantize makes smaller files)", outType)
		}
		return format, t, nil
	}
	typ := tensor.F16
	if info, ok := f.Tensor("blk.0.attn_q.weight"); ok && (info.Type == tensor.F32 || info.Type == tensor.BF16) {
		typ = info.Type
	}
	return format, typ, nil
}

// splitExamples holds out a random share of the examples, at least one
// when the share is not zero and there are two or more.
func splitExamples(examples []train.SFTExample, fraction float64, seed uint64) (trainSet, val []train.SFTExample) {
	n := int(math.Round(fraction * float64(len(examples))))
	if fraction > 0 && len(examples) > 1 {
		n = max(n, 1)
	}
	n = min(n, len(examples)-1)
	rng := rand.New(rand.NewPCG(seed, 0x7a1))
	order := rng.Perm(len(examples))
	for i, j := range order {
		if i < n {
			val = append(val, examples[j])
		} else {
			trainSet = append(trainSet, examples[j])
		}
	}
	return trainSet, val
}
