package bench

import (
	"fmt"

	"zhi/gguf"
)

// minVocab is the smallest synthetic vocabulary: <unk>, <s>, </s> and the
// 256 byte tokens.
const minVocab = 3 + 256

// Token types of tokenizer.ggml.token_type.
const (
	tokenNormal  = 1
	tokenUnknown = 2
	tokenControl = 3
	tokenByte    = 6
)

// setVocab writes the metadata of a SentencePiece-style ("llama") vocabulary
// of n tokens: <unk>, <s> and </s>, the 256 byte-fallback tokens, and filler
// pieces with decreasing scores. Benchmarks feed token ids, never text, so
// the pieces only need to make a vocabulary the tokenizer accepts, of the
// size the shape has.
func setVocab(b *gguf.Builder, n int) {
	texts := make([]string, n)
	scores := make([]float32, n)
	types := make([]int32, n)
	texts[0], types[0] = "<unk>", tokenUnknown
	texts[1], types[1] = "<s>", tokenControl
	texts[2], types[2] = "</s>", tokenControl
	for i := 3; i < n; i++ {
		if c := i - 3; c < 256 {
			texts[i], types[i] = fmt.Sprintf("<0x%02X>", c), tokenByte
			continue
		}
		texts[i], types[i] = fmt.Sprintf("▁t%d", i), tokenNormal
		scores[i] = -float32(i)
	}
	b.Set("tokenizer.ggml.model", gguf.String("llama"))
	b.Set("tokenizer.ggml.tokens", gguf.Strings(texts))
	b.Set("tokenizer.ggml.scores", gguf.Float32s(scores))
	b.Set("tokenizer.ggml.token_type", gguf.Int32s(types))
	b.Set("tokenizer.ggml.bos_token_id", gguf.Uint32(1))
	b.Set("tokenizer.ggml.eos_token_id", gguf.Uint32(2))
	b.Set("tokenizer.ggml.unknown_token_id", gguf.Uint32(0))
	b.Set("tokenizer.ggml.add_bos_token", gguf.Bool(true))
}
