package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"zhi/train"
)

var trainCommand = command{
	name:  "train",
	short: "pretrain a Llama-architecture model from scratch: zhi train --data FILES -o OUT.gguf [--steps N | --time D]",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		o := train.DefaultOptions()
		registerTrainFlags(fs, &o)
		var resume, quiet bool
		fs.BoolVar(&resume, "resume", false, "continue the run whose checkpoint (OUT.ckpt) lies beside -o, with its settings")
		fs.BoolVarP(&quiet, "quiet", "q", false, "no progress display")
		return func(args []string) error {
			o.Data = append(o.Data, args...)
			if fs.Changed("steps") && fs.Changed("time") {
				return fmt.Errorf("give --steps or --time, not both")
			}
			if fs.Changed("time") {
				o.Steps = 0
			}
			if o.Output == "" {
				return fmt.Errorf("-o is required: the model file to write")
			}
			if o.Name == "" {
				o.Name = strings.TrimSuffix(filepath.Base(o.Output), ".gguf")
			}
			p := newTrainProgress(quiet)
			defer p.finish()
			o.Progress = p.update
			if !quiet {
				o.Log = os.Stderr
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var (
				res *train.Result
				err error
			)
			if resume {
				res, err = train.Resume(ctx, o.Output, func(saved train.Options) (train.Options, error) {
					return resumeOptions(fs, o, saved)
				})
			} else {
				if len(o.Data) == 0 {
					return fmt.Errorf("no data files: use --data FILES")
				}
				res, err = train.Pretrain(ctx, o)
			}
			p.finish()
			if err != nil {
				return err
			}
			printTrainResult(os.Stdout, res)
			return nil
		}
	},
}

// registerTrainFlags binds the flags of a run to o, o's values being the
// defaults.
func registerTrainFlags(fs *pflag.FlagSet, o *train.Options) {
	fs.StringSliceVar(&o.Data, "data", o.Data, "text files to train on (UTF-8; comma-separated or repeated; also as arguments)")
	fs.StringVarP(&o.Output, "output", "o", o.Output, "model file to write; OUT.ckpt, OUT.csv and OUT.svg go beside it")
	fs.StringVar(&o.Tokenizer, "tokenizer", o.Tokenizer, "GGUF file whose tokenizer to use (default: train a byte-level BPE on the training text)")
	fs.IntVar(&o.VocabSize, "vocab", o.VocabSize, "vocabulary size of the tokenizer trained without --tokenizer")
	fs.Float64Var(&o.ValFraction, "val-fraction", o.ValFraction, "share of the text, at its end, held out for validation")
	fs.StringVar(&o.Name, "name", o.Name, "general.name of the model (default: the output's file name)")

	fs.IntVar(&o.Model.Dim, "dim", o.Model.Dim, "width of the residual stream")
	fs.IntVar(&o.Model.Layers, "layers", o.Model.Layers, "transformer blocks")
	fs.IntVar(&o.Model.Heads, "heads", o.Model.Heads, "attention heads")
	fs.IntVar(&o.Model.KVHeads, "kv-heads", o.Model.KVHeads, "key/value heads (grouped-query attention when fewer than --heads)")
	fs.IntVar(&o.Model.FFN, "ffn", o.Model.FFN, "hidden width of the SwiGLU MLP")
	fs.IntVar(&o.Model.Context, "context", o.Model.Context, "tokens per training sequence, the model's context length")
	fs.BoolVar(&o.Model.TiedEmbeddings, "tied", o.Model.TiedEmbeddings, "the output projection is the token embedding (--tied=false: separate)")
	fs.Float32Var(&o.Model.RopeBase, "rope-base", o.Model.RopeBase, "base of the rotary position frequencies")

	fs.IntVar(&o.Batch, "batch", o.Batch, "sequences per micro-batch")
	fs.IntVar(&o.Accum, "accum", o.Accum, "micro-batches per optimizer step (gradient accumulation)")
	fs.Float32Var(&o.LR, "lr", o.LR, "peak learning rate")
	fs.Float32Var(&o.MinLR, "min-lr", o.MinLR, "learning rate at the end of the cosine schedule")
	fs.IntVar(&o.Warmup, "warmup", o.Warmup, "steps of linear learning-rate warmup")
	fs.Float32Var(&o.WeightDecay, "weight-decay", o.WeightDecay, "AdamW weight decay (matrices only)")
	fs.Float32Var(&o.Clip, "clip", o.Clip, "largest global gradient norm (0: no clipping)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the initial weights and of the batches")
	fs.IntVarP(&o.Threads, "threads", "t", o.Threads, "worker threads (0: one per CPU)")

	fs.IntVar(&o.Steps, "steps", o.Steps, "optimizer steps")
	fs.DurationVar(&o.Time, "time", o.Time, "train for this long in all instead of --steps (such as 15m); the step count is estimated as it goes")
	fs.IntVar(&o.EvalEvery, "eval-every", o.EvalEvery, "steps between validation evaluations (0: at the end only)")
	fs.IntVar(&o.EvalBatches, "eval-batches", o.EvalBatches, "batches of validation windows per evaluation (0: all; the final one uses all)")
	fs.IntVar(&o.SaveEvery, "save-every", o.SaveEvery, "steps between checkpoints (0: at the end only)")
}

// resumeFlags are the flags a resumed run may change; the others must
// repeat the checkpoint's settings, if given at all.
var resumeFlags = map[string]bool{
	"data": true, "output": true, "tokenizer": true, "steps": true, "time": true, "threads": true,
	"eval-every": true, "eval-batches": true, "save-every": true, "resume": true, "quiet": true,
}

// resumeOptions applies the flags given for a resumed run to the options
// the checkpoint saved.
func resumeOptions(fs *pflag.FlagSet, given, saved train.Options) (train.Options, error) {
	o := saved
	check := pflag.NewFlagSet("checkpoint", pflag.ContinueOnError)
	registerTrainFlags(check, &saved)
	var err error
	fs.Visit(func(f *pflag.Flag) {
		if err != nil || resumeFlags[f.Name] {
			return
		}
		if was := check.Lookup(f.Name).Value; was.String() != f.Value.String() {
			err = fmt.Errorf("--%s %s differs from the checkpoint's %s: a resumed run keeps its settings", f.Name, f.Value, was)
		}
	})
	if err != nil {
		return o, err
	}
	if len(given.Data) > 0 {
		o.Data = given.Data
	}
	switch {
	case fs.Changed("steps"):
		o.Steps, o.Time = given.Steps, 0
	case fs.Changed("time"):
		o.Steps, o.Time = 0, given.Time
	}
	for name, set := range map[string]func(){
		"threads":      func() { o.Threads = given.Threads },
		"eval-every":   func() { o.EvalEvery = given.EvalEvery },
		"eval-batches": func() { o.EvalBatches = given.EvalBatches },
		"save-every":   func() { o.SaveEvery = given.SaveEvery },
	} {
		if fs.Changed(name) {
			set()
		}
	}
	o.Output, o.Progress, o.Log = given.Output, given.Progress, given.Log
	return o, nil
}

// trainProgress shows a run's progress on stderr: a bar on a terminal, a
// line at each evaluation and every ten seconds elsewhere.
type trainProgress struct {
	quiet    bool
	terminal bool
	bar      *progressbar.ProgressBar
	lastLine time.Time
}

func newTrainProgress(quiet bool) *trainProgress {
	st, err := os.Stderr.Stat()
	return &trainProgress{quiet: quiet, terminal: err == nil && st.Mode()&os.ModeCharDevice != 0}
}

func (p *trainProgress) update(s train.Status) {
	if p.quiet || s.TotalSteps == 0 {
		return
	}
	if !p.terminal {
		if !math.IsNaN(s.ValLoss) || time.Since(p.lastLine) >= 10*time.Second {
			p.lastLine = time.Now()
			fmt.Fprintf(os.Stderr, "step %d/%d  %s\n", s.Step, s.TotalSteps, statusLine(s))
		}
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(s.TotalSteps,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(200*time.Millisecond),
		)
	}
	if p.bar.GetMax() != s.TotalSteps {
		p.bar.ChangeMax(s.TotalSteps)
	}
	p.bar.Describe(statusLine(s))
	p.bar.Set(s.Step)
}

// statusLine describes a step: losses, speed and time left.
func statusLine(s train.Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "loss %.3f", s.Loss)
	if !math.IsNaN(s.LastValLoss) {
		fmt.Fprintf(&b, "  val %.3f (%.3f bpb)", s.LastValLoss, s.LastValBPB)
	}
	fmt.Fprintf(&b, "  %.0f tok/s  ETA %s", s.TokensPerSec, s.ETA.Round(time.Second))
	return b.String()
}

// finish ends the bar's line.
func (p *trainProgress) finish() {
	if p.bar != nil {
		p.bar.Exit()
		fmt.Fprintln(os.Stderr)
		p.bar = nil
	}
}

// printTrainResult sums up a finished run.
func printTrainResult(w io.Writer, r *train.Result) {
	fmt.Fprintf(w, "wrote %s: %d parameters, %d steps, %d tokens in %s (%.0f tokens/s)\n",
		r.Model, r.Params, r.Steps, r.Tokens, r.Elapsed.Round(time.Second), r.TokensPerSec)
	if math.IsNaN(r.ValLoss) {
		fmt.Fprintln(w, "no validation text")
	} else {
		fmt.Fprintf(w, "validation: %.4f nats per token, %.4f bits per byte over %d tokens (%d bytes)\n",
			r.ValLoss, r.ValBPB, r.ValTokens, r.ValBytes)
	}
	fmt.Fprintf(w, "log %s, loss curve %s, checkpoint %s\n", r.Log, r.Plot, r.Checkpoint)
}
