package engine

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/internal/shared"
)

// TestReferenceParity checks, through the engine, what the model package's
// logits test cannot: that prompts tokenize as the reference tokenizes them
// and that greedy generation with the KV cache, one token at a time, follows
// the reference up to its first near-tie.
func TestReferenceParity(t *testing.T) {
	for _, refPath := range shared.Glob(t, "reference/*.ref.json") {
		name := strings.TrimSuffix(filepath.Base(refPath), ".ref.json")
		t.Run(name, func(t *testing.T) {
			ref := shared.LoadReference(t, refPath)
			e, err := Open(filepath.Join(filepath.Dir(refPath), ref.Model), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for _, c := range ref.Cases {
				if got := e.Tokenize(c.Prompt, true); !slices.Equal(got, c.Tokens) {
					t.Errorf("prompt %q: tokens %v, reference %v", c.Prompt, got, c.Tokens)
				}
				res, err := e.Generate(c.Tokens, GenerateOptions{MaxTokens: len(c.Greedy)}, nil)
				if err != nil {
					t.Fatalf("prompt %q: %v", c.Prompt, err)
				}
				if j := greedyMismatch(e, name, res, c); j >= 0 {
					t.Errorf("prompt %q: greedy %v, reference %v (differs at step %d)", c.Prompt, res.Generated, c.Greedy, j)
				}
			}
		})
	}
}

// greedyMismatch returns the first step where generation left the
// reference's path before any near-tie, or -1.
func greedyMismatch(e *Engine, name string, res *Result, c shared.Case) int {
	for j, id := range c.Greedy {
		if c.GreedyMargin[j] < 2*shared.Tolerance(name, 0) {
			return -1 // a near-tie: either continuation is right from here on
		}
		if j == len(res.Generated) && res.Reason == StopEOG && e.Tokenizer.IsEOG(id) {
			return -1
		}
		if j >= len(res.Generated) || res.Generated[j] != id {
			return j
		}
	}
	return -1
}
