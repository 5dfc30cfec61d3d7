package train

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/chat"
	"zhi/engine"
	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/tokenizer"
)

// formatFor returns the fine-tuning format of a shared GGUF file's
// tokenizer and chat template, and the template.
func formatFor(t *testing.T, parts ...string) (*SFTFormat, *chat.Template, *tokenizer.Tokenizer) {
	t.Helper()
	f, err := gguf.Open(shared.Path(t, parts...))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.ForModel(f, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := NewSFTFormat(tmpl, tok)
	if err != nil {
		t.Fatal(err)
	}
	return sf, tmpl, tok
}

// answerSpans returns the runs of answer tokens of e.
func answerSpans(e SFTExample) [][]int32 {
	var spans [][]int32
	for i, a := range e.Answer {
		switch {
		case !a:
		case i > 0 && e.Answer[i-1]:
			spans[len(spans)-1] = append(spans[len(spans)-1], e.Tokens[i])
		default:
			spans = append(spans, []int32{e.Tokens[i]})
		}
	}
	return spans
}

var multiTurn = Conversation{Messages: []chat.Message{
	{Role: "system", Content: "You are terse."},
	{Role: "user", Content: "What is 2+2?"},
	{Role: "assistant", Content: "4"},
	{Role: "user", Content: "And <|eot_id|> 3+3?"},
	{Role: "assistant", Content: "6, not <|eot_id|>."},
}}

// TestSFTMaskLlama3 checks the mask on a Llama 3 template, which renders a
// conversation turn after turn: the whole conversation is one sequence,
// the tokens of the rendered conversation, and the mask covers exactly
// each answer and its <|eot_id|>.
func TestSFTMaskLlama3(t *testing.T) {
	sf, tmpl, tok := formatFor(t, "vocab", "ggml-vocab-llama-bpe.gguf")
	if tmpl.Name() != "llama3" {
		t.Fatalf("template %s, want the built-in llama3", tmpl.Name())
	}
	got, err := sf.Tokenize(multiTurn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d sequences, want 1", len(got))
	}
	full, err := tmpl.Render(multiTurn.Messages, false)
	if err != nil {
		t.Fatal(err)
	}
	// The answers are text: their "<|eot_id|>" is not the special token.
	full = strings.ReplaceAll(full, "6, not <|eot_id|>.", "6, not EOT.")
	want := tok.Encode(full, true, true)
	eot := tok.Encode("<|eot_id|>", false, true)
	answer6 := tok.Encode("6, not <|eot_id|>.", false, false)
	noteot := tok.Encode("6, not EOT.", false, false)
	i := slices.Index(want, noteot[0])
	want = slices.Concat(want[:i], answer6, want[i+len(noteot):])
	if !slices.Equal(got[0].Tokens, want) {
		t.Errorf("tokens\n%v, want the rendered conversation\n%v", got[0].Tokens, want)
	}
	spans := answerSpans(got[0])
	wantSpans := [][]int32{slices.Concat(tok.Encode("4", false, false), eot), slices.Concat(answer6, eot)}
	if !slices.EqualFunc(spans, wantSpans, slices.Equal) {
		t.Errorf("answer tokens %v, want %v", spans, wantSpans)
	}
	// The user's "<|eot_id|>" is the special token, as when chatting.
	if n := strings.Count(tok.Decode(got[0].Tokens), "<|eot_id|>"); n < 4 {
		t.Errorf("decoded sequence has %d <|eot_id|>", n)
	}
}

// TestSFTMaskLlama2 checks a template that rewrites earlier answers (the
// built-in Llama 2 one): each answer becomes a sequence of its own, whose
// prompt is the conversation before it as the template renders it.
func TestSFTMaskLlama2(t *testing.T) {
	sf, tmpl, tok := formatFor(t, "reference", "train", "tiny-train-f32.gguf")
	got, err := sf.Tokenize(multiTurn)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d sequences, want 2", len(got))
	}
	for i, n := range []int{2, 4} {
		prompt, err := tmpl.Render(multiTurn.Messages[:n], true)
		if err != nil {
			t.Fatal(err)
		}
		p := tok.Encode(prompt, true, true)
		a := slices.Concat(tok.Encode(multiTurn.Messages[n].Content, false, false), tok.Encode("</s>", false, true))
		if !slices.Equal(got[i].Tokens, slices.Concat(p, a)) {
			t.Errorf("sequence %d: %v, want prompt %v and answer %v", i, got[i].Tokens, p, a)
		}
		if spans := answerSpans(got[i]); len(spans) != 1 || !slices.Equal(spans[0], a) {
			t.Errorf("sequence %d: answer tokens %v, want %v", i, spans, a)
		}
	}

	pr, err := sf.Preference(TextPreference{Prompt: "2+2?", Chosen: "4", Rejected: "5"})
	if err != nil {
		t.Fatal(err)
	}
	if want := tok.Encode("[INST] 2+2? [/INST]", true, true); !slices.Equal(pr.Prompt, want) {
		t.Errorf("preference prompt %v, want %v", pr.Prompt, want)
	}
	if want := slices.Concat(tok.Encode("5", false, false), []int32{2}); !slices.Equal(pr.Rejected, want) {
		t.Errorf("rejected %v, want %v", pr.Rejected, want)
	}

	long := Conversation{Messages: []chat.Message{{Role: "user", Content: strings.Repeat("x", 1000)}, {Role: "assistant", Content: "y"}}}
	ex, dropped, err := sf.TokenizeAll("t.jsonl", []Conversation{long, multiTurn}, 500)
	if err != nil || dropped != 1 || len(ex) != 2 {
		t.Errorf("TokenizeAll: %d examples, %d dropped, %v; want 2 and 1", len(ex), dropped, err)
	}
	noAnswer := Conversation{Messages: []chat.Message{{Role: "user", Content: "hi"}}, Line: 5}
	if _, _, err := sf.TokenizeAll("t.jsonl", []Conversation{multiTurn, noAnswer}, 500); err == nil || !strings.Contains(err.Error(), "t.jsonl:5: no answer") {
		t.Errorf("TokenizeAll of a conversation without an answer: %v", err)
	}
}

// TestAnswerLossReference checks the answer-only loss and its gradient,
// as FineTune computes them, against PyTorch.
func TestAnswerLossReference(t *testing.T) {
	ref, m := loadReference(t)
	var examples []SFTExample
	for i, in := range ref.SFT.Inputs {
		e := SFTExample{Tokens: append(slices.Clone(in), ref.SFT.Targets[i][len(in)-1]), Answer: make([]bool, len(in)+1)}
		for j, w := range ref.SFT.Mask[i] {
			e.Answer[j+1] = w == 1
		}
		examples = append(examples, e)
	}
	// One pass of two rows and two of one must agree with PyTorch alike.
	for _, batch := range []int{2, 1} {
		m.ZeroGrad()
		loss, n, err := m.answerLoss(examples, batch, true)
		if err != nil {
			t.Fatal(err)
		}
		if n != 32 {
			t.Errorf("%d answer tokens, want 32", n)
		}
		checkLoss(t, "answer", loss, ref.SFT.Loss)
		checkTensors(t, m, ref.SFT.Grads, true, 1e-4)
	}
}

// TestSFTBatchPadding checks that padding does not count: the loss of a
// batch of unequal examples is the token-weighted mean of theirs.
func TestSFTBatchPadding(t *testing.T) {
	m, err := New(tinyConfig(false), 8)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	long := SFTExample{Tokens: []int32{1, 5, 6, 7, 8, 9, 2}, Answer: []bool{false, false, false, true, true, true, true}}
	short := SFTExample{Tokens: []int32{1, 4, 3}, Answer: []bool{false, false, true}}
	b := SFTBatch([]SFTExample{short, long})
	if len(b.Inputs[0]) != 6 || !slices.Equal(b.Mask[0], []float32{0, 1, 0, 0, 0, 0}) || !slices.Equal(b.Targets[0][:2], []int32{4, 3}) {
		t.Fatalf("padded row %v → %v, mask %v", b.Inputs[0], b.Targets[0], b.Mask[0])
	}
	both, err := m.AnswerLoss([]SFTExample{short, long}, 2)
	if err != nil {
		t.Fatal(err)
	}
	ls, _ := m.AnswerLoss([]SFTExample{short}, 1)
	ll, _ := m.AnswerLoss([]SFTExample{long}, 1)
	if want := (ls + 4*ll) / 5; math.Abs(float64(both-want)) > 1e-5 {
		t.Errorf("batch loss %g, token-weighted mean of the examples' %g", both, want)
	}
}

// TestFullFineTune checks that full fine-tuning lowers the answer loss,
// and that FineTune refuses bad settings.
func TestFullFineTune(t *testing.T) {
	m, err := New(tinyConfig(true), 9)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	examples := sftExamples(16, 4)
	before, err := m.AnswerLoss(examples, 8)
	if err != nil {
		t.Fatal(err)
	}
	c := SFTConfig{Epochs: 20, Batch: 8, Accum: 1, LR: 1e-2, MinLR: 1e-3, Warmup: 2, ClipNorm: 1, Seed: 2}
	if err := FineTune(context.Background(), m, examples, c); err != nil {
		t.Fatal(err)
	}
	after, err := m.AnswerLoss(examples, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("answer loss %.3f before, %.3f after full fine-tuning", before, after)
	if after > 0.7*before {
		t.Errorf("answer loss %g before, %g after", before, after)
	}

	other, err := New(tinyConfig(true), 9)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l, err := NewLoRA(other, LoRAConfig{Rank: 1, Alpha: 1, Targets: []string{"q"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	noAnswer := SFTExample{Tokens: []int32{1, 2}, Answer: []bool{false, false}}
	for name, bad := range map[string]SFTConfig{
		"epochs":     {Epochs: 0, Batch: 1, Accum: 1, LR: 1},
		"lr":         {Epochs: 1, Batch: 1, Accum: 1, LR: 0},
		"min lr":     {Epochs: 1, Batch: 1, Accum: 1, LR: 1, MinLR: 2},
		"clip":       {Epochs: 1, Batch: 1, Accum: 1, LR: 1, ClipNorm: -1},
		"other lora": {Epochs: 1, Batch: 1, Accum: 1, LR: 1, LoRA: l},
		"no answer":  {Epochs: 1, Batch: 1, Accum: 1, LR: 1, Val: []SFTExample{noAnswer}},
	} {
		if err := FineTune(context.Background(), m, examples, bad); err == nil {
			t.Errorf("%s: FineTune accepted %+v", name, bad)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := FineTune(ctx, m, examples, c); err != context.Canceled {
		t.Errorf("cancelled FineTune: %v", err)
	}
}

// TestFineTuneAnswersInEngine fine-tunes the shared tiny model with LoRA
// on one question, saves the merged model and checks in zhi's engine that
// the answer became more likely.
func TestFineTuneAnswersInEngine(t *testing.T) {
	basePath := shared.Path(t, "reference", "train", "tiny-train-f32.gguf")
	sf, _, _ := formatFor(t, "reference", "train", "tiny-train-f32.gguf")
	conv := Conversation{Messages: []chat.Message{{Role: "user", Content: "Capital of France?"}, {Role: "assistant", Content: "Paris."}}}
	examples, err := sf.Tokenize(conv)
	if err != nil {
		t.Fatal(err)
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
	c := SFTConfig{Epochs: 20, Batch: 1, Accum: 1, LR: 1e-2, MinLR: 1e-3, Warmup: 2, ClipNorm: 1, LoRA: l}
	if err := FineTune(context.Background(), m, examples, c); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "merged.gguf")
	if err := m.Save(merged, SaveOptions{Name: "tiny-sft"}); err != nil {
		t.Fatal(err)
	}
	before, after := engineAnswerLogprob(t, basePath, examples[0]), engineAnswerLogprob(t, merged, examples[0])
	t.Logf("log p(answer) in the engine: %.2f before, %.2f after", before, after)
	if after < before+5 {
		t.Errorf("log p(answer) %g before fine-tuning, %g after", before, after)
	}
}

// engineAnswerLogprob is log p(answer | prompt) of an example under the
// model file, as zhi's engine computes it.
func engineAnswerLogprob(t *testing.T, path string, e SFTExample) float64 {
	t.Helper()
	eng, err := engine.Open(path, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rows, err := eng.Logits(e.Tokens[:len(e.Tokens)-1], true)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i, row := range rows {
		if !e.Answer[i+1] {
			continue
		}
		var z float64
		best := slices.Max(row)
		for _, v := range row {
			z += math.Exp(float64(v - best))
		}
		sum += float64(row[e.Tokens[i+1]]-best) - math.Log(z)
	}
	return sum
}
