package bpetrain

import (
	"fmt"

	"zhi/gguf"
)

// Token types, as tokenizer.ggml.token_type numbers them.
const (
	typeNormal  int32 = 1
	typeControl int32 = 3
)

// Vocab is a trained byte-level BPE vocabulary.
type Vocab struct {
	// Tokens are the token texts by id, bytes spelled as GPT-2's byte
	// characters: the 256 bytes in order, the merged tokens in the order
	// they were learned, then the special tokens as plain text.
	Tokens []string
	Types  []int32 // token types: 1 normal, 3 control (the special tokens)
	// Merges are the merge rules, "LEFT RIGHT" in the tokens' spelling,
	// first learned first. A rule whose result was a token already adds no
	// token, so there may be more rules than merged tokens.
	Merges   []string
	BOS, EOS int32
}

// vocab returns the trained vocabulary.
func (t *trainer) vocab() *Vocab {
	v := &Vocab{
		Tokens: make([]string, 0, len(t.tokens)+len(specialTokens)),
		Merges: make([]string, len(t.merges)),
	}
	for _, raw := range t.tokens {
		v.Tokens = append(v.Tokens, spell(raw))
		v.Types = append(v.Types, typeNormal)
	}
	for i, p := range t.merges {
		v.Merges[i] = spell(t.tokens[p.left]) + " " + spell(t.tokens[p.right])
	}
	v.BOS = int32(len(v.Tokens))
	v.EOS = v.BOS + 1
	for _, s := range specialTokens {
		v.Tokens = append(v.Tokens, s)
		v.Types = append(v.Types, typeControl)
	}
	return v
}

// Metadata returns the tokenizer.ggml.* keys that describe the vocabulary,
// for a model file: the keys the Llama 3 vocabulary has, and
// add_bos_token.
func (v *Vocab) Metadata() []gguf.KV {
	return []gguf.KV{
		{Key: "tokenizer.ggml.model", Value: gguf.String("gpt2")},
		{Key: "tokenizer.ggml.pre", Value: gguf.String(Pre)},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Strings(v.Tokens)},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Int32s(v.Types)},
		{Key: "tokenizer.ggml.merges", Value: gguf.Strings(v.Merges)},
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Uint32(uint32(v.BOS))},
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Uint32(uint32(v.EOS))},
		{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Bool(true)},
	}
}

// AddTo sets the vocabulary's metadata keys in b.
func (v *Vocab) AddTo(b *gguf.Builder) {
	for _, kv := range v.Metadata() {
		b.Set(kv.Key, kv.Value)
	}
}

// WriteFile writes the vocabulary as a GGUF file without tensors, like
// llama.cpp's vocabulary-only files: its metadata and
// general.architecture "llama", which llama.cpp needs to open it.
func (v *Vocab) WriteFile(path string) error {
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("llama"))
	v.AddTo(b)
	if err := b.WriteFile(path); err != nil {
		return fmt.Errorf("bpetrain: %w", err)
	}
	return nil
}
