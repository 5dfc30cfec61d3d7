package train

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/chat"
	"zhi/internal/shared"
)

// tinyPairs are preference pairs for tinyConfig: prompts and answers of
// different lengths, the chosen answer never equal to the rejected one.
func tinyPairs() []Preference {
	return []Preference{
		{Prompt: []int32{1, 4}, Chosen: []int32{5, 6, 7}, Rejected: []int32{8}},
		{Prompt: []int32{1, 9, 9, 3}, Chosen: []int32{2}, Rejected: []int32{10, 10}},
		{Prompt: []int32{1, 3}, Chosen: []int32{7, 2}, Rejected: []int32{6, 2}},
		{Prompt: []int32{1, 5, 6}, Chosen: []int32{4}, Rejected: []int32{9}},
		{Prompt: []int32{1}, Chosen: []int32{3, 3, 3, 2}, Rejected: []int32{8, 2}},
		{Prompt: []int32{1, 2, 3}, Chosen: []int32{10}, Rejected: []int32{5, 4}},
		{Prompt: []int32{1, 8}, Chosen: []int32{9, 2}, Rejected: []int32{7}},
	}
}

// TestAlign checks that DPO starts at a loss of log 2 (the policy is the
// reference) and ends with the chosen answers preferred: a positive
// margin on (nearly) every pair, in Align's own stats and in the model's
// log-probabilities.
func TestAlign(t *testing.T) {
	m, err := New(tinyConfig(false), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pairs := tinyPairs()
	ref, err := m.PairLogprobs(pairs)
	if err != nil {
		t.Fatal(err)
	}
	var progress []DPOProgress
	// 7 pairs in steps of 2×2: the second step of each epoch has passes
	// of 2 and 1 pairs.
	c := DPOConfig{Beta: 0.5, Epochs: 30, Batch: 2, Accum: 2, LR: 1e-2, MinLR: 1e-3, Warmup: 2, ClipNorm: 1, Seed: 1,
		Progress: func(p DPOProgress) { progress = append(progress, p) }}
	got, err := Align(context.Background(), m, pairs, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != DPOSteps(len(pairs), c) || len(progress) != 60 {
		t.Fatalf("%d progress reports, want %d", len(progress), DPOSteps(len(pairs), c))
	}
	first, last := progress[0], progress[len(progress)-1]
	if math.Abs(float64(first.Loss)-math.Ln2) > 1e-5 || math.Abs(float64(first.Margin)) > 1e-5 {
		t.Errorf("step 1: loss %g and margin %g, want log 2 = %g and 0", first.Loss, first.Margin, math.Ln2)
	}
	if last.Step != 60 || last.Epoch != 30 || math.Abs(float64(last.LR/c.MinLR-1)) > 0.01 || first.LR != c.LR/2 {
		t.Errorf("last step %+v", last)
	}
	t.Logf("after training: loss %.3f, margin %.3f, accuracy %.2f", got.Loss, got.Margin, got.Accuracy)
	if got.Accuracy < 6.0/7 || got.Margin < 1 || got.Loss > 0.5 {
		t.Errorf("after training: %+v, want accuracy ≥ 6/7, margin ≥ 1, loss ≤ 0.5", got)
	}
	policy, err := m.PairLogprobs(pairs)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i, p := range policy {
		sum += float64(c.Beta * ((p.Chosen - ref[i].Chosen) - (p.Rejected - ref[i].Rejected)))
	}
	if mean := sum / float64(len(pairs)); math.Abs(mean-float64(got.Margin)) > 1e-3 {
		t.Errorf("Align's margin %g, the model's %g", got.Margin, mean)
	}
}

// TestDPOGradientAccumulation checks that passes of unequal sizes give the
// gradient of the mean over all the pairs, as one pass does.
func TestDPOGradientAccumulation(t *testing.T) {
	m, err := New(tinyConfig(true), 7)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pairs := tinyPairs()[:5]
	ref := []PairLogprobs{{-5, -6}, {-2, -1}, {-3, -3}, {-1, -4}, {-7, -2}}
	idx := []int{4, 0, 2, 1, 3}
	grads := func(batch int) [][]float32 {
		m.ZeroGrad()
		if _, err := m.dpoGradient(pairs, ref, idx, DPOConfig{Beta: 0.3, Batch: batch}); err != nil {
			t.Fatal(err)
		}
		var g [][]float32
		for _, p := range m.Params() {
			g = append(g, slices.Clone(p.Grad))
		}
		return g
	}
	whole := grads(5)
	for _, batch := range []int{2, 3} {
		for i, g := range grads(batch) {
			for j := range g {
				if d := math.Abs(float64(g[j] - whole[i][j])); d > 1e-6+1e-4*math.Abs(float64(whole[i][j])) {
					t.Fatalf("batch %d: %s[%d] = %g, one pass %g", batch, m.Params()[i].Name, j, g[j], whole[i][j])
				}
			}
		}
	}
}

// TestAlignRefuses checks that bad settings are refused before training
// and that a cancelled context stops it.
func TestAlignRefuses(t *testing.T) {
	m, err := New(tinyConfig(false), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	other, err := New(tinyConfig(false), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l, err := NewLoRA(other, LoRAConfig{Rank: 1, Alpha: 1, Targets: []string{"q"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	pairs := tinyPairs()
	ok := DPOConfig{Beta: 0.1, Epochs: 1, Batch: 1, Accum: 1, LR: 1e-3}
	for name, bad := range map[string]func(*DPOConfig){
		"beta":       func(c *DPOConfig) { c.Beta = 0 },
		"inf beta":   func(c *DPOConfig) { c.Beta = float32(math.Inf(1)) },
		"batch":      func(c *DPOConfig) { c.Batch = 0 },
		"lr":         func(c *DPOConfig) { c.LR = float32(math.NaN()) },
		"min lr":     func(c *DPOConfig) { c.MinLR = 1 },
		"clip":       func(c *DPOConfig) { c.ClipNorm = -1 },
		"other lora": func(c *DPOConfig) { c.LoRA = l },
	} {
		c := ok
		bad(&c)
		if _, err := Align(context.Background(), m, pairs, c); err == nil {
			t.Errorf("%s: Align accepted %+v", name, c)
		}
	}
	if _, err := Align(context.Background(), m, nil, ok); err == nil {
		t.Error("Align accepted no pairs")
	}
	empty := []Preference{{Prompt: []int32{1}, Chosen: []int32{2}}}
	if _, err := Align(context.Background(), m, empty, ok); err == nil || !strings.Contains(err.Error(), "pair 0") {
		t.Errorf("empty rejected answer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Align(ctx, m, pairs, ok); err != context.Canceled {
		t.Errorf("cancelled Align: %v", err)
	}
}

// TestAlignInEngine aligns the shared tiny model with a LoRA on text
// preferences, saves the merged model and checks in zhi's engine that
// each chosen answer gained log-probability on its rejected one.
func TestAlignInEngine(t *testing.T) {
	basePath := shared.Path(t, "reference", "train", "tiny-train-f32.gguf")
	sf, _, _ := formatFor(t, "reference", "train", "tiny-train-f32.gguf")
	prefs := []TextPreference{
		{Prompt: "Capital of France?", Chosen: "Paris.", Rejected: "London.", Line: 1},
		{System: "Be brief.", Prompt: "2+2?", Chosen: "4", Rejected: "five", Line: 2},
	}
	pairs, dropped, err := sf.Preferences("prefs.jsonl", prefs, 1000)
	if err != nil || dropped != 0 || len(pairs) != 2 {
		t.Fatalf("Preferences: %d pairs, %d dropped, %v", len(pairs), dropped, err)
	}
	m, err := Load(basePath)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, err := NewLoRA(m, LoRAConfig{Rank: 4, Alpha: 8, Targets: LoRATargets()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := DPOConfig{Beta: 0.1, Epochs: 15, Batch: 2, Accum: 1, LR: 1e-2, MinLR: 1e-3, ClipNorm: 1, LoRA: l}
	stats, err := Align(context.Background(), m, pairs, c)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Accuracy != 1 {
		t.Errorf("after training: %+v", stats)
	}
	merged := filepath.Join(t.TempDir(), "aligned.gguf")
	if err := m.Save(merged, SaveOptions{Name: "tiny-dpo"}); err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		chosen, rejected := preferenceExample(p.Prompt, p.Chosen), preferenceExample(p.Prompt, p.Rejected)
		before := engineAnswerLogprob(t, basePath, chosen) - engineAnswerLogprob(t, basePath, rejected)
		after := engineAnswerLogprob(t, merged, chosen) - engineAnswerLogprob(t, merged, rejected)
		t.Logf("pair %d: log p(chosen) − log p(rejected) in the engine: %.2f before, %.2f after", i, before, after)
		if after < before+1 {
			t.Errorf("pair %d: log-probability gap %g before aligning, %g after", i, before, after)
		}
	}
}

// preferenceExample is a prompt and answer as an SFT example whose answer
// is the continuation.
func preferenceExample(prompt, answer []int32) SFTExample {
	e := SFTExample{}
	e.add(prompt, false)
	e.add(answer, true)
	return e
}

// TestPreferencesTokenize checks that preference examples are tokenized as
// conversations are, that long ones are left out, and that errors name the
// example's line.
func TestPreferencesTokenize(t *testing.T) {
	sf, _, tok := formatFor(t, "reference", "train", "tiny-train-f32.gguf")
	prefs := []TextPreference{
		{Prompt: "Hi?", Chosen: "Hello.", Rejected: "Go away.", Line: 3},
		{Prompt: strings.Repeat("long ", 40), Chosen: "a", Rejected: "b", Line: 5},
	}
	pairs, dropped, err := sf.Preferences("p.jsonl", prefs, 60)
	if err != nil || dropped != 1 || len(pairs) != 1 {
		t.Fatalf("%d pairs, %d dropped, %v; want 1 and 1", len(pairs), dropped, err)
	}
	examples, err := sf.Tokenize(Conversation{Messages: []chat.Message{{Role: "user", Content: "Hi?"}, {Role: "assistant", Content: "Hello."}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Concat(pairs[0].Prompt, pairs[0].Chosen); !slices.Equal(examples[0].Tokens, want) {
		t.Errorf("chosen sequence %q, the conversation's %q", tok.Decode(want), tok.Decode(examples[0].Tokens))
	}

	// A template that refuses some prompts.
	refusing, err := chat.Parse("refusing", `{% for m in messages %}{% if 'forbidden' in m['content'] %}{{ raise_exception('forbidden word') }}{% endif %}{{ m['role'] + ': ' + m['content'] + '\n' }}{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}`, chat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := NewSFTFormat(refusing, tok)
	if err != nil {
		t.Fatal(err)
	}
	prefs[1].Prompt = "a forbidden question"
	_, _, err = rf.Preferences("p.jsonl", prefs, 1000)
	if err == nil || !strings.Contains(err.Error(), "p.jsonl:5: ") || !strings.Contains(err.Error(), "forbidden word") {
		t.Errorf("error %v, want one naming p.jsonl:5", err)
	}
}
