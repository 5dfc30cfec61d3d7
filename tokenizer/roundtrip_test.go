package tokenizer

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// roundTripTexts are texts every vocabulary must decode back exactly.
var roundTripTexts = []string{
	"Hello world",
	" leading and trailing spaces  ",
	"tabs\tand\nnewlines\r\n\n",
	"Once upon a time, there was a llama 🦙 named Zhi.",
	"大语言模型是什么?",
	"emoji: 😶‍🌫️ ✅ 🚀🚀",
	"numbers 1234567890 3.14159 -42",
	"кириллица и ελληνικά",
	"code: func main() { fmt.Println(\"hi\") }",
	"I've been 'told he's there, 'RE you sure?",
	"",
}

// checkRoundTrip checks Decode(Encode(s)) == s for each text.
func checkRoundTrip(t *testing.T, tok *Tokenizer, texts []string) {
	t.Helper()
	for _, s := range texts {
		if got := tok.Decode(tok.Encode(s, false, false)); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
	}
}

func TestRoundTripByteLevel(t *testing.T) {
	for _, name := range []string{"ggml-vocab-llama-bpe.gguf", "ggml-vocab-gpt-2.gguf"} {
		t.Run(name, func(t *testing.T) {
			checkRoundTrip(t, loadShared(t, "vocab", name), roundTripTexts)
		})
	}
}

func TestRoundTripSPM(t *testing.T) {
	// The encoder puts a space in front and Decode takes one off, so the
	// text comes back whole.
	checkRoundTrip(t, loadShared(t, "vocab", "ggml-vocab-llama-spm.gguf"), roundTripTexts)
}

func TestStreamEmitsWholeCharacters(t *testing.T) {
	for _, name := range []string{"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"} {
		t.Run(name, func(t *testing.T) {
			tok := loadShared(t, "vocab", name)
			text := "🦙 大语言模型 😶‍🌫️ naïve"
			ids := tok.Encode(text, false, false)
			var all []byte
			for _, id := range ids {
				all = append(all, tok.Piece(id)...)
			}
			s := tok.NewStream()
			var b strings.Builder
			split := false
			for _, id := range ids {
				if !utf8.Valid(tok.Piece(id)) {
					split = true
				}
				out := s.Add(id)
				if !utf8.ValidString(out) {
					t.Errorf("Add(%d) = %q, not whole characters", id, out)
				}
				b.WriteString(out)
			}
			b.WriteString(s.Flush())
			if b.String() != string(all) {
				t.Errorf("stream gave %q, pieces are %q", b.String(), all)
			}
			if !split {
				t.Errorf("no token of %q holds a partial character; the test proves nothing", text)
			}
		})
	}
}

// TestSpeed checks the budgets of the Llama 3 vocabulary (128k tokens,
// 280k merges): loading well under a second, 10 KB of text well under
// 100 ms. The limits are loose so that a busy machine does not fail them.
func TestSpeed(t *testing.T) {
	start := time.Now()
	tok := loadShared(t, "vocab", "ggml-vocab-llama-bpe.gguf")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("loading took %v", d)
	}
	text := strings.Repeat(roundTripTexts[3]+" "+roundTripTexts[4]+"\n", 10_000/60)
	start = time.Now()
	tok.Encode(text, true, false)
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("encoding %d bytes took %v", len(text), d)
	}
}
