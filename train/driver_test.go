package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"zhi/engine"
	"zhi/gguf"
)

// trainingText is about 30 kB of sentences from a small vocabulary,
// something a tiny model learns from in a few steps.
func trainingText() string {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the cat dog sat ran on to a big red old house mat and with")
	var b strings.Builder
	for b.Len() < 30000 {
		n := 4 + rng.IntN(5)
		for i := range n {
			w := words[rng.IntN(len(words))]
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			if i < n-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// tinyOptions are those of a run of a few steps of a tiny model on
// trainingText, in dir.
func tinyOptions(t *testing.T, dir string) Options {
	o := DefaultOptions()
	o.Data = []string{writeFile(t, dir, "text.txt", trainingText())}
	o.VocabSize = 300
	o.Model = Config{Dim: 32, Layers: 2, Heads: 4, KVHeads: 2, FFN: 64, Context: 32, RopeBase: 10000, NormEps: 1e-5, TiedEmbeddings: true}
	o.Batch, o.Steps, o.Warmup, o.LR, o.Threads = 4, 12, 3, 3e-3, 2
	o.EvalEvery, o.EvalBatches, o.SaveEvery = 4, 1, 5
	o.Output = filepath.Join(dir, "tiny.gguf")
	o.Name = "tiny"
	return o
}

// TestResumeExact interrupts a run half-way, resumes it, and checks that it
// ends with the model, optimizer state and batch generator of the
// uninterrupted run, bit for bit, with gradient accumulation and untied
// embeddings.
func TestResumeExact(t *testing.T) {
	o := tinyOptions(t, t.TempDir())
	o.Accum, o.Model.TiedEmbeddings, o.Threads = 2, false, 1
	if _, err := Pretrain(context.Background(), o); err != nil {
		t.Fatal(err)
	}

	cut := o
	cut.Output = filepath.Join(t.TempDir(), "tiny.gguf")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut.Progress = func(s Status) {
		if s.Step == 6 {
			cancel()
		}
	}
	if _, err := Pretrain(ctx, cut); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped at step 6") {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := os.Stat(cut.Output); err == nil {
		t.Fatal("an interrupted run wrote the model")
	}
	res, err := Resume(context.Background(), cut.Output, func(saved Options) (Options, error) { return saved, nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 12 || res.Tokens != 12*2*4*32 {
		t.Errorf("resumed run: %d steps, %d tokens", res.Steps, res.Tokens)
	}

	want, got := readFile(t, o.Output), readFile(t, cut.Output)
	if !bytes.Equal(want, got) {
		t.Error("the resumed run's model file differs from the uninterrupted run's")
	}
	a, b := mustReadCheckpoint(t, PathsFor(o.Output).Checkpoint), mustReadCheckpoint(t, PathsFor(cut.Output).Checkpoint)
	for i, p := range a.model.Params() {
		q := b.model.Params()[i]
		if !slices.Equal(p.Data, q.Data) || !slices.Equal(a.opt.m[i], b.opt.m[i]) || !slices.Equal(a.opt.v[i], b.opt.v[i]) {
			t.Fatalf("%s or its moments differ", p.Name)
		}
	}
	if !bytes.Equal(a.rng, b.rng) || a.step != 12 || b.step != 12 || a.opt.step != b.opt.step {
		t.Errorf("state: rng equal %v, steps %d and %d", bytes.Equal(a.rng, b.rng), a.step, b.step)
	}
	// The log has each step once, the lost ones included.
	var steps []int
	for _, r := range b.history {
		steps = append(steps, r.Step)
	}
	if !slices.Equal(steps, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) {
		t.Errorf("history steps %v", steps)
	}
	if lines := strings.Count(string(readFile(t, PathsFor(cut.Output).Log)), "\n"); lines != 13 {
		t.Errorf("CSV log has %d lines, want a header and 12 rows", lines)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustReadCheckpoint(t *testing.T, path string) *checkpoint {
	t.Helper()
	c, err := readCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.model.Close)
	return c
}

// TestPretrainOutput checks what a run leaves: a model that learned
// something and that the engine runs with the logits of the trained model,
// its tokenizer included; a log with evaluations where asked; a plot.
func TestPretrainOutput(t *testing.T) {
	o := tinyOptions(t, t.TempDir())
	o.Steps = 30
	var statuses []Status
	o.Progress = func(s Status) { statuses = append(statuses, s) }
	res, err := Pretrain(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 31 || statuses[0].TotalSteps != 30 || statuses[30].LastValBPB != res.ValBPB {
		t.Errorf("%d progress reports, want one a step and one for the final evaluation", len(statuses))
	}
	if first := float64(statuses[0].Loss); !(res.ValLoss < first-1) || math.Abs(first-math.Log(300)) > 0.2 {
		t.Errorf("loss went from %g to %g on validation", first, res.ValLoss)
	}
	text := string(readFile(t, o.Data[0]))
	if want := float64(len(text)) * 0.1; math.Abs(float64(res.ValBytes)-want) > 50 {
		t.Errorf("validation covers %d bytes, want about %g", res.ValBytes, want)
	}

	m, err := Load(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	e, err := engine.Open(res.Model, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tok, err := tokenizerFrom(m.Tokenizer, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	prompt := "The red dog sat on a mat.\nA cat"
	ids := e.Tokenize(prompt, true)
	if own := Tokenize(tok, []Text{{Data: []byte(prompt)}}).IDs; !slices.Equal(ids, own) {
		t.Fatalf("engine tokens %v, training's %v", ids, own)
	}
	rows, err := e.Logits(ids, true)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := m.Logits(ids)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.Vocab
	for i, row := range rows {
		if a, b := argmax(row), argmax(mine[i*v:(i+1)*v]); a != b {
			t.Errorf("position %d: engine's best token %d, the trained model's %d", i, a, b)
		}
	}
	f, err := gguf.Open(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if name, _ := f.String("general.name"); name != "tiny" {
		t.Errorf("general.name %q", name)
	}

	csv := strings.Split(strings.TrimSpace(string(readFile(t, res.Log))), "\n")
	if len(csv) != 31 || csv[0] != strings.TrimSpace(csvHeader) {
		t.Fatalf("CSV log of %d lines, header %q", len(csv), csv[0])
	}
	for _, i := range []int{4, 8, 12, 30} {
		if fields := strings.Split(csv[i], ","); fields[4] == "" || fields[5] == "" {
			t.Errorf("step %d has no validation: %s", i, csv[i])
		}
	}
	if fields := strings.Split(csv[5], ","); fields[4] != "" {
		t.Errorf("step 5 has a validation: %s", csv[5])
	}
	if svg := readFile(t, res.Plot); !bytes.Contains(svg, []byte("<polyline")) {
		t.Error("the plot has no curve")
	}
}

func argmax(xs []float32) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// TestResumeRefusals checks the runs Pretrain and Resume refuse.
func TestResumeRefusals(t *testing.T) {
	o := tinyOptions(t, t.TempDir())
	o.Steps = 4
	if _, err := Pretrain(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	same := func(saved Options) (Options, error) { return saved, nil }
	if _, err := Pretrain(context.Background(), o); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("starting over a checkpoint: %v", err)
	}
	_, err := Resume(context.Background(), o.Output, func(saved Options) (Options, error) {
		saved.LR *= 2
		return saved, nil
	})
	if err == nil || !strings.Contains(err.Error(), "option LR") {
		t.Errorf("resuming with another learning rate: %v", err)
	}
	_, err = Resume(context.Background(), o.Output, func(saved Options) (Options, error) {
		saved.Model.Dim = 64
		return saved, nil
	})
	if err == nil || !strings.Contains(err.Error(), "option Model.Dim") {
		t.Errorf("resuming with another width: %v", err)
	}
	if _, err := Resume(context.Background(), filepath.Join(t.TempDir(), "none.gguf"), same); err == nil {
		t.Error("resumed without a checkpoint")
	}
	// More steps: the run goes on from step 4.
	res, err := Resume(context.Background(), o.Output, func(saved Options) (Options, error) {
		saved.Steps = 6
		return saved, nil
	})
	if err != nil || res.Steps != 6 {
		t.Fatalf("extending the run: %v", err)
	}
	if err := os.WriteFile(o.Data[0], []byte("Other text entirely."), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(context.Background(), o.Output, same); err == nil || !strings.Contains(err.Error(), "data files") {
		t.Errorf("resuming on other data: %v", err)
	}
}

// TestPretrainErrors checks errors about the data and the options.
func TestPretrainErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		change func(*Options)
		want   string
	}{
		{func(o *Options) { o.Data = append(o.Data, writeFile(t, dir, "bad.txt", "ok\xc3(")) }, "bad.txt: invalid UTF-8 at byte offset 2"},
		{func(o *Options) { o.Data = []string{writeFile(t, dir, "short.txt", "Too short.")} }, "fewer than the context"},
		{func(o *Options) { o.Steps, o.Time = 0, 0 }, "steps or a time budget"},
		{func(o *Options) { o.ValFraction = 1 }, "validation fraction"},
		{func(o *Options) { o.Model.Heads = 3 }, "heads"},
		{func(o *Options) { o.LR = float32(math.NaN()) }, "learning rates"},
		{func(o *Options) { o.Tokenizer = o.Data[0] }, "tokenizer"},
		{func(o *Options) { o.VocabSize = 10 }, "vocabulary size 10"},
	} {
		o := tinyOptions(t, dir)
		c.change(&o)
		if _, err := Pretrain(context.Background(), o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", err, c.want)
		}
	}
}

// TestTimeBudget checks that a run given a time budget estimates its
// length and keeps to the budget.
func TestTimeBudget(t *testing.T) {
	o := tinyOptions(t, t.TempDir())
	o.Steps, o.Time, o.SaveEvery, o.EvalEvery = 0, 1500*time.Millisecond, 0, 20
	var first, last Status
	o.Progress = func(s Status) {
		if s.Step == 1 {
			first = s
		}
		last = s
	}
	start := time.Now()
	res, err := Pretrain(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	// The last estimate may promise a few more steps than were taken: a
	// run stops early when the machine slows down after it was made.
	if res.Steps <= probeSteps || first.TotalSteps != 0 || last.TotalSteps > res.Steps+1+res.Steps/20 || math.IsNaN(res.ValBPB) {
		t.Errorf("%d steps, first estimate %d (want 0: unknown), last %d, validation %g", res.Steps, first.TotalSteps, last.TotalSteps, res.ValBPB)
	}
	if took > o.Time+time.Second || took < o.Time/2 {
		t.Errorf("a run of %v took %v", o.Time, took)
	}
}
