package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"zhi/gguf"
	"zhi/tokenizer"
	"zhi/tokenizer/bpetrain"
)

// Options configure a pretraining run.
type Options struct {
	Data        []string // text files, in order
	ValFraction float64  // the share of the text's bytes, at its end, held out for validation
	Tokenizer   string   // GGUF file whose tokenizer to use; "" trains one on the training text
	VocabSize   int      // size of the tokenizer trained when Tokenizer is ""

	Model Config // the network; Vocab is the tokenizer's

	Batch       int     // sequences per micro-batch
	Accum       int     // micro-batches whose gradients add up to one step
	LR, MinLR   float32 // peak and final learning rate
	Warmup      int     // steps of linear warmup, after which the rate follows a cosine down to MinLR
	WeightDecay float32 // AdamW's decoupled weight decay, on matrices only
	Clip        float32 // largest global gradient norm; 0 turns clipping off
	Seed        uint64  // of the initial weights and of the batches
	Threads     int     // workers; 0 means GOMAXPROCS

	// The run lasts Steps optimizer steps or, when Steps is 0, about Time
	// in all. Under a time budget the schedule's length is estimated from
	// the measured time per step, first after a few steps, then at every
	// evaluation, keeping back the time the final evaluation and saves
	// need.
	Steps int
	Time  time.Duration

	EvalEvery   int // steps between evaluations on a sample of the validation text; 0: at the end only
	EvalBatches int // batches of validation windows in that sample; 0: all of them
	SaveEvery   int // steps between checkpoints; 0: at the end (and on interruption) only

	Output string // the model file; the checkpoint, log and plot go beside it (see PathsFor)
	Name   string // general.name of the model

	// Progress, when set, is called after every step.
	Progress func(Status) `json:"-"`
	// Log, when set, receives a few lines on what the run does, before
	// its first step and after its last.
	Log io.Writer `json:"-"`
}

// DefaultOptions are the settings of `zhi train` but for the data and the
// output: a model of 5.2M parameters with a 2048-token vocabulary, sized
// to learn from a few megabytes of text in minutes on a few cores, with
// the strong weight decay so little text needs (docs/TRAINING.md).
func DefaultOptions() Options {
	return Options{
		ValFraction: 0.1,
		VocabSize:   2048,
		Model: Config{Dim: 256, Layers: 6, Heads: 8, KVHeads: 4, FFN: 768, Context: 128,
			RopeBase: 10000, NormEps: 1e-5, TiedEmbeddings: true},
		Batch: 16, Accum: 1,
		LR: 2e-3, MinLR: 1e-4, Warmup: 50, WeightDecay: 1, Clip: 1,
		Seed:      1,
		Steps:     1000,
		EvalEvery: 100, EvalBatches: 8,
		SaveEvery: 100,
	}
}

// check reports options a run cannot use. The model's shape is checked
// once the tokenizer gives its vocabulary.
func (o *Options) check() error {
	finite := func(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
	switch {
	case len(o.Data) == 0:
		return fmt.Errorf("train: no data files")
	case !(o.ValFraction >= 0 && o.ValFraction < 1):
		return fmt.Errorf("train: validation fraction %g is not in [0, 1)", o.ValFraction)
	case o.Tokenizer == "" && (o.VocabSize < bpetrain.MinVocabSize || o.VocabSize > bpetrain.MaxVocabSize):
		return fmt.Errorf("train: vocabulary size %d out of range [%d, %d]", o.VocabSize, bpetrain.MinVocabSize, bpetrain.MaxVocabSize)
	case o.Batch < 1 || o.Accum < 1:
		return fmt.Errorf("train: batch %d and accumulation %d must be positive", o.Batch, o.Accum)
	case o.Model.Context < 1 || o.Batch > maxBatchTokens/o.Model.Context:
		return fmt.Errorf("train: a batch of %d sequences of %d tokens is out of range (at most %d tokens)", o.Batch, o.Model.Context, maxBatchTokens)
	case !(o.LR > 0) || !finite(o.LR) || !(o.MinLR >= 0) || o.MinLR > o.LR:
		return fmt.Errorf("train: learning rates %g (peak) and %g (final) must be positive, finite, final at most peak", o.LR, o.MinLR)
	case !(o.WeightDecay >= 0) || !finite(o.WeightDecay) || !(o.Clip >= 0) || !finite(o.Clip):
		return fmt.Errorf("train: weight decay %g and clipping norm %g must be finite and not negative", o.WeightDecay, o.Clip)
	case o.Warmup < 0 || o.EvalEvery < 0 || o.EvalBatches < 0 || o.SaveEvery < 0 || o.Threads < 0:
		return fmt.Errorf("train: warmup, evaluation, save intervals and threads must not be negative")
	case o.Steps < 0 || o.Time < 0 || (o.Steps == 0) == (o.Time == 0):
		return fmt.Errorf("train: give either a number of steps or a time budget")
	case o.Steps > maxCount:
		return fmt.Errorf("train: %d steps is out of range", o.Steps)
	case o.Output == "":
		return fmt.Errorf("train: no output file")
	}
	return nil
}

// maxBatchTokens bounds the tokens of a micro-batch, whose activations
// (the logits alone are Vocab floats a token) must fit in memory.
const maxBatchTokens = 1 << 20

// Paths are the files of a run.
type Paths struct {
	Model      string // the trained model, GGUF
	Checkpoint string // the state to resume from
	Log        string // CSV, a row per step
	Plot       string // SVG of the training and validation loss
}

// PathsFor returns the files of the run whose model goes to output:
// OUT.gguf gives OUT.ckpt, OUT.csv and OUT.svg.
func PathsFor(output string) Paths {
	base := strings.TrimSuffix(output, ".gguf")
	return Paths{Model: output, Checkpoint: base + ".ckpt", Log: base + ".csv", Plot: base + ".svg"}
}

// Result sums up a finished run.
type Result struct {
	Paths
	Steps        int
	Tokens       int64   // training tokens seen
	Params       int     // parameters of the model
	TrainTokens  int     // tokens of the training text
	ValTokens    int     // tokens of the validation text
	ValBytes     int64   // bytes of validation text the final evaluation predicted
	Loss         float32 // training loss of the last step
	ValLoss      float64 // on all of the validation text, nats per token; NaN without validation
	ValBPB       float64 // the same in bits per byte
	TokensPerSec float64 // training tokens per second of training steps, over the whole run
	Elapsed      time.Duration
}

// batchStream is the PCG stream of the batch generator, apart from the
// one New draws the initial weights from.
const batchStream = 0xba7c4e5

// newBatchRNG returns the generator of a run's batches.
func newBatchRNG(seed uint64) *rand.PCG { return rand.NewPCG(seed, batchStream) }

// probeSteps is how many steps a run under a time budget takes before it
// first estimates how many it has time for; until then its length is
// unknownTotal.
const (
	probeSteps   = 5
	unknownTotal = math.MaxInt32
)

// run is a training run in progress.
type run struct {
	o          Options
	paths      Paths
	m          *Model
	opt        *AdamW
	pcg        *rand.PCG
	rng        *rand.Rand
	train, val Stream
	sample     []window // the validation windows of periodic evaluations
	all        []window // every validation window
	dataSum    uint32

	step, total int
	tokens      int64
	history     []Record
	// lastValLoss and lastValBPB are the latest validation results, NaN
	// before the first.
	lastValLoss, lastValBPB float64

	log        *csvLog
	started    time.Time     // when this process took the run up
	before     time.Duration // time the run took before that
	loopStart  time.Time     // when this process began its steps
	firstStep  int           // the step it began at
	stepTime   time.Duration // time spent in training steps in this process
	stepTokens int64         // and the tokens they trained on
	speed      float64       // tokens per second, averaged over recent steps
	evalSpeed  float64       // validation tokens per second
	saveTime   time.Duration // the last checkpoint's writing time
	savedStep  int           // the step of the last checkpoint
}

// Pretrain trains a new model as o describes and writes it to o.Output,
// with its checkpoint, log and plot beside it (PathsFor). It refuses to
// start over a checkpoint, which Resume continues. When ctx is cancelled
// it saves a checkpoint and returns an error wrapping ctx.Err().
func Pretrain(ctx context.Context, o Options) (*Result, error) {
	r := &run{o: o, paths: PathsFor(o.Output), started: time.Now()}
	if err := o.check(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(r.paths.Checkpoint); err == nil {
		return nil, fmt.Errorf("train: %s exists: resume it, or remove it to start over", r.paths.Checkpoint)
	}
	texts, err := ReadTexts(o.Data)
	if err != nil {
		return nil, err
	}
	trainText, valText := SplitTexts(texts, o.ValFraction)
	meta, err := r.tokenizerMetadata(trainText)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizerFrom(meta, o.Name)
	if err != nil {
		return nil, err
	}
	r.o.Model.Vocab = tok.VocabSize()
	if r.m, err = New(r.o.Model, o.Seed); err != nil {
		return nil, err
	}
	defer r.m.Close()
	r.m.Tokenizer = meta
	r.opt = NewAdamW()
	r.opt.WeightDecay = o.WeightDecay
	r.pcg = newBatchRNG(o.Seed)
	r.total = o.Steps
	if o.Steps == 0 {
		r.total = unknownTotal
	}
	if err := r.prepare(tok, texts, trainText, valText); err != nil {
		return nil, err
	}
	return r.loop(ctx)
}

// Resume continues the run whose checkpoint lies beside output. adjust
// gets the run's options as the checkpoint holds them and returns those to
// continue with, in which only Data (paths to the same contents),
// Tokenizer (the checkpoint's is used), Output, Steps, Time, Threads,
// EvalEvery, EvalBatches, SaveEvery, Progress and Log may differ. With the
// same Steps and Threads, a run resumed from a checkpoint ends with the
// parameters the uninterrupted run would have had, bit for bit (Threads
// matters because the sums of the norms' gradients depend on how the work
// is split). Runs under a time budget take as many steps as time allows,
// which no two runs share.
func Resume(ctx context.Context, output string, adjust func(Options) (Options, error)) (*Result, error) {
	paths := PathsFor(output)
	for _, p := range []string{paths.Model, paths.Checkpoint, paths.Log, paths.Plot} {
		removeStaleTemps(p)
	}
	if _, err := os.Stat(paths.Checkpoint); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("train: no checkpoint %s to resume", paths.Checkpoint)
	}
	c, err := readCheckpoint(paths.Checkpoint)
	if err != nil {
		return nil, err
	}
	defer c.model.Close()
	o, err := adjust(c.options)
	if err != nil {
		return nil, err
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	if err := sameRun(c.options, o); err != nil {
		return nil, err
	}
	o.Output = output
	r := &run{
		o: o, paths: paths, m: c.model, opt: c.opt, started: time.Now(), before: c.elapsed,
		step: c.step, total: c.total, tokens: c.tokens, history: c.history, savedStep: c.step,
	}
	switch {
	case o.Steps > 0:
		r.total = o.Steps
	case r.total <= r.step:
		// A finished run given more time: its length is estimated anew.
		r.total = unknownTotal
	}
	r.pcg = newBatchRNG(0)
	if err := r.pcg.UnmarshalBinary(c.rng); err != nil {
		return nil, fmt.Errorf("train: %s: %w", paths.Checkpoint, err)
	}
	tok, err := tokenizerFrom(r.m.Tokenizer, o.Name)
	if err != nil {
		return nil, err
	}
	texts, err := ReadTexts(o.Data)
	if err != nil {
		return nil, err
	}
	if sum := textsChecksum(texts); sum != c.dataSum {
		return nil, fmt.Errorf("train: the data files are not those the checkpoint was trained on")
	}
	trainText, valText := SplitTexts(texts, o.ValFraction)
	if err := r.prepare(tok, texts, trainText, valText); err != nil {
		return nil, err
	}
	return r.loop(ctx)
}

// sameRun reports an option that differs between a run and its
// continuation although it shapes what is trained. The data files may
// move (their contents are checked), and the tokenizer is the
// checkpoint's.
func sameRun(saved, o Options) error {
	shaping := func(o Options) map[string]any {
		o.Data, o.Tokenizer, o.Output = nil, "", ""
		o.Steps, o.Time, o.Threads, o.EvalEvery, o.EvalBatches, o.SaveEvery = 0, 0, 0, 0, 0, 0
		b, _ := json.Marshal(o)
		var fields map[string]any
		json.Unmarshal(b, &fields)
		model := fields["Model"].(map[string]any)
		delete(fields, "Model")
		for k, v := range model {
			fields["Model."+k] = v
		}
		return fields
	}
	a, b := shaping(saved), shaping(o)
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if !reflect.DeepEqual(a[k], b[k]) {
			return fmt.Errorf("train: option %s is %v, the checkpoint's run has %v", k, b[k], a[k])
		}
	}
	return nil
}

// removeStaleTemps removes the temporary files a run killed while writing
// path left beside it.
func removeStaleTemps(path string) {
	temps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+".tmp*"))
	for _, t := range temps {
		os.Remove(t)
	}
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tokenizerMetadata returns the tokenizer.* metadata of the run's
// tokenizer: that of the file named, or of a byte-level BPE vocabulary
// trained on the training text.
func (r *run) tokenizerMetadata(trainText []Text) ([]gguf.KV, error) {
	if r.o.Tokenizer != "" {
		f, err := gguf.Open(r.o.Tokenizer)
		if err != nil {
			return nil, fmt.Errorf("train: tokenizer: %w", err)
		}
		defer f.Close()
		meta := TokenizerMetadata(f)
		if len(meta) == 0 {
			return nil, fmt.Errorf("train: %s has no tokenizer metadata", r.o.Tokenizer)
		}
		return meta, nil
	}
	start := time.Now()
	var corpus bpetrain.Corpus
	for _, t := range trainText {
		if err := corpus.Add(t.Name, t.Data); err != nil {
			return nil, err
		}
	}
	v, err := corpus.Train(r.o.VocabSize)
	if err != nil {
		return nil, err
	}
	r.note("trained a byte-level BPE tokenizer of %d tokens on %d bytes in %.1f s", len(v.Tokens), corpus.Bytes(), time.Since(start).Seconds())
	return v.Metadata(), nil
}

// tokenizerFrom builds the tokenizer that metadata describes, as the
// engine will build it from the saved model named name.
func tokenizerFrom(meta []gguf.KV, name string) (*tokenizer.Tokenizer, error) {
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("llama"))
	if name != "" {
		b.Set("general.name", gguf.String(name))
	}
	for _, kv := range meta {
		b.Set(kv.Key, kv.Value)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("train: tokenizer: %w", err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("train: tokenizer: %w", err)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("train: tokenizer: %w", err)
	}
	return tok, nil
}

// prepare sets the model's workers, tokenizes the data, picks the
// validation windows and opens the log.
func (r *run) prepare(tok *tokenizer.Tokenizer, texts, trainText, valText []Text) error {
	if r.o.Threads == 0 {
		r.o.Threads = runtime.GOMAXPROCS(0)
	}
	r.m.SetThreads(r.o.Threads)
	r.dataSum = textsChecksum(texts)
	r.lastValLoss, r.lastValBPB = math.NaN(), math.NaN()
	for _, h := range r.history {
		if !math.IsNaN(h.ValLoss) {
			r.lastValLoss, r.lastValBPB = h.ValLoss, h.ValBPB
		}
	}
	r.rng = rand.New(r.pcg)
	r.train, r.val = Tokenize(tok, trainText), Tokenize(tok, valText)
	ctxLen := r.o.Model.Context
	if len(r.train.IDs) <= ctxLen {
		return fmt.Errorf("train: the training text is %d tokens, fewer than the context plus one (%d)", len(r.train.IDs), ctxLen+1)
	}
	if r.o.ValFraction > 0 && len(r.val.IDs) < 2 {
		return fmt.Errorf("train: the validation text is %d tokens, too few to measure anything", len(r.val.IDs))
	}
	r.all = validationWindows(len(r.val.IDs), ctxLen)
	r.sample = spread(r.all, r.o.EvalBatches*r.o.Batch)
	var trainBytes int64
	for _, t := range trainText {
		trainBytes += int64(len(t.Data))
	}
	r.note("%d training tokens (%.2f bytes a token), %d validation tokens; a %d-parameter model, %d threads",
		len(r.train.IDs), float64(trainBytes)/float64(len(r.train.IDs)), len(r.val.IDs), r.m.Config.NumParams(), r.o.Threads)
	var err error
	r.log, err = createCSV(r.paths.Log, r.history)
	return err
}

// note writes a line to the run's log writer.
func (r *run) note(format string, args ...any) {
	if r.o.Log != nil {
		fmt.Fprintf(r.o.Log, format+"\n", args...)
	}
}

// spent is the time the run has taken, earlier sessions included.
func (r *run) spent() time.Duration { return r.before + time.Since(r.started) }

// loop trains until the run's steps or time are spent, then finishes it.
func (r *run) loop(ctx context.Context) (*Result, error) {
	defer func() {
		if r.log != nil {
			r.log.close()
		}
	}()
	r.loopStart, r.firstStep = time.Now(), r.step
	for r.step < r.total && !r.outOfTime() {
		if err := ctx.Err(); err != nil {
			return nil, r.interrupted(err)
		}
		rec, err := r.trainStep()
		if err != nil {
			return nil, err
		}
		evaluated := r.o.EvalEvery > 0 && r.step%r.o.EvalEvery == 0 && r.step < r.total && len(r.sample) > 0
		if evaluated {
			if rec.ValLoss, rec.ValBPB, err = r.evaluate(r.sample); err != nil {
				return nil, err
			}
			r.estimate()
		}
		if err := r.record(rec); err != nil {
			return nil, err
		}
		if evaluated {
			if err := writePlot(r.paths.Plot, r.history); err != nil {
				return nil, err
			}
		}
		if r.o.SaveEvery > 0 && r.step%r.o.SaveEvery == 0 {
			if err := r.save(); err != nil {
				return nil, err
			}
		}
		if r.o.Steps == 0 && r.step == r.firstStep+probeSteps {
			r.estimate()
		}
	}
	return r.finish()
}

// trainStep takes one optimizer step and returns its record.
func (r *run) trainStep() (Record, error) {
	o := &r.o
	start := time.Now()
	lr := CosineLR(r.step, o.Warmup, r.total, o.LR, o.MinLR)
	r.m.ZeroGrad()
	var loss float64
	for range o.Accum {
		l, err := r.m.Loss(randomBatch(r.rng, r.train.IDs, o.Batch, o.Model.Context))
		if err != nil {
			return Record{}, err
		}
		loss += float64(l)
	}
	loss /= float64(o.Accum)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return Record{}, fmt.Errorf("train: the loss is %g at step %d; a lower learning rate may help", loss, r.step+1)
	}
	if o.Accum > 1 {
		r.m.ScaleGrad(1 / float32(o.Accum))
	}
	if o.Clip > 0 {
		r.m.ClipGradNorm(o.Clip)
	}
	if err := r.opt.Step(r.m, lr); err != nil {
		return Record{}, err
	}
	r.step++
	n := int64(o.Batch * o.Accum * o.Model.Context)
	r.tokens += n
	d := time.Since(start)
	r.stepTime += d
	r.stepTokens += n
	// Recent steps tell the speed now. The first step of a session
	// allocates, so the average starts again at the second.
	now := float64(n) / d.Seconds()
	if r.step <= r.firstStep+2 {
		r.speed = now
	}
	r.speed += 0.1 * (now - r.speed)
	return Record{
		Step: r.step, Tokens: r.tokens, LR: lr, Loss: float32(loss),
		ValLoss: math.NaN(), ValBPB: math.NaN(),
		TokensPerSec: r.speed, Elapsed: r.spent().Seconds(),
	}, nil
}

// record logs a step and reports it.
func (r *run) record(rec Record) error {
	r.history = append(r.history, rec)
	if !math.IsNaN(rec.ValLoss) {
		r.lastValLoss, r.lastValBPB = rec.ValLoss, rec.ValBPB
	}
	if err := r.log.add(rec); err != nil {
		return err
	}
	r.report(rec)
	return nil
}

// report calls the Progress function.
func (r *run) report(rec Record) {
	if r.o.Progress == nil {
		return
	}
	s := Status{Record: rec, TotalSteps: r.total, LastValLoss: r.lastValLoss, LastValBPB: r.lastValBPB}
	if r.total == unknownTotal {
		s.TotalSteps = 0
	}
	if done := r.step - r.firstStep; done > 0 && s.TotalSteps > 0 {
		per := time.Since(r.loopStart) / time.Duration(done)
		s.ETA = per * time.Duration(r.total-r.step)
		if r.o.Steps == 0 {
			s.ETA = min(s.ETA, max(0, r.o.Time-r.spent()))
		}
	}
	r.o.Progress(s)
}

// evaluate measures the model on validation windows.
func (r *run) evaluate(ws []window) (loss, bpb float64, err error) {
	start := time.Now()
	loss, bpb, tokens, err := r.m.evaluate(r.val, ws, r.o.Batch)
	if err != nil {
		return 0, 0, err
	}
	r.evalSpeed = float64(tokens) / time.Since(start).Seconds()
	return loss, bpb, nil
}

// reserve is the time to keep back from a time budget for what follows the
// last step: the final evaluation, on all of the validation text, and two
// saves, with a margin for a machine that slows down, and 1% of the budget
// for what cannot be foreseen.
func (r *run) reserve() time.Duration {
	speed := r.evalSpeed
	if speed == 0 {
		speed = 3 * r.speed // a forward pass is about a third of a step
	}
	var eval time.Duration
	if speed > 0 {
		eval = time.Duration(float64(len(r.val.IDs)) / speed * float64(time.Second))
	}
	return (eval+2*r.saveTime)*5/4 + r.o.Time/100
}

// outOfTime reports that a time budget has no room for another step.
func (r *run) outOfTime() bool {
	return r.o.Steps == 0 && r.step > r.firstStep && r.spent()+r.reserve() >= r.o.Time
}

// estimate sets the length of a time-budgeted run from the time per step
// so far, evaluations and saves included.
func (r *run) estimate() {
	done := r.step - r.firstStep
	if r.o.Steps > 0 || done == 0 {
		return
	}
	per := time.Since(r.loopStart) / time.Duration(done)
	left := r.o.Time - r.spent() - r.reserve()
	r.total = r.step + max(0, int(left/max(per, 1)))
}

// save writes a checkpoint of the run as it is now.
func (r *run) save() error {
	start := time.Now()
	c := &checkpoint{
		options: r.o, model: r.m, opt: r.opt, step: r.step, total: r.total, tokens: r.tokens,
		elapsed: r.spent(), dataSum: r.dataSum, history: r.history,
	}
	var err error
	if c.rng, err = r.pcg.MarshalBinary(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := c.write(r.paths.Checkpoint); err != nil {
		return err
	}
	r.saveTime, r.savedStep = time.Since(start), r.step
	return nil
}

// interrupted saves the run when it stops early.
func (r *run) interrupted(cause error) error {
	if r.step > r.savedStep {
		if err := r.save(); err != nil {
			return errors.Join(cause, err)
		}
	}
	if r.step > 0 {
		if err := writePlot(r.paths.Plot, r.history); err != nil {
			return errors.Join(cause, err)
		}
		return fmt.Errorf("train: stopped at step %d; %s holds the run to resume: %w", r.step, r.paths.Checkpoint, cause)
	}
	return fmt.Errorf("train: stopped before the first step: %w", cause)
}

// finish evaluates the model on all of the validation text and writes the
// model, checkpoint, log and plot.
func (r *run) finish() (*Result, error) {
	if len(r.history) == 0 || r.history[len(r.history)-1].Step != r.step {
		r.history = append(r.history, Record{Step: r.step, Tokens: r.tokens, Loss: float32(math.NaN())})
	}
	last := &r.history[len(r.history)-1]
	last.ValLoss, last.ValBPB = math.NaN(), math.NaN()
	res := &Result{
		Paths: r.paths, Steps: r.step, Tokens: r.tokens, Params: r.m.Config.NumParams(),
		TrainTokens: len(r.train.IDs), ValTokens: len(r.val.IDs), Loss: last.Loss,
		ValLoss: math.NaN(), ValBPB: math.NaN(),
	}
	if len(r.all) > 0 {
		var err error
		if last.ValLoss, last.ValBPB, err = r.evaluate(r.all); err != nil {
			return nil, err
		}
		res.ValLoss, res.ValBPB = last.ValLoss, last.ValBPB
		r.lastValLoss, r.lastValBPB = last.ValLoss, last.ValBPB
		for _, w := range r.all {
			for _, n := range r.val.Bytes[w.start+1 : w.start+w.n+1] {
				res.ValBytes += int64(n)
			}
		}
	}
	last.Elapsed = r.spent().Seconds()
	if err := r.m.Save(r.paths.Model, SaveOptions{Name: r.o.Name}); err != nil {
		return nil, err
	}
	if err := r.save(); err != nil {
		return nil, err
	}
	// The last row gained the final evaluation: the log is written anew.
	err := r.log.close()
	r.log = nil
	if err != nil {
		return nil, err
	}
	if err := writeBytesAtomic(r.paths.Log, csvRows(r.history)); err != nil {
		return nil, err
	}
	if err := writePlot(r.paths.Plot, r.history); err != nil {
		return nil, err
	}
	r.report(*last)
	res.Elapsed = r.spent()
	if r.stepTime > 0 {
		res.TokensPerSec = float64(r.stepTokens) / r.stepTime.Seconds()
	}
	return res, nil
}
