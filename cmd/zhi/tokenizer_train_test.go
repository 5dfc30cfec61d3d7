package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTokenizerTrain trains a tokenizer as a user would and checks the file
// it writes.
func TestTokenizerTrain(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "a.txt")
	more := filepath.Join(dir, "b.txt")
	// Enough distinct words for 300 - 256 - 4 = 40 merges.
	var words strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&words, "the %c%c%c. ", 'a'+i%7, 'a'+i/7%11, 'a'+i/77%13)
	}
	if err := os.WriteFile(text, []byte(words.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(more, []byte("The dog sat on the log.\n狗 🐕\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tok.gguf")
	stdout, stderr, ok := zhi(t, "tokenizer", "train", "--vocab", "300", "-o", out, text, more)
	if !ok {
		t.Fatal(stderr)
	}
	if !strings.Contains(stdout, "wrote "+out+": 300 tokens, 40 merges") {
		t.Errorf("summary %q does not say what was written", stdout)
	}
	f := openGGUF(t, out)
	if model, _ := f.String("tokenizer.ggml.model"); model != "gpt2" {
		t.Errorf("tokenizer.ggml.model %q", model)
	}
	if pre, _ := f.String("tokenizer.ggml.pre"); pre != "llama-bpe" {
		t.Errorf("tokenizer.ggml.pre %q", pre)
	}
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	merges, _ := f.Strings("tokenizer.ggml.merges")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	bos, _ := f.Uint("tokenizer.ggml.bos_token_id")
	if len(tokens) != 300 || len(types) != 300 || len(merges) != 40 || tokens[bos] != "<|begin_of_text|>" || types[bos] != 3 {
		t.Errorf("%d tokens, %d types, %d merges, BOS %d", len(tokens), len(types), len(merges), bos)
	}
	if !slices.Contains(tokens, "Ġthe") {
		t.Errorf("the commonest word is no token")
	}
}

func TestTokenizerTrainErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("ok\xc3("), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tok.gguf")
	mustFail(t, "unknown tokenizer subcommand \"fit\"", "tokenizer", "fit", bad)
	mustFail(t, "usage: zhi tokenizer train", "tokenizer")
	mustFail(t, "--vocab is required", "tokenizer", "train", "-o", out, empty)
	mustFail(t, "-o is required", "tokenizer", "train", "--vocab", "300", empty)
	mustFail(t, "no text files", "tokenizer", "train", "--vocab", "300", "-o", out)
	mustFail(t, "vocabulary size 100 out of range", "tokenizer", "train", "--vocab", "100", "-o", out, empty)
	mustFail(t, bad+": invalid UTF-8 at byte offset 2", "tokenizer", "train", "--vocab", "300", "-o", out, bad)
	mustFail(t, "no training text", "tokenizer", "train", "--vocab", "300", "-o", out, empty)
	mustFail(t, "missing.txt", "tokenizer", "train", "--vocab", "300", "-o", out, filepath.Join(dir, "missing.txt"))
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed training left %s behind", out)
	}
}
