package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// ids returns the ids of token texts in tok, failing for unknown texts.
func ids(t *testing.T, tok *Tokenizer, texts ...string) []int32 {
	t.Helper()
	var out []int32
	for _, s := range texts {
		id, ok := tok.ids[s]
		if !ok {
			t.Fatalf("no token %q", s)
		}
		out = append(out, id)
	}
	return out
}

func TestSPMEncode(t *testing.T) {
	tok := mustFromMeta(t, tinySPM()...)
	tests := []struct {
		text                     string
		addSpecial, parseSpecial bool
		want                     []string
	}{
		{"hello world", false, false, []string{"▁hello", "▁world"}},
		{"hello world", true, false, []string{"<s>", "▁hello", "▁world"}},
		{"", true, false, []string{"<s>"}},
		// Characters without a token fall back to byte tokens; bytes
		// without one become <unk>.
		{"h!é", false, false, []string{"▁", "h", "<0x21>", "<0xC3>", "<0xA9>"}},
		{"ñ", false, false, []string{"▁", "<0xC3>", "<unk>"}},
		// Control tokens only with parseSpecial; text after a special
		// token gets its own space prefix.
		{"<s>hello", false, true, []string{"<s>", "▁hello"}},
		{"hello</s>", false, true, []string{"▁hello", "</s>"}},
		// User-defined tokens are matched even without parseSpecial.
		{"hello<tool>world", false, false, []string{"▁hello", "<tool>", "▁world"}},
	}
	for _, tc := range tests {
		got := tok.Encode(tc.text, tc.addSpecial, tc.parseSpecial)
		if want := ids(t, tok, tc.want...); !slices.Equal(got, want) {
			t.Errorf("Encode(%q, %v, %v) = %v, want %v %q", tc.text, tc.addSpecial, tc.parseSpecial, got, want, tc.want)
		}
	}
	if got := tok.Encode("<s>", false, false); slices.Contains(got, 1) {
		t.Errorf("Encode(<s>) without parseSpecial = %v, contains BOS", got)
	}
}

func TestSPMAccessors(t *testing.T) {
	tok := mustFromMeta(t, tinySPM()...)
	if got := tok.VocabSize(); got != 26 {
		t.Errorf("VocabSize = %d, want 26", got)
	}
	if bos, ok := tok.BOS(); !ok || bos != 1 {
		t.Errorf("BOS = %d, %v", bos, ok)
	}
	if eos, ok := tok.EOS(); !ok || eos != 2 {
		t.Errorf("EOS = %d, %v", eos, ok)
	}
	if !tok.IsEOG(2) || tok.IsEOG(1) || tok.IsEOG(-1) {
		t.Errorf("IsEOG wrong: eos %v, bos %v", tok.IsEOG(2), tok.IsEOG(1))
	}
	if !tok.AddBOS() || tok.Model() != "llama" || tok.Pre() != "" {
		t.Errorf("AddBOS %v, Model %q, Pre %q", tok.AddBOS(), tok.Model(), tok.Pre())
	}
	hello := ids(t, tok, "▁hello")[0]
	if got := tok.Text(hello); got != "▁hello" {
		t.Errorf("Text = %q", got)
	}
	for _, tc := range []struct {
		id   int32
		want string
	}{{hello, " hello"}, {1, "<s>"}, {0, "<unk>"}, {4, "!"}, {5, "\xC3"}, {-1, ""}, {99, ""}} {
		if got := string(tok.Piece(tc.id)); got != tc.want {
			t.Errorf("Piece(%d) = %q, want %q", tc.id, got, tc.want)
		}
	}
	if got := tok.Text(99); got != "" {
		t.Errorf("Text(99) = %q", got)
	}
	// The first piece loses the space the encoder put in front.
	if got := tok.Decode(tok.Encode("hello world", false, false)); got != "hello world" {
		t.Errorf("Decode = %q", got)
	}
	if got := tok.Decode(tok.Encode("hello world", true, false)); got != "<s> hello world" {
		t.Errorf("Decode with BOS = %q", got)
	}
}

func TestAddTokensFromMetadata(t *testing.T) {
	kvs := append(tinySPM(), meta{"tokenizer.ggml.add_bos_token", false}, meta{"tokenizer.ggml.add_eos_token", true},
		meta{"tokenizer.ggml.add_space_prefix", false})
	tok := mustFromMeta(t, kvs...)
	got := tok.Encode("hello", true, false)
	if want := ids(t, tok, "hello", "</s>"); !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if tok.AddBOS() {
		t.Error("AddBOS = true with add_bos_token false")
	}
}

func TestLoadErrors(t *testing.T) {
	spm := tinySPM()
	replace := func(key string, val any) []meta {
		out := slices.Clone(spm)
		for i := range out {
			if out[i].key == key {
				out[i].val = val
			}
		}
		return out
	}
	tests := []struct {
		name string
		kvs  []meta
		want string
	}{
		{"unsupported model", replace("tokenizer.ggml.model", "t5"), `"llama", "gpt2", "bert"`},
		{"no model", spm[2:], "tokenizer.ggml.model"},
		{"no tokens", []meta{{"tokenizer.ggml.model", "llama"}}, "tokenizer.ggml.tokens"},
		{"empty vocabulary", replace("tokenizer.ggml.tokens", []string{}), "0 tokens"},
		{"short scores", replace("tokenizer.ggml.scores", []float32{1}), "tokenizer.ggml.scores"},
		{"scores of wrong type", replace("tokenizer.ggml.scores", []string{"x"}), "tokenizer.ggml.scores"},
		{"short types", replace("tokenizer.ggml.token_type", []int32{1}), "tokenizer.ggml.token_type"},
		{"gpt2 without merges", replace("tokenizer.ggml.model", "gpt2"), "tokenizer.ggml.merges"},
		{"BOS missing", replace("tokenizer.ggml.tokens", []string{"a"}), "BOS"},
	}
	for _, tc := range tests {
		_, err := fromMeta(tc.kvs...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %s", tc.name, err, tc.want)
		}
	}
}

func TestStreamHoldsIncompleteCharacters(t *testing.T) {
	tok := mustFromMeta(t, tinySPM()...)
	s := tok.NewStream()
	var got []string
	for _, id := range ids(t, tok, "h", "<0xC3>", "<0xA9>", "<0xC3>") {
		got = append(got, s.Add(id))
	}
	got = append(got, s.Flush(), s.Add(-1))
	if want := []string{"h", "", "é", "", "\xC3", ""}; !slices.Equal(got, want) {
		t.Errorf("stream = %q, want %q", got, want)
	}
}

func TestCompletePrefix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0}, {"a", 1}, {"é", 2}, {"a\xC3", 1}, {"\xE5\xA4", 0}, {"\xF0\x9F\x98", 0},
		{"\xF0\x9F\x98\x81", 4}, {"\xC3A", 2}, {"\x80\x80\x80", 3}, {"\xFF", 1},
	} {
		if got := completePrefix([]byte(tc.in)); got != tc.want {
			t.Errorf("completePrefix(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestPartitionStrip(t *testing.T) {
	tok := mustFromMeta(t, tinySPM()...)
	tool := ids(t, tok, "<tool>")[0]
	tok.attrs[tool] |= attrLStrip | attrRStrip
	got := tok.partition("a \t<tool>\n b<tool>", false)
	want := []fragment{{"a", noToken}, {"", tool}, {"b", noToken}, {"", tool}}
	if !slices.Equal(got, want) {
		t.Errorf("partition = %q, want %q", got, want)
	}
}

func TestDecodeRuneLikeReference(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []rune
	}{
		{"aé", []rune{'a', 'é'}},
		{"\x80a", []rune{utf8.RuneError, 'a'}},
		{"\xC3", []rune{utf8.RuneError}},
		{"\xE5\xA4a", []rune{utf8.RuneError, utf8.RuneError, 'a'}},
		{"\xC0\x80", []rune{0}},                                      // overlong, accepted
		{"\xED\xA0\x80", []rune{0xD800}},                             // surrogate, accepted
		{"\xF7\xBF\xBF\xBF", []rune{0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}}, // beyond U+10FFFF
	} {
		if got := decodeRunes(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("decodeRunes(%q) = %U, want %U", tc.in, got, tc.want)
		}
	}
	if got := sanitizeUTF8("a\xE5\xA4b\xED\xA0\x80"); got != "a\uFFFD\uFFFDb\xED\xA0\x80" {
		t.Errorf("sanitizeUTF8 = %q", got)
	}
}

func TestWordPieceWords(t *testing.T) {
	got := wordPieceWords("Héllo, WORLD!\t你好 Cửa\x00 \u0378x 가")
	want := []string{"hello", ",", "world", "!", "你", "好", "cua", "\u0378x", "\u1100"}
	if !slices.Equal(got, want) {
		t.Errorf("wordPieceWords = %q, want %q", got, want)
	}
}
