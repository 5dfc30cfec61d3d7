package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"zhi/internal/shared"
	"zhi/sample"
)

func openShared(t *testing.T, name string, o Options) *Engine {
	t.Helper()
	e, err := Open(shared.Path(t, "reference", name), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newScheduler(t *testing.T, e *Engine, o SchedulerOptions) *Scheduler {
	t.Helper()
	s, err := NewScheduler(e, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// outcome is everything a job streamed, for comparing runs.
type outcome struct {
	ids      []int32
	logprobs []float32
	text     string
	res      *Result
}

func collect(t *testing.T, s *Scheduler, ctx context.Context, r Request) outcome {
	t.Helper()
	j, err := s.Submit(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	for tok := range j.Tokens() {
		if tok.ID != TextOnly {
			o.ids = append(o.ids, tok.ID)
			o.logprobs = append(o.logprobs, tok.Logprob)
		}
		o.text += tok.Text
	}
	if o.res, err = j.Wait(); err != nil {
		t.Fatal(err)
	}
	return o
}

// Requests computed together in one batch produce exactly what each
// produces alone: same tokens, same log probabilities to the bit. The F16
// model takes the path where a matrix's kernel depends on the batch size.
func TestBatchedEqualsAlone(t *testing.T) {
	for _, name := range []string{"tiny-llama3-q4_k_m.gguf", "tiny-llama-spm-f16.gguf"} {
		t.Run(name, func(t *testing.T) {
			e := openShared(t, name, Options{Context: 256})
			var reqs []Request
			for i, p := range []string{"Once upon a time", "The capital of France is", "1, 2, 3,", "Hello"} {
				params := sample.Defaults(uint64(i + 1))
				if i%2 == 0 {
					params = sample.Params{} // greedy
				}
				reqs = append(reqs, Request{Prompt: e.Tokenize(p, true), MaxTokens: 12 + 3*i, Sampling: params, TopLogprobs: 3})
			}
			alone := make([]outcome, len(reqs))
			for i, r := range reqs {
				alone[i] = collect(t, newScheduler(t, e, SchedulerOptions{Slots: 1}), context.Background(), r)
			}
			s := newScheduler(t, e, SchedulerOptions{Slots: len(reqs)})
			together := make([]outcome, len(reqs))
			var wg sync.WaitGroup
			for i, r := range reqs {
				wg.Go(func() { together[i] = collect(t, s, context.Background(), r) })
			}
			wg.Wait()
			for i := range reqs {
				a, b := alone[i], together[i]
				if !slices.Equal(a.ids, b.ids) || !slices.Equal(a.logprobs, b.logprobs) || a.text != b.text {
					t.Errorf("request %d alone: %v %q\nbatched: %v %q", i, a.ids, a.text, b.ids, b.text)
				}
				if len(a.ids) == 0 || a.res.Text != a.text {
					t.Errorf("request %d: %d tokens, result text %q, streamed %q", i, len(a.ids), a.res.Text, a.text)
				}
			}
		})
	}
}

// A job's reported log probabilities are those of the softmax of the
// logits, and its top alternatives come most probable first.
func TestLogprobs(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 64})
	prompt := e.Tokenize("The cat sat on the", true)
	rows, err := e.Logits(prompt, false)
	if err != nil {
		t.Fatal(err)
	}
	want := sample.Top(rows[0], 4)
	j, err := newScheduler(t, e, SchedulerOptions{}).Submit(context.Background(), Request{Prompt: prompt, MaxTokens: 1, TopLogprobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	tok := <-j.Tokens()
	if tok.ID != want[0].ID || len(tok.Top) != 4 {
		t.Fatalf("greedy token %d with %d alternatives, want %d with 4", tok.ID, len(tok.Top), want[0].ID)
	}
	for i, alt := range tok.Top {
		if alt.ID != want[i].ID || math.Abs(math.Exp(float64(alt.Logprob))-float64(want[i].Prob)) > 1e-5 {
			t.Errorf("alternative %d: %d p=%g, want %d p=%g", i, alt.ID, math.Exp(float64(alt.Logprob)), want[i].ID, want[i].Prob)
		}
	}
	if tok.Logprob != tok.Top[0].Logprob || string(tok.Top[0].Piece) != string(e.Tokenizer.Piece(tok.ID)) {
		t.Errorf("chosen token logprob %g piece %q, top %g %q", tok.Logprob, e.Tokenizer.Piece(tok.ID), tok.Top[0].Logprob, tok.Top[0].Piece)
	}
	j.Wait()
	// Logprobs alone gives the chosen token's, with no alternatives.
	only := collect(t, newScheduler(t, e, SchedulerOptions{}), context.Background(), Request{Prompt: prompt, MaxTokens: 1, Logprobs: true})
	if len(only.logprobs) != 1 || only.logprobs[0] != tok.Logprob {
		t.Errorf("Logprobs alone: %v, want [%g]", only.logprobs, tok.Logprob)
	}
}

// A request that starts like the previous one in its slot computes only the
// tokens that differ.
func TestPrefixReuse(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 128})
	s := newScheduler(t, e, SchedulerOptions{Slots: 2})
	first := e.Tokenize("You are a helpful assistant. Question: what is two plus two?", true)
	a := collect(t, s, context.Background(), Request{Prompt: first, MaxTokens: 4})
	if a.res.CachedTokens != 0 || a.res.PromptTokens != len(first) {
		t.Fatalf("first request: %d cached of %d, want 0 of %d", a.res.CachedTokens, a.res.PromptTokens, len(first))
	}
	// The next turn: the previous prompt, the answer, and more.
	next := append(append(slices.Clone(first), a.ids...), e.Tokenize(" And three?", false)...)
	b := collect(t, s, context.Background(), Request{Prompt: next, MaxTokens: 4})
	if want := len(first) + len(a.ids) - 1; b.res.CachedTokens != want {
		t.Errorf("next turn reused %d tokens, want %d", b.res.CachedTokens, want)
	}
	// The same prompt again recomputes only its last token.
	c := collect(t, s, context.Background(), Request{Prompt: first, MaxTokens: 4})
	if c.res.CachedTokens != len(first)-1 || !slices.Equal(c.ids, a.ids) {
		t.Errorf("repeat: %d cached (want %d), tokens %v (want %v)", c.res.CachedTokens, len(first)-1, c.ids, a.ids)
	}
	if st := s.Stats(); st.Requests != 3 || st.Active != 0 || st.Queued != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Cancelling a job's context stops it and frees its slot for the next.
func TestCancel(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 512})
	s := newScheduler(t, e, SchedulerOptions{Slots: 1, Queue: 1})
	ctx, cancel := context.WithCancel(context.Background())
	j, err := s.Submit(ctx, Request{Prompt: e.Tokenize("Tell me a long story", true), MaxTokens: 400, Sampling: sample.Params{Temperature: 1, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	<-j.Tokens()
	cancel()
	n := 0
	for range j.Tokens() {
		n++
	}
	if _, err := j.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled job ended with %v", err)
	}
	if n > 100 {
		t.Errorf("%d tokens after cancelling", n)
	}
	// The slot is free again.
	o := collect(t, s, context.Background(), Request{Prompt: e.Tokenize("Hi", true), MaxTokens: 2})
	if len(o.ids) == 0 {
		t.Error("no tokens from the next job")
	}
}

// A full queue refuses at once; Close finishes what was accepted and then
// refuses everything.
func TestQueueFullAndClose(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 128})
	s, err := NewScheduler(e, SchedulerOptions{Slots: 1, Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := Request{Prompt: e.Tokenize("Count:", true), MaxTokens: 60, Sampling: sample.Params{Temperature: 1, Seed: 3}}
	var jobs []*Job
	full := false
	for range 6 {
		j, err := s.Submit(context.Background(), r)
		if errors.Is(err, ErrQueueFull) {
			full = true
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	if !full {
		t.Error("six requests into one slot and a queue of one were all accepted")
	}
	s.Close()
	for _, j := range jobs {
		if res, err := j.Wait(); err != nil || len(res.Generated) == 0 {
			t.Errorf("accepted job after Close: %v, %+v", err, res)
		}
	}
	if _, err := s.Submit(context.Background(), r); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Close: %v", err)
	}
}

func TestInvalidRequests(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 16})
	s := newScheduler(t, e, SchedulerOptions{})
	long := make([]int32, 17)
	for _, r := range []Request{
		{},
		{Prompt: long},
		{Prompt: []int32{-1}},
		{Prompt: []int32{1}, Sampling: sample.Params{TopP: float32(math.NaN())}},
		{Prompt: []int32{1}, TopLogprobs: -1},
	} {
		if _, err := s.Submit(context.Background(), r); !errors.Is(err, ErrInvalid) {
			t.Errorf("request %+v: %v, want ErrInvalid", r, err)
		}
	}
	_, err := s.Submit(context.Background(), Request{Prompt: long})
	if want := "the prompt has 17 tokens, more than the context size of 16"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// A stop token ends generation as an end-of-generation token does, and is
// not part of the output.
func TestStopTokens(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 64})
	s := newScheduler(t, e, SchedulerOptions{})
	prompt := e.Tokenize("Once upon a time", true)
	free := collect(t, s, context.Background(), Request{Prompt: prompt, MaxTokens: 8})
	if len(free.ids) < 3 {
		t.Skipf("only %d tokens", len(free.ids))
	}
	stop := free.ids[2]
	o := collect(t, s, context.Background(), Request{Prompt: prompt, MaxTokens: 8, StopTokens: []int32{stop}})
	if want := free.ids[:slices.Index(free.ids, stop)]; !slices.Equal(o.ids, want) || o.res.Reason != StopEOG {
		t.Errorf("with stop token %d: %v (%s), want %v (eog)", stop, o.ids, o.res.Reason, want)
	}
}

func TestEmbeddings(t *testing.T) {
	e := openShared(t, "tiny-qwen2-gpt2-q8_0.gguf", Options{Context: 64})
	s := newScheduler(t, e, SchedulerOptions{Slots: 2})
	embed := func(text string) []float32 {
		o := collect(t, s, context.Background(), Request{Prompt: e.Tokenize(text, true), Embed: true})
		if len(o.ids) != 0 || len(o.res.Embedding) != e.Model.Config().Embedding {
			t.Fatalf("embedding of %q: %d tokens streamed, %d values", text, len(o.ids), len(o.res.Embedding))
		}
		return o.res.Embedding
	}
	a, b, c := embed("the cat sat on the mat"), embed("the cat sat on the mat"), embed("quantum chromodynamics")
	var norm, same, other float64
	for i := range a {
		norm += float64(a[i] * a[i])
		same += float64(a[i] * b[i])
		other += float64(a[i] * c[i])
	}
	if math.Abs(norm-1) > 1e-5 || math.Abs(same-1) > 1e-5 || other > 0.9999 {
		t.Errorf("|a|²=%g a·b=%g a·c=%g", norm, same, other)
	}
}

func ExampleScheduler() {
	e, err := Open("model.gguf", Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	s, _ := NewScheduler(e, SchedulerOptions{Slots: 4})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, err := s.Submit(ctx, Request{Prompt: e.Tokenize("The cat sat on the", true), MaxTokens: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	for tok := range job.Tokens() {
		fmt.Print(tok.Text)
	}
	res, err := job.Wait()
	if err == nil {
		fmt.Println("\n", res.Reason)
	}
}

// seedForControls makes the tiny model sample control tokens.
const seedForControls = 7

// Control tokens (chat markers) are generated but add nothing to the text,
// as in the reference's output.
func TestControlTokensHidden(t *testing.T) {
	e := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 128})
	s := newScheduler(t, e, SchedulerOptions{})
	prompt := e.Tokenize("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", true)
	j, err := s.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: 64, Sampling: sample.Params{Temperature: 1.5, Seed: seedForControls}})
	if err != nil {
		t.Fatal(err)
	}
	controls := 0
	for tok := range j.Tokens() {
		if tok.ID != TextOnly && e.Tokenizer.IsControl(tok.ID) {
			controls++
			if tok.Text != "" {
				t.Errorf("control token %d (%q) added text %q", tok.ID, e.Tokenizer.Text(tok.ID), tok.Text)
			}
		}
	}
	if _, err := j.Wait(); err != nil {
		t.Fatal(err)
	}
	if controls == 0 {
		t.Fatal("the prompt produced no control token to check")
	}
}

// A model in memory computes what the same file computes.
func TestOpenBytes(t *testing.T) {
	path := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := OpenBytes("tiny", data, Options{Context: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	file := openShared(t, "tiny-llama3-q4_k_m.gguf", Options{Context: 32})
	prompt := file.Tokenize("The cat sat on the", true)
	a, err := mem.Logits(prompt, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := file.Logits(prompt, false)
	if !slices.Equal(a[0], b[0]) {
		t.Error("the model in memory gave other logits than the file")
	}
	if _, err := OpenBytes("junk", []byte("GGUF nonsense"), Options{}); err == nil || !strings.HasPrefix(err.Error(), "junk: ") {
		t.Errorf("junk bytes: %v", err)
	}
}
