// Package bench measures how fast zhi processes prompts and generates
// tokens, with the method and figures of llama.cpp's llama-bench, so that
// the two engines can be compared like with like; and it builds models of
// published shapes with random weights, to measure without downloading
// anything.
//
// Two kinds of test are run, each after one untimed warm-up and then
// Options.Reps times from an empty KV cache:
//
//   - ppN processes a prompt of N tokens, in batches of Options.Batch
//     tokens, and reports N / time;
//   - tgN generates N tokens one at a time, each a forward pass of one
//     token, and reports N / time.
//
// As in llama-bench the token ids are random (the first is BOS when the
// model's vocabulary adds one), the warm-up of ppN is a whole ppN run and
// that of tgN a single token, and the result is the mean and sample
// standard deviation of the per-repetition tokens per second.
package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"zhi/engine"
	"zhi/model"
)

// Options choose the tests Run performs.
type Options struct {
	Prompts []int  // prompt sizes, one ppN test each; 0 is skipped
	Gens    []int  // generation lengths, one tgN test each; 0 is skipped
	Reps    int    // timed repetitions of each test
	Batch   int    // most prompt tokens per forward pass
	Seed    uint64 // seeds the random token ids
}

// Result is the measurement of one test, with llama-bench's JSON field
// names. Times are in nanoseconds; speeds in tokens per second.
type Result struct {
	BuildCommit   string    `json:"build_commit"`
	Backends      string    `json:"backends"`
	ModelFilename string    `json:"model_filename"`
	ModelType     string    `json:"model_type"`
	ModelSize     uint64    `json:"model_size"`
	ModelNParams  uint64    `json:"model_n_params"`
	NBatch        int       `json:"n_batch"`
	NThreads      int       `json:"n_threads"`
	TypeK         string    `json:"type_k"`
	TypeV         string    `json:"type_v"`
	NPrompt       int       `json:"n_prompt"`
	NGen          int       `json:"n_gen"`
	TestTime      string    `json:"test_time"`
	AvgNs         uint64    `json:"avg_ns"`
	StddevNs      uint64    `json:"stddev_ns"`
	AvgTs         float64   `json:"avg_ts"`
	StddevTs      float64   `json:"stddev_ts"`
	SamplesNs     []uint64  `json:"samples_ns"`
	SamplesTs     []float64 `json:"samples_ts"`
}

// Test names the test as llama-bench's table does: "pp512" or "tg128".
func (r *Result) Test() string {
	if r.NGen == 0 {
		return fmt.Sprintf("pp%d", r.NPrompt)
	}
	return fmt.Sprintf("tg%d", r.NGen)
}

// check refuses options that name no test or a test larger than the
// model's context.
func (o *Options) check(context int) error {
	if o.Reps < 1 {
		return fmt.Errorf("bench: %d repetitions: need at least 1", o.Reps)
	}
	if o.Batch < 1 {
		return fmt.Errorf("bench: batch size %d: need at least 1", o.Batch)
	}
	n := 0
	for _, sizes := range [][]int{o.Prompts, o.Gens} {
		for _, v := range sizes {
			if v < 0 || v > context {
				return fmt.Errorf("bench: test size %d is outside 0..%d, the model's context", v, context)
			}
			if v > 0 {
				n++
			}
		}
	}
	if n == 0 {
		return fmt.Errorf("bench: no tests: give a prompt size or a generation length above 0")
	}
	return nil
}

// Run performs the tests of o on e, calling report with each result as soon
// as it is measured. m describes the model in the results.
func Run(e *engine.Engine, m ModelInfo, o Options, report func(*Result) error) error {
	c := e.Model.Config()
	if err := o.check(c.ContextLength); err != nil {
		return err
	}
	r := &runner{e: e, batch: o.Batch, vocab: c.VocabSize, bos: -1, rng: rand.New(rand.NewPCG(o.Seed, 0))}
	if bos, ok := e.Tokenizer.BOS(); ok && e.Tokenizer.AddBOS() {
		r.bos = bos
	}
	var tests [][2]int
	for _, p := range o.Prompts {
		if p > 0 {
			tests = append(tests, [2]int{p, 0})
		}
	}
	for _, n := range o.Gens {
		if n > 0 {
			tests = append(tests, [2]int{0, n})
		}
	}
	for _, t := range tests {
		res := &Result{
			BuildCommit: buildCommit(), Backends: "CPU",
			ModelFilename: m.Filename, ModelType: m.Type, ModelSize: m.Size, ModelNParams: m.Params,
			NBatch: o.Batch, NThreads: e.Pool.Threads(), TypeK: "f16", TypeV: "f16",
			NPrompt: t[0], NGen: t[1], TestTime: time.Now().UTC().Format(time.RFC3339),
		}
		if err := r.measure(res, o.Reps); err != nil {
			return fmt.Errorf("bench: %s: %w", res.Test(), err)
		}
		if err := report(res); err != nil {
			return err
		}
	}
	return nil
}

// runner feeds random tokens through one engine.
type runner struct {
	e     *engine.Engine
	batch int
	vocab int
	bos   int32 // the first token of a sequence, or -1 for a random one
	rng   *rand.Rand
}

// measure runs the test res describes reps times after a warm-up, into a
// KV cache of just the test's size, and fills in the timings.
func (r *runner) measure(res *Result, reps int) error {
	s, err := model.NewSession(r.e.Model, res.NPrompt+res.NGen, r.e.Pool)
	if err != nil {
		return err
	}
	if err := r.run(s, res.NPrompt, min(res.NGen, 1)); err != nil {
		return err
	}
	tokens := float64(res.NPrompt + res.NGen)
	for range reps {
		s.Cache.Truncate(0)
		start := time.Now()
		if err := r.run(s, res.NPrompt, res.NGen); err != nil {
			return err
		}
		ns := max(time.Since(start).Nanoseconds(), 1)
		res.SamplesNs = append(res.SamplesNs, uint64(ns))
		res.SamplesTs = append(res.SamplesTs, 1e9*tokens/float64(ns))
	}
	ns := make([]float64, reps)
	for i, v := range res.SamplesNs {
		ns[i] = float64(v)
	}
	res.AvgNs, res.StddevNs = uint64(math.Round(Mean(ns))), uint64(math.Round(StdDev(ns)))
	res.AvgTs, res.StddevTs = Mean(res.SamplesTs), StdDev(res.SamplesTs)
	return nil
}

// run processes a prompt of prompt tokens in batches, then generates gen
// tokens one forward pass at a time.
func (r *runner) run(s *model.Session, prompt, gen int) error {
	buf := make([]int32, min(r.batch, max(prompt, 1)))
	for done := 0; done < prompt; {
		batch := buf[:min(prompt-done, r.batch)]
		for i := range batch {
			batch[i] = r.token(done + i)
		}
		if _, err := r.e.Model.Forward(s, batch, false); err != nil {
			return err
		}
		done += len(batch)
	}
	for i := range gen {
		buf[0] = r.token(prompt + i)
		if _, err := r.e.Model.Forward(s, buf[:1], false); err != nil {
			return err
		}
	}
	return nil
}

// token returns the token at position pos of a test's sequence: BOS first
// where the model adds it, random ids otherwise.
func (r *runner) token(pos int) int32 {
	if pos == 0 && r.bos >= 0 {
		return r.bos
	}
	return int32(r.rng.IntN(r.vocab))
}

// buildCommit returns the version control revision zhi was built from, as
// llama-bench reports its own, or "unknown".
func buildCommit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return s.Value[:7]
			}
		}
	}
	return "unknown"
}
