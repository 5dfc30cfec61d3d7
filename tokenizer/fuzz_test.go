package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEncode feeds arbitrary bytes to the Llama 2 (SentencePiece) and
// Llama 3 (byte-level BPE) vocabularies: Encode must not fail or return ids
// outside the vocabulary, and Decode must give back text that is valid
// UTF-8 (for the SentencePiece one, unless the text holds U+2581, which
// decodes as a space).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{
		"Hello world", "<s>hi</s> <|begin_of_text|><|eot_id|>", "\xff\xfe\xc3 invalid \xed\xa0\x80",
		"🦙 大语言模型", "   \n\t\r\n", "'s 'RE 33333 I'LL", "▁x", "\x00",
	} {
		f.Add(s)
	}
	spm := loadShared(f, "vocab", "ggml-vocab-llama-spm.gguf")
	bpe := loadShared(f, "vocab", "ggml-vocab-llama-bpe.gguf")
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []*Tokenizer{spm, bpe} {
			for _, parseSpecial := range []bool{false, true} {
				for _, id := range tok.Encode(s, true, parseSpecial) {
					if !tok.valid(id) {
						t.Fatalf("%s: Encode(%q) gave id %d", tok.Pre(), s, id)
					}
				}
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		if got := bpe.Decode(bpe.Encode(s, false, false)); got != s {
			t.Errorf("byte-level: Decode(Encode(%q)) = %q", s, got)
		}
		if !strings.Contains(s, spaceMark) {
			if got := spm.Decode(spm.Encode(s, false, false)); got != s {
				t.Errorf("SentencePiece: Decode(Encode(%q)) = %q", s, got)
			}
		}
	})
}
