package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
)

// loadShared builds the tokenizer of a GGUF file under ../shared.
func loadShared(t testing.TB, parts ...string) *Tokenizer {
	t.Helper()
	f, err := gguf.Open(shared.Path(t, parts...))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Join(parts...), err)
	}
	return tok
}

// vocabTests reads the reference's test pairs beside a vocab file: texts
// separated by "\n__ggml_vocab_test__\n" in NAME.inp (read as
// test-tokenizer-0 reads it) and one line of ids per text in NAME.out.
func vocabTests(t *testing.T, vocab string) (texts []string, want [][]int32, ok bool) {
	t.Helper()
	inp, err := os.ReadFile(vocab + ".inp")
	if os.IsNotExist(err) {
		return nil, nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(vocab + ".out")
	if err != nil {
		t.Fatal(err)
	}
	const sep = "\n__ggml_vocab_test__\n"
	for rest := string(inp); rest != ""; {
		text, after, found := strings.Cut(rest, sep)
		texts = append(texts, text)
		if !found {
			break
		}
		rest = after
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%s: %d texts but %d lines of ids", vocab, len(texts), len(lines))
	}
	for _, line := range lines {
		var ids []int32
		for _, field := range strings.Fields(line) {
			id, err := strconv.ParseInt(field, 10, 32)
			if err != nil {
				t.Fatalf("%s.out: %v", vocab, err)
			}
			ids = append(ids, int32(id))
		}
		want = append(want, ids)
	}
	return texts, want, true
}

// TestVocabParity loads every vocabulary in ../shared/vocab and, where the
// reference's test pairs exist, checks Encode against them the way
// test-tokenizer-0 calls the reference: no special tokens added, special
// token texts not parsed.
func TestVocabParity(t *testing.T) {
	for _, path := range shared.Glob(t, filepath.Join("vocab", "*.gguf")) {
		name := strings.TrimSuffix(filepath.Base(path), ".gguf")
		t.Run(name, func(t *testing.T) {
			tok := loadShared(t, "vocab", filepath.Base(path))
			texts, want, ok := vocabTests(t, path)
			if !ok {
				return
			}
			for i, text := range texts {
				if got := tok.Encode(text, false, false); !slices.Equal(got, want[i]) {
					t.Errorf("Encode(%q)\n got %v\nwant %v", text, got, want[i])
				}
			}
		})
	}
}

// TestReferencePrompts checks the prompts of the reference models, with
// special tokens added as each model's metadata asks.
func TestReferencePrompts(t *testing.T) {
	for _, path := range shared.Glob(t, filepath.Join("reference", "*.ref.json")) {
		ref := shared.LoadReference(t, path)
		t.Run(ref.Model, func(t *testing.T) {
			tok := loadShared(t, "reference", ref.Model)
			for _, c := range ref.Cases {
				if got := tok.Encode(c.Prompt, true, false); !slices.Equal(got, c.Tokens) {
					t.Errorf("Encode(%q)\n got %v\nwant %v", c.Prompt, got, c.Tokens)
				}
			}
		})
	}
}

// TestEndOfGeneration checks the Llama 3 vocabulary's end-of-generation
// set: EOS (<|end_of_text|>) and the tokens found by their text.
func TestEndOfGeneration(t *testing.T) {
	tok := loadShared(t, "vocab", "ggml-vocab-llama-bpe.gguf")
	for _, tc := range []struct {
		text string
		eog  bool
	}{
		{"<|end_of_text|>", true}, {"<|eot_id|>", true}, {"<|eom_id|>", true},
		{"<|begin_of_text|>", false}, {"<|start_header_id|>", false}, {"Hello", false},
	} {
		id, ok := tok.ids[tc.text]
		if !ok {
			t.Fatalf("no token %q", tc.text)
		}
		if got := tok.IsEOG(id); got != tc.eog {
			t.Errorf("IsEOG(%q) = %v, want %v", tc.text, got, tc.eog)
		}
	}
	if !tok.AddBOS() {
		t.Error("AddBOS = false for the Llama 3 pre-tokenizer")
	}
	if got := tok.Encode("<|eot_id|>", false, true); !slices.Equal(got, []int32{128009}) {
		t.Errorf("Encode(<|eot_id|>, parseSpecial) = %v", got)
	}
	if got := tok.Encode("<|eot_id|>", false, false); slices.Contains(got, 128009) {
		t.Errorf("Encode(<|eot_id|>) without parseSpecial = %v", got)
	}
}
