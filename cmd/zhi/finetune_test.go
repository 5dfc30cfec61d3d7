package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/internal/shared"
	"zhi/train"
)

const finetunePairs = `{"question": "Capital of France?", "answer": "Paris."}
{"prompt": "Capital of Italy?", "response": "Rome."}
{"messages": [{"role": "user", "content": "Capital of Spain?"}, {"role": "assistant", "content": "Madrid."}]}
`

// fileAnswerLoss is the answer loss of the pairs under a model file, formatted
// with the base model's template.
func fileAnswerLoss(t *testing.T, base, model, data string) float32 {
	t.Helper()
	format, _, err := baseFormat(base, "")
	if err != nil {
		t.Fatal(err)
	}
	convs, err := train.ReadPairs(data)
	if err != nil {
		t.Fatal(err)
	}
	examples, _, err := format.TokenizeAll(data, convs, 1000)
	if err != nil {
		t.Fatal(err)
	}
	m, err := train.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	loss, err := m.AnswerLoss(examples, 4)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// TestFinetune fine-tunes the shared tiny model as a user would, fully and
// with LoRA, and checks that the answers became more likely and that the
// adapter file applied to the base gives the merged model.
func TestFinetune(t *testing.T) {
	base := shared.Path(t, "reference", "train", "tiny-train-f32.gguf")
	dir := t.TempDir()
	data := filepath.Join(dir, "pairs.jsonl")
	if err := os.WriteFile(data, []byte(finetunePairs), 0o644); err != nil {
		t.Fatal(err)
	}
	before := fileAnswerLoss(t, base, base, data)

	full := filepath.Join(dir, "full.gguf")
	stdout, stderr, ok := zhi(t, "finetune", "-m", base, "--data", data, "-o", full, "--epochs", "15", "--lr", "3e-3", "--batch", "2", "-t", "2")
	if !ok {
		t.Fatal(stderr)
	}
	if !strings.Contains(stdout, "wrote "+full+": F32") || !strings.Contains(stderr, "3 conversations, 3 examples") || !strings.Contains(stderr, "step 30/30") {
		t.Errorf("stdout %q\nstderr %q", stdout, stderr)
	}
	after := fileAnswerLoss(t, base, full, data)
	t.Logf("answer loss %.3f before, %.3f after full fine-tuning", before, after)
	if after > before/2 {
		t.Errorf("full fine-tuning: answer loss %g before, %g after", before, after)
	}

	merged, adapter := filepath.Join(dir, "merged.gguf"), filepath.Join(dir, "lora.gguf")
	stdout, stderr, ok = zhi(t, "finetune", "-m", base, "--data", data, "-o", merged, "--adapter", adapter,
		"--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "q,k,v,o,gate,up,down", "--epochs", "15", "--lr", "1e-2",
		"--val-fraction", "0.34", "-t", "2")
	if !ok {
		t.Fatal(stderr)
	}
	for _, want := range []string{"2 to train on, 1 held out", "validation answer loss before training", "epoch 15: validation answer loss", "LoRA rank 4, alpha 8"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "wrote "+adapter+": LoRA adapter, rank 4") {
		t.Errorf("stdout %q", stdout)
	}
	if loss := fileAnswerLoss(t, base, merged, data); loss >= before {
		t.Errorf("LoRA: answer loss %g before, %g after", before, loss)
	}
	f := openGGUF(t, adapter)
	if typ, _ := f.String("general.type"); typ != "adapter" {
		t.Errorf("adapter general.type %q", typ)
	}
	applied, err := train.Load(base)
	if err != nil {
		t.Fatal(err)
	}
	defer applied.Close()
	if err := applied.ApplyAdapter(adapter); err != nil {
		t.Fatal(err)
	}
	want, err := train.Load(merged)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	for i, p := range applied.Params() {
		if !slices.Equal(p.Data, want.Params()[i].Data) {
			t.Errorf("%s: base + adapter differs from the merged model", p.Name)
		}
	}

	// The adapter alone.
	only := filepath.Join(dir, "only.gguf")
	if _, stderr, ok := zhi(t, "finetune", "-m", base, "--data", data, "--merge=false", "--adapter", only, "--lora-rank", "2", "--epochs", "1"); !ok {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(only); err != nil {
		t.Error(err)
	}
}

func TestFinetuneErrors(t *testing.T) {
	base := shared.Path(t, "reference", "train", "tiny-train-f32.gguf")
	dir := t.TempDir()
	data := filepath.Join(dir, "pairs.jsonl")
	if err := os.WriteFile(data, []byte(finetunePairs), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(finetunePairs+`{"prompt": "x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.gguf")
	mustFail(t, "no model", "finetune", "--data", data, "-o", out)
	mustFail(t, "no examples given", "finetune", "-m", base, "-o", out)
	mustFail(t, "-o is required", "finetune", "-m", base, "--data", data)
	mustFail(t, bad+":4: no answer", "finetune", "-m", base, "--data", bad, "-o", out)
	mustFail(t, "need a LoRA", "finetune", "-m", base, "--data", data, "-o", out, "--adapter", filepath.Join(dir, "a.gguf"))
	mustFail(t, "--merge=false needs --adapter", "finetune", "-m", base, "--data", data, "--merge=false", "--lora-rank", "2")
	mustFail(t, "is the base model", "finetune", "-m", base, "--data", data, "-o", base)
	mustFail(t, `unknown lora target "qq"`, "finetune", "-m", base, "--data", data, "-o", out, "--lora-rank", "2", "--lora-targets", "q,qq")
	mustFail(t, `--type "q4_0"`, "finetune", "-m", base, "--data", data, "-o", out, "--type", "q4_0")
	mustFail(t, "all 3 examples are longer than 10 tokens", "finetune", "-m", base, "--data", data, "-o", out, "--max-len", "10")
	mustFail(t, "directory does not exist", "finetune", "-m", base, "--data", data, "-o", filepath.Join(dir, "no", "out.gguf"))
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed fine-tuning left %s behind", out)
	}
}
