package bench

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"zhi/engine"
	"zhi/model"
	"zhi/quantize"
)

// recorder wraps a model and records the forward passes a benchmark makes.
type recorder struct {
	model.Model
	calls []forwardCall
}

type forwardCall struct {
	cached int // positions in the cache before the call
	tokens []int32
	all    bool
}

func (r *recorder) Forward(s *model.Session, tokens []int32, all bool) ([]float32, error) {
	r.calls = append(r.calls, forwardCall{s.Cache.Len(), slices.Clone(tokens), all})
	return r.Model.Forward(s, tokens, all)
}

func openTiny(t *testing.T) *engine.Engine {
	t.Helper()
	tiny, _ := LookupShape("tiny")
	e, err := engine.Open(writeRandom(t, tiny, quantize.Q8_0, 1, 2), engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// Run follows llama-bench's method: a warm-up (a whole prompt, or one
// generated token), then each repetition from an empty cache, prompts in
// batches, generation one token per pass, BOS first, only the last logits.
func TestRunMethod(t *testing.T) {
	e := openTiny(t)
	rec := &recorder{Model: e.Model}
	e.Model = rec
	info := ModelInfo{Filename: "random:tiny", Type: "llama ?B Q8_0", Size: 123, Params: 456}
	var results []*Result
	err := Run(e, info, Options{Prompts: []int{8, 0}, Gens: []int{3}, Reps: 2, Batch: 3, Seed: 1}, func(r *Result) error {
		results = append(results, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var shape []int // cached positions and batch size of each pass
	for _, c := range rec.calls {
		if c.all {
			t.Fatal("a pass asked for the logits of every token")
		}
		if c.cached == 0 && c.tokens[0] != 1 {
			t.Errorf("a sequence starts with token %d, not BOS", c.tokens[0])
		}
		shape = append(shape, c.cached, len(c.tokens))
	}
	pp := []int{0, 3, 3, 3, 6, 2}
	tg := []int{0, 1, 1, 1, 2, 1}
	want := slices.Concat(pp, pp, pp, []int{0, 1}, tg, tg)
	if !slices.Equal(shape, want) {
		t.Errorf("passes (cached, tokens) %v, want %v", shape, want)
	}

	if len(results) != 2 || results[0].Test() != "pp8" || results[1].Test() != "tg3" {
		t.Fatalf("results %+v, want pp8 and tg3", results)
	}
	for _, r := range results {
		if r.ModelFilename != info.Filename || r.ModelType != info.Type || r.ModelSize != 123 || r.ModelNParams != 456 ||
			r.NBatch != 3 || r.NThreads != 2 || r.TypeK != "f16" || r.Backends != "CPU" {
			t.Errorf("%s: %+v", r.Test(), r)
		}
		if _, err := time.Parse(time.RFC3339, r.TestTime); err != nil {
			t.Errorf("%s: test_time %q: %v", r.Test(), r.TestTime, err)
		}
		if len(r.SamplesNs) != 2 || len(r.SamplesTs) != 2 {
			t.Fatalf("%s: %d and %d samples, want 2", r.Test(), len(r.SamplesNs), len(r.SamplesTs))
		}
		for i, ns := range r.SamplesNs {
			want := 1e9 * float64(r.NPrompt+r.NGen) / float64(ns)
			if ns == 0 || math.Abs(r.SamplesTs[i]-want) > 1e-9*want {
				t.Errorf("%s: sample %d ns gives %g t/s, want %g", r.Test(), ns, r.SamplesTs[i], want)
			}
		}
		if r.AvgTs <= 0 || r.AvgTs != Mean(r.SamplesTs) || r.StddevTs != StdDev(r.SamplesTs) {
			t.Errorf("%s: avg %g ± %g from samples %v", r.Test(), r.AvgTs, r.StddevTs, r.SamplesTs)
		}
		if r.AvgNs != uint64(math.Round(float64(r.SamplesNs[0]+r.SamplesNs[1])/2)) {
			t.Errorf("%s: avg_ns %d from samples %v", r.Test(), r.AvgNs, r.SamplesNs)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	e := openTiny(t)
	ok := Options{Prompts: []int{4}, Reps: 1, Batch: 8}
	for _, c := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Reps = 0 }, "repetitions"},
		{func(o *Options) { o.Batch = 0 }, "batch size"},
		{func(o *Options) { o.Prompts = []int{-1} }, "outside"},
		{func(o *Options) { o.Gens = []int{2000} }, "context"},
		{func(o *Options) { o.Prompts = []int{0} }, "no tests"},
	} {
		o := ok
		c.edit(&o)
		err := Run(e, ModelInfo{}, o, func(*Result) error { return nil })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", o, err, c.want)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := Run(e, ModelInfo{}, Options{Prompts: []int{2, 3}, Reps: 1, Batch: 8}, func(*Result) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Run went on after report failed: %v after %d reports", err, calls)
	}
}
