package defaultmodel

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"zhi/chat"
	"zhi/engine"
)

// A small run of the recipe gives a model the engine loads, with the chat
// template, twice the same bytes.
func TestBuildSmall(t *testing.T) {
	r := DefaultRecipe()
	r.CorpusBytes = 40000
	r.Pretrain.Steps, r.Pretrain.Warmup, r.Pretrain.EvalEvery, r.Pretrain.Batch = 6, 2, 0, 4
	r.SFT.Epochs = 1
	var files [][]byte
	for i := range 2 {
		dir := t.TempDir()
		out := filepath.Join(dir, "m.gguf")
		var log bytes.Buffer
		if err := Build(context.Background(), r, dir, out, &log); err != nil {
			t.Fatalf("build %d: %v\n%s", i, err, log.String())
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, data)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("the same recipe built two different files")
	}
	e, err := engine.OpenBytes("built", files[0], engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tmpl, err := chat.ForModel(e.File, e.Tokenizer, nil)
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := tmpl.Render([]chat.Message{{Role: "user", Content: "Hello"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Generate(e.Tokenize(prompt, true), engine.GenerateOptions{MaxTokens: 4}, nil); err != nil {
		t.Fatal(err)
	}
}
