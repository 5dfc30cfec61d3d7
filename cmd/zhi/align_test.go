package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhi/internal/shared"
	"zhi/train"
)

// alignPrefs fit the 64-token context of the shared tiny training model.
const alignPrefs = `{"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "London."}

{"prompt": "2+2?", "chosen": "4", "rejected": "five"}
{"prompt": "Sky?", "chosen": "Blue.", "rejected": "Green.", "extra": "ignored"}
`

// filePairLogprobs are the log-probabilities of the preference pairs of
// data under a model file, formatted with the base model's template.
func filePairLogprobs(t *testing.T, base, model, data string) []train.PairLogprobs {
	t.Helper()
	format, _, err := baseFormat(base, "")
	if err != nil {
		t.Fatal(err)
	}
	prefs, err := train.ReadPreferences(data)
	if err != nil {
		t.Fatal(err)
	}
	pairs, _, err := format.Preferences(data, prefs, 1000)
	if err != nil {
		t.Fatal(err)
	}
	m, err := train.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	lp, err := m.PairLogprobs(pairs)
	if err != nil {
		t.Fatal(err)
	}
	return lp
}

// TestAlign aligns the shared tiny model as a user would and checks that
// it starts at log 2, that every chosen answer gained on its rejected one
// in the written model, and that the engine runs that model.
func TestAlign(t *testing.T) {
	base := shared.Path(t, "reference", "train", "tiny-train-f32.gguf")
	dir := t.TempDir()
	data := filepath.Join(dir, "prefs.jsonl")
	if err := os.WriteFile(data, []byte(alignPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "aligned.gguf")
	stdout, stderr, ok := zhi(t, "align", "-m", base, "--data", data, "-o", out, "--epochs", "10", "--lr", "1e-3", "--batch", "2", "--beta", "0.2", "-t", "2")
	if !ok {
		t.Fatal(stderr)
	}
	for _, want := range []string{"3 preference pairs; 3 to train on, beta 0.2", "20 steps", "step 1/20  epoch 1  loss 0.6931  reward margin 0.0000", "step 20/20  epoch 10"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "wrote "+out+": F32") || !strings.Contains(stdout, "aligned on 3 pairs for 10 epochs") || !strings.Contains(stdout, "accuracy 100%") {
		t.Errorf("stdout %q", stdout)
	}
	before, after := filePairLogprobs(t, base, base, data), filePairLogprobs(t, base, out, data)
	for i := range before {
		gain := (after[i].Chosen - before[i].Chosen) - (after[i].Rejected - before[i].Rejected)
		t.Logf("pair %d: log p(chosen) − log p(rejected) gained %.2f", i, gain)
		if gain < 1 {
			t.Errorf("pair %d: %+v before, %+v after", i, before[i], after[i])
		}
	}
	if stdout, stderr, ok := zhi(t, "run", "-m", out, "-p", "Capital of France?", "-n", "4", "--temp", "0"); !ok || stdout == "" {
		t.Errorf("the aligned model does not run: stdout %q, stderr %q", stdout, stderr)
	}

	// With a LoRA, the adapter alone.
	adapter := filepath.Join(dir, "lora.gguf")
	stdout, stderr, ok = zhi(t, "align", "-m", base, "--data", data, "--merge=false", "--adapter", adapter, "--lora-rank", "2", "--epochs", "1")
	if !ok {
		t.Fatal(stderr)
	}
	if !strings.Contains(stderr, "LoRA rank 2, alpha 2") || !strings.Contains(stderr, "learning rate 5e-05") || !strings.Contains(stdout, "wrote "+adapter+": LoRA adapter, rank 2") {
		t.Errorf("stdout %q\nstderr %q", stdout, stderr)
	}
}

func TestAlignErrors(t *testing.T) {
	base := shared.Path(t, "reference", "train", "tiny-train-f32.gguf")
	dir := t.TempDir()
	data := filepath.Join(dir, "prefs.jsonl")
	if err := os.WriteFile(data, []byte(alignPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.gguf")
	for _, bad := range []struct{ line, want string }{
		{`{"prompt": "x", "chosen": "a"}`, `:5: no "rejected"`},
		{`{"prompt": "x", "chosen": "a", "rejected": "a"}`, ":5: chosen and rejected are the same"},
		{`["prompt", "x"]`, ":5: not a JSON object"},
		{`{"prompt": "x", "chosen": 1, "rejected": "b"}`, ":5: bad JSON"},
		{`{"question": "x", "answer": "y"}`, `:5: no "prompt"`},
	} {
		path := filepath.Join(dir, "bad.jsonl")
		if err := os.WriteFile(path, []byte(alignPrefs+bad.line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, path+bad.want, "align", "-m", base, "--data", path, "-o", out)
	}
	mustFail(t, "no model", "align", "--data", data, "-o", out)
	mustFail(t, "no examples given: use --data PREFS.jsonl", "align", "-m", base, "-o", out)
	mustFail(t, "-o is required", "align", "-m", base, "--data", data)
	mustFail(t, "--beta must be positive", "align", "-m", base, "--data", data, "-o", out, "--beta", "0")
	mustFail(t, "is the base model", "align", "-m", base, "--data", data, "-o", base)
	mustFail(t, "all 3 pairs are longer than 10 tokens", "align", "-m", base, "--data", data, "-o", out, "--max-len", "10")
	mustFail(t, "missing.jsonl: no such file", "align", "-m", base, "--data", filepath.Join(dir, "missing.jsonl"), "-o", out)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed alignment left %s behind", out)
	}
}
