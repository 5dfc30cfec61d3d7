package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"zhi/tensor"
	"zhi/train"
)

// tuneFlags are the flags that the commands training an existing model
// (finetune, align) share: the base model, the data, what to write, the
// optimizer and a LoRA.
type tuneFlags struct {
	base, data, output, adapter string
	outType                     string
	merge                       bool

	epochs, batch, accum, maxLen int
	lr, weightDecay, clip        float32
	warmupRatio                  float64
	seed                         uint64
	threads, logEvery            int

	loraRank    int
	loraAlpha   float32
	loraTargets []string

	fullLR, loraLR float32 // the command's default learning rates
}

// tuneHelp is what differs between the commands' shared flags.
type tuneHelp struct {
	data, unit     string  // help of --data; what the data holds ("examples", "pairs")
	fullLR, loraLR float32 // default learning rates without and with a LoRA
}

func (o *tuneFlags) register(fs *pflag.FlagSet, h tuneHelp) {
	o.fullLR, o.loraLR = h.fullLR, h.loraLR
	fs.StringVarP(&o.base, "model", "m", "", "base model: a llama-architecture GGUF file or the name of a pulled model")
	fs.StringVar(&o.data, "data", "", h.data)
	fs.StringVarP(&o.output, "output", "o", "", "model file to write: the trained model, with the LoRA merged")
	fs.StringVar(&o.outType, "type", "", "type of the written matrices: f32, f16 or bf16 (default: the base's, f16 for a quantized base)")
	fs.IntVar(&o.epochs, "epochs", 3, "passes over the "+h.unit)
	fs.IntVar(&o.batch, "batch", 4, h.unit+" per forward pass, padded to the longest")
	fs.IntVar(&o.accum, "accum", 1, "forward passes per optimizer step (gradient accumulation)")
	fs.Float32Var(&o.lr, "lr", 0, fmt.Sprintf("peak learning rate (default %g, %g with LoRA); the cosine ends at a tenth of it", h.fullLR, h.loraLR))
	fs.Float64Var(&o.warmupRatio, "warmup-ratio", 0.05, "share of the steps spent warming the learning rate up")
	fs.Float32Var(&o.weightDecay, "weight-decay", 0, "AdamW weight decay (matrices only)")
	fs.Float32Var(&o.clip, "clip", 1, "largest global gradient norm (0: no clipping)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the order of the "+h.unit+" and of the LoRA's initial A")
	fs.IntVar(&o.maxLen, "max-len", 0, "longest example in tokens; longer ones are skipped (0: the model's context)")
	fs.IntVar(&o.loraRank, "lora-rank", 0, "rank of a LoRA to train instead of every weight (0: full training)")
	fs.Float32Var(&o.loraAlpha, "lora-alpha", 0, "LoRA alpha: the update is scaled by alpha/rank (default: the rank)")
	fs.StringSliceVar(&o.loraTargets, "lora-targets", []string{"q", "k", "v", "o"}, "matrices the LoRA adapts, of "+strings.Join(train.LoRATargets(), ","))
	fs.BoolVar(&o.merge, "merge", true, "write the model with the LoRA merged to -o (--merge=false: the adapter only)")
	fs.StringVar(&o.adapter, "adapter", "", "also write the LoRA as a llama.cpp adapter GGUF to this file")
	fs.IntVarP(&o.threads, "threads", "t", 0, "worker threads (0: one per CPU)")
	fs.IntVar(&o.logEvery, "log-every", 10, "steps between progress lines")
}

// run is the action of a training command: it takes no arguments, fills
// in the defaults, and calls runTraining with a context that SIGINT and
// SIGTERM cancel, so that an interrupted run writes nothing.
func (o *tuneFlags) run(runTraining func(context.Context) error) func([]string) error {
	return func(args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unexpected argument %q", args[0])
		}
		o.defaults()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runTraining(ctx)
	}
}

// defaults fills in the learning rate and LoRA alpha left at zero.
func (o *tuneFlags) defaults() {
	if o.lr == 0 {
		o.lr = o.fullLR
		if o.loraRank > 0 {
			o.lr = o.loraLR
		}
	}
	if o.loraAlpha == 0 {
		o.loraAlpha = float32(o.loraRank)
	}
}

// check reports flags that do not go together, before anything is loaded.
func (o *tuneFlags) check(dataForm string) error {
	lora := o.loraRank > 0
	switch {
	case o.base == "":
		return fmt.Errorf("no model given: use -m BASE.gguf")
	case o.data == "":
		return fmt.Errorf("no examples given: use --data %s", dataForm)
	case o.epochs <= 0 || o.batch <= 0 || o.accum <= 0:
		return fmt.Errorf("--epochs, --batch and --accum must be positive")
	case !(o.lr > 0):
		return fmt.Errorf("--lr must be positive")
	case o.loraRank < 0:
		return fmt.Errorf("--lora-rank must not be negative")
	case !lora && (o.adapter != "" || !o.merge):
		return fmt.Errorf("--adapter and --merge=false need a LoRA: give --lora-rank")
	case o.merge && o.output == "":
		return fmt.Errorf("-o is required: the model file to write (or --merge=false with --adapter)")
	case !o.merge && o.output != "":
		return fmt.Errorf("-o writes the merged model, which --merge=false leaves out")
	case !o.merge && o.adapter == "":
		return fmt.Errorf("--merge=false needs --adapter: nothing would be written")
	case o.output != "" && o.output == o.adapter:
		return fmt.Errorf("-o and --adapter are the same file")
	case !(o.warmupRatio >= 0 && o.warmupRatio <= 1):
		return fmt.Errorf("--warmup-ratio must be in [0, 1]")
	case o.maxLen < 0 || o.threads < 0 || o.logEvery < 0:
		return fmt.Errorf("--max-len, --threads and --log-every must not be negative")
	}
	for _, out := range []string{o.output, o.adapter} {
		if out == "" {
			continue
		}
		if sameFile(out, o.base) {
			return fmt.Errorf("%s is the base model: write the trained model elsewhere", out)
		}
		if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
			return fmt.Errorf("cannot write %s: its directory does not exist", out)
		}
	}
	return nil
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// tuneBase is the base model loaded for training, with what the training
// commands need of it.
type tuneBase struct {
	m       *train.Model
	format  *train.SFTFormat
	outType tensor.Type // of the written matrices
	maxLen  int         // the longest example to train on
}

// loadBase resolves the base model and reads the data with read before
// loading the model, so that a bad file fails before the slow part. The
// caller closes base.m.
func loadBase[D any](o *tuneFlags, read func(path string) ([]D, error)) (base tuneBase, data []D, err error) {
	if o.base, err = resolveModel(o.base); err != nil {
		return tuneBase{}, nil, err
	}
	if base.format, base.outType, err = baseFormat(o.base, o.outType); err != nil {
		return tuneBase{}, nil, err
	}
	if data, err = read(o.data); err != nil {
		return tuneBase{}, nil, err
	}
	if base.m, err = o.load(); err != nil {
		return tuneBase{}, nil, err
	}
	base.maxLen = o.maxTokens(base.m)
	return base, data, nil
}

// load opens the base model for training with the --threads workers.
func (o *tuneFlags) load() (*train.Model, error) {
	m, err := train.Load(o.base)
	if err != nil {
		return nil, err
	}
	m.SetThreads(o.threads)
	return m, nil
}

// maxTokens is the longest example to train on: --max-len within the
// model's context.
func (o *tuneFlags) maxTokens(m *train.Model) int {
	if o.maxLen > 0 {
		return min(o.maxLen, m.Config.Context)
	}
	return m.Config.Context
}

// attachLoRA attaches the LoRA the flags ask for (nil without
// --lora-rank) and returns it with the number of trained parameters.
func (o *tuneFlags) attachLoRA(m *train.Model) (*train.LoRA, int, error) {
	if o.loraRank == 0 {
		return nil, m.Config.NumParams(), nil
	}
	c := train.LoRAConfig{Rank: o.loraRank, Alpha: o.loraAlpha, Targets: o.loraTargets}
	l, err := train.NewLoRA(m, c, o.seed)
	if err != nil {
		return nil, 0, err
	}
	return l, l.NumParams(), nil
}

// describe prints what will be trained: the LoRA, if any, and the number
// of parameters and steps.
func (o *tuneFlags) describe(m *train.Model, l *train.LoRA, trained, steps int) {
	if l != nil {
		fmt.Fprintf(os.Stderr, "LoRA rank %d, alpha %g on %s: ", o.loraRank, o.loraAlpha, strings.Join(o.loraTargets, ","))
	}
	fmt.Fprintf(os.Stderr, "training %d of %d parameters, %d steps, learning rate %.3g\n", trained, m.Config.NumParams(), steps, o.lr)
}

// warmup is the number of warmup steps of a run of steps.
func (o *tuneFlags) warmup(steps int) int {
	return int(math.Round(o.warmupRatio * float64(steps)))
}

// save writes what the flags ask for: the adapter (--adapter) and the
// merged model (-o), matrices of type outType.
func (o *tuneFlags) save(m *train.Model, l *train.LoRA, outType tensor.Type) error {
	name := strings.TrimSuffix(filepath.Base(firstNonEmpty(o.output, o.adapter)), ".gguf")
	if o.adapter != "" {
		if err := l.SaveAdapter(o.adapter, name); err != nil {
			return err
		}
		fmt.Printf("wrote %s: LoRA adapter, rank %d, %d parameters\n", o.adapter, o.loraRank, l.NumParams())
	}
	if o.merge {
		if err := m.Save(o.output, train.SaveOptions{Type: outType, Name: name}); err != nil {
			return err
		}
		fmt.Printf("wrote %s: %s, %d parameters\n", o.output, outType, m.Config.NumParams())
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
