package engine

import (
	"strings"
	"testing"

	"zhi/internal/shared"
	"zhi/sample"
)

func TestStopMatcher(t *testing.T) {
	m := newStopMatcher([]string{"</s>", "STOP"})
	var shown strings.Builder
	for _, piece := range []string{"hel", "lo <", "/", "x", " ST", "O", "P and more"} {
		ready, hit := m.feed(piece)
		shown.WriteString(ready)
		if hit {
			break
		}
	}
	if got, want := shown.String(), "hello </x "; got != want {
		t.Fatalf("shown %q, want %q", got, want)
	}
	m = newStopMatcher(nil)
	if ready, hit := m.feed("anything"); ready != "anything" || hit {
		t.Fatalf("no stops: %q %v", ready, hit)
	}
	m = newStopMatcher([]string{"abc"})
	m.feed("xxab")
	if rest := m.flush(); rest != "ab" {
		t.Fatalf("flush returned %q, want the held-back %q", rest, "ab")
	}
}

func TestGenerateStops(t *testing.T) {
	e, err := Open(shared.Path(t, "reference", "tiny-qwen2-gpt2-q8_0.gguf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	prompt := e.Tokenize("Once upon a time", true)
	full, err := e.Generate(prompt, GenerateOptions{MaxTokens: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if full.Reason != StopLength || len(full.Generated) != 12 {
		t.Fatalf("length stop: %d tokens, reason %q", len(full.Generated), full.Reason)
	}
	// Stop at a piece of the text the same greedy run produces.
	stop := full.Text[len(full.Text)/2 : len(full.Text)/2+3]
	var streamed strings.Builder
	cut, err := e.Generate(prompt, GenerateOptions{MaxTokens: 12, Stop: []string{stop}}, func(s string) error {
		streamed.WriteString(s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := full.Text[:strings.Index(full.Text, stop)]
	if cut.Reason != StopString || cut.Text != want || streamed.String() != want {
		t.Fatalf("stop %q: reason %q text %q streamed %q, want %q", stop, cut.Reason, cut.Text, streamed.String(), want)
	}
	// A seeded sampler reproduces itself.
	p := sample.Defaults(7)
	a, _ := e.Generate(prompt, GenerateOptions{MaxTokens: 8, Sampling: p}, nil)
	b, _ := e.Generate(prompt, GenerateOptions{MaxTokens: 8, Sampling: p}, nil)
	if a.Text != b.Text {
		t.Fatalf("same seed, different text: %q vs %q", a.Text, b.Text)
	}
	// The context bounds generation.
	e.Context = len(prompt) + 3
	short, err := e.Generate(prompt, GenerateOptions{}, nil)
	if err != nil || len(short.Generated) > 4 || short.Reason != StopLength {
		t.Fatalf("full context: %v, %+v", err, short)
	}
}
