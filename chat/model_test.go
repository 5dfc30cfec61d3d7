package chat

import (
	"path/filepath"
	"slices"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/tokenizer"
)

func openModel(t *testing.T, path string) (*gguf.File, *tokenizer.Tokenizer) {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, tok
}

// The reference models have no chat template: their vocabularies choose.
func TestForModelGuessesBuiltin(t *testing.T) {
	for _, c := range []struct{ model, want, stop string }{
		{"tiny-llama-spm-q4_0.gguf", "llama2", "</s>"},
		{"tiny-llama3-q4_k_m.gguf", "llama3", "<|eot_id|>"},
		{"tiny-qwen2-gpt2-q8_0.gguf", "llama2", "<|endoftext|>"},
	} {
		f, tok := openModel(t, shared.Path(t, "reference", c.model))
		if _, ok := f.String(TemplateKey); ok {
			t.Fatalf("%s has a chat template now: update this test", c.model)
		}
		tmpl, err := ForModel(f, tok, referenceClock)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.Name() != c.want {
			t.Errorf("%s: template %s, want %s", c.model, tmpl.Name(), c.want)
		}
		if stops := tmpl.Stops(); len(stops) != 1 || stops[0] != c.stop {
			t.Errorf("%s: stops %q, want [%q]", c.model, stops, c.stop)
		}
	}
}

// A template in the file is used, with the tokenizer's BOS removed and a
// system message merged into the user's when the template ignores it.
func TestForModelUsesFileTemplate(t *testing.T) {
	f, tok := openModel(t, shared.Path(t, "vocab", "ggml-vocab-phi-3.gguf"))
	tmpl, err := ForModel(f, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.Name() != TemplateKey {
		t.Fatalf("template %s, want the file's", tmpl.Name())
	}
	got, err := tmpl.Render([]Message{{"system", "Be brief."}, {"user", "Hi"}}, true)
	want := "<|user|>\nBe brief.\nHi<|end|>\n<|assistant|>\n"
	if err != nil || got != want {
		t.Errorf("rendered %q, %v; want %q", got, err, want)
	}
}

// withTemplate writes a copy of a vocabulary-only GGUF with the given chat
// template and opens it.
func withTemplate(t *testing.T, vocab, template string) (*gguf.File, *tokenizer.Tokenizer) {
	t.Helper()
	src, err := gguf.Open(shared.Path(t, "vocab", vocab))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	b := gguf.FromFile(src)
	b.Set(TemplateKey, gguf.String(template))
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return openModel(t, path)
}

func TestForModelWrittenTemplate(t *testing.T) {
	for _, c := range []struct{ name, template, want, rendered string }{
		{"usable", "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}", TemplateKey,
			"<system>S<|end_of_text|><user>U<|end_of_text|>"},
		{"syntax error", "{% for m in messages %}", "llama3",
			"<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"always fails", "{{ raise_exception('unsupported') }}", "llama3", ""},
		{"unguardable", "{% set f = messages.append %}", "llama3", ""},
	} {
		f, tok := withTemplate(t, "ggml-vocab-llama-bpe.gguf", c.template)
		tmpl, err := ForModel(f, tok, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if tmpl.Name() != c.want {
			t.Errorf("%s: template %s, want %s", c.name, tmpl.Name(), c.want)
		}
		if c.rendered == "" {
			continue
		}
		got, err := tmpl.Render([]Message{{"system", "S"}, {"user", "U"}}, true)
		if err != nil || got != c.rendered {
			t.Errorf("%s: rendered %q, %v; want %q", c.name, got, err, c.rendered)
		}
	}
}

func TestForModelNeedsTokenizer(t *testing.T) {
	if _, err := ForModel(nil, nil, nil); err == nil {
		t.Error("no error without a tokenizer")
	}
}

func TestStopsFor(t *testing.T) {
	_, tok := openModel(t, shared.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf"))
	for _, c := range []struct {
		name  string
		texts []string
		ids   int
	}{
		{"llama3", nil, 0},                    // <|eot_id|> ends generation by itself
		{"chatml", []string{"<|im_end|>"}, 0}, // not a token of this vocabulary
	} {
		tmpl, err := Builtin(c.name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		texts, ids := tmpl.StopsFor(tok)
		if !slices.Equal(texts, c.texts) || len(ids) != c.ids {
			t.Errorf("%s: stops %q and %v", c.name, texts, ids)
		}
	}
	// A single token that does not end generation is a stop token.
	tmpl, err := Parse("header", "{% for m in messages %}{{ m.content }}<|start_header_id|>{% endfor %}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	texts, ids := tmpl.StopsFor(tok)
	if len(texts) != 0 || len(ids) != 1 || tok.Text(ids[0]) != "<|start_header_id|>" {
		t.Errorf("stops %q and %v", texts, ids)
	}
}
