package bpetrain

import (
	"bytes"
	"maps"
	"os"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/tokenizer"
)

// load writes the vocabulary as a GGUF file in memory and loads it as zhi
// loads a model's tokenizer.
func load(t testing.TB, v *Vocab) *tokenizer.Tokenizer {
	t.Helper()
	b := gguf.NewBuilder()
	v.AddTo(b)
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLoadedVocab loads the vocabulary of TestTrainByHand and checks that
// text splits as its merges say and that the special tokens are set up.
func TestLoadedVocab(t *testing.T) {
	v := mustTrain(t, "hug hug hug pug pug bun", 300)
	tok := load(t, v)
	if tok.VocabSize() != 268 || tok.Model() != "gpt2" || tok.Pre() != Pre {
		t.Fatalf("loaded %d tokens, model %q, pre %q", tok.VocabSize(), tok.Model(), tok.Pre())
	}
	id := func(text string) int32 { return int32(slices.Index(v.Tokens, text)) }
	for _, c := range []struct {
		text string
		want []int32
	}{
		{"hug pug", []int32{id("hug"), id("Ġpug")}},
		// Words the corpus lacks merge by rank: in " bug", "u g" (rank 0)
		// goes before "Ġ b" (5), and then "Ġb u" (6) no longer applies.
		{"hugs bug", []int32{id("hug"), 's', id("Ġb"), id("ug")}},
		{"pun", []int32{'p', 'u', 'n'}},
	} {
		if got := tok.Encode(c.text, false, false); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
	}
	bos, eos := id(BeginOfText), id(EndOfText)
	got := tok.Encode("hug<|im_start|>x<|im_end|>", true, true)
	want := []int32{bos, id("hug"), id(ImStart), 'x', id(ImEnd)}
	if !slices.Equal(got, want) {
		t.Errorf("Encode with special tokens = %v, want %v", got, want)
	}
	if b, ok := tok.BOS(); !ok || b != bos || !tok.AddBOS() {
		t.Errorf("BOS %d %v, add %v; want %d", b, ok, tok.AddBOS(), bos)
	}
	if e, ok := tok.EOS(); !ok || e != eos || !tok.IsEOG(eos) || !tok.IsEOG(id(ImEnd)) || tok.IsEOG(id(ImStart)) {
		t.Errorf("EOS %d %v, want %d, ending generation with <|im_end|>", e, ok, eos)
	}
	// Without parsing special tokens, their texts are plain text.
	if got := tok.Decode(tok.Encode(ImEnd, false, false)); got != ImEnd {
		t.Errorf("plain %q decodes as %q", ImEnd, got)
	}
}

// TestRoundTrip encodes and decodes text the corpus has not seen.
func TestRoundTrip(t *testing.T) {
	tok := load(t, mustTrain(t, "The quick brown fox — 狐狸 🦊 jumps over the lazy dog.\n\tIt's 12345 o'clock!\r\n", 400))
	for _, s := range []string{
		"", "The quick brown fox", "unseen words, ÄÖÜ ß", "大语言模型 🦙🦙 👩‍👩‍👧", "  leading and trailing  ",
		"\x00\x01\x7f control bytes", "tabs\tand\nnew\r\nlines\n\n\n", "'s 'RE I'LL 1234567", "<|im_start|> <|end_of_text|>",
		"\U0010FFFF \uFFFD \u0301 e\u0301",
	} {
		ids := tok.Encode(s, false, false)
		if got := tok.Decode(ids); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
	}
}

// TestTinyShakespeare trains a vocabulary of 4096 tokens on Tiny
// Shakespeare and measures how well it compresses the text.
func TestTinyShakespeare(t *testing.T) {
	path := shared.Path(t, "data", "tinyshakespeare.txt")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var c Corpus
	if err := c.AddFile(path); err != nil {
		t.Fatal(err)
	}
	v, err := c.Train(4096)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if len(v.Tokens) != 4096 {
		t.Fatalf("%d tokens, want 4096", len(v.Tokens))
	}
	tok := load(t, v)
	ids := tok.Encode(string(text), false, false)
	perByte := float64(len(ids)) / float64(len(text))
	t.Logf("trained in %v; %d tokens for %d bytes: %.3f tokens per byte", elapsed.Round(time.Millisecond), len(ids), len(text), perByte)
	if perByte >= 0.4 {
		t.Errorf("%.3f tokens per byte, want fewer than 0.4", perByte)
	}
	if elapsed > 10*time.Second {
		t.Errorf("training took %v", elapsed)
	}
	if got := tok.Decode(ids); got != string(text) {
		t.Error("the text does not decode to itself")
	}

	// Each word of the corpus encodes as training left it.
	tr := newTrainer(c.words)
	for len(tr.tokens)+len(specialTokens) < len(v.Tokens) && tr.step() {
	}
	for text, w := range wordIndex(c.words) {
		if got := tok.Encode(text, false, false); !slices.Equal(got, tr.words[w].tokens) {
			t.Fatalf("%q encodes as %v, training left it as %v", text, got, tr.words[w].tokens)
		}
	}
}

// wordIndex maps each word to its index in a trainer's words, which are
// sorted.
func wordIndex(counts map[string]int64) map[string]int {
	texts := slices.Sorted(maps.Keys(counts))
	index := make(map[string]int, len(texts))
	for i, text := range texts {
		index[text] = i
	}
	return index
}

// FuzzTrain trains on arbitrary text: training must fail exactly for
// invalid UTF-8 and empty text, and the vocabulary must encode and decode
// the text it was trained on.
func FuzzTrain(f *testing.F) {
	for _, s := range []string{
		"hug hug hug pug pug bun", "aaaaaaaaaaa aaaa aaa", "大语言模型 🦙 ", "\n\n\r\n\t ", "x", "",
		"\xff", "it's 2024 <|im_end|>", "ab\xed\xa0\x80", "a\x00b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c Corpus
		if err := c.Add("fuzz", []byte(s)); err != nil {
			if utf8.ValidString(s) {
				t.Fatalf("Add(%q): %v", s, err)
			}
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Add(%q) took invalid UTF-8", s)
		}
		v, err := c.Train(300)
		if (err != nil) != (s == "") {
			t.Fatalf("Train on %q: %v", s, err)
		}
		if err != nil {
			return
		}
		tok := load(t, v)
		if got := tok.Decode(tok.Encode(s, false, false)); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
	})
}
