// Package tokenizer turns text into token ids and back the way llama.cpp
// (commit c392e50, src/llama-vocab.cpp) does, for the vocabularies GGUF
// files describe in their tokenizer.ggml.* metadata.
//
// Three tokenizer models are supported: "llama" (SentencePiece-style BPE
// over token scores), "gpt2" (byte-level BPE over ranked merges, with a
// pre-tokenizer named by tokenizer.ggml.pre) and "bert" (WordPiece).
// A Tokenizer is immutable once built and safe for concurrent use.
package tokenizer

import "zhi/tokenizer/pretokenize"

// modelKind is the tokenization algorithm of a vocabulary.
type modelKind int

const (
	kindSPM modelKind = iota // tokenizer.ggml.model "llama"
	kindBPE                  // "gpt2"
	kindWPM                  // "bert"
)

// attr holds the reference's token attributes, bit for bit.
type attr uint16

const (
	attrUnknown     attr = 1 << 0
	attrUnused      attr = 1 << 1
	attrNormal      attr = 1 << 2
	attrControl     attr = 1 << 3
	attrUserDefined attr = 1 << 4
	attrByte        attr = 1 << 5
	attrLStrip      attr = 1 << 7
	attrRStrip      attr = 1 << 8
)

// noToken marks a special token the vocabulary does not have.
const noToken int32 = -1

// Tokenizer turns text into token ids and back for one model's vocabulary.
type Tokenizer struct {
	model, pre string
	kind       modelKind

	texts  []string
	scores []float32
	attrs  []attr
	ids    map[string]int32
	pieces []string // token_to_piece of each token, special tokens as text

	// specials are the tokens matched in raw text before tokenizing
	// (control, user-defined and unknown ones), longest text first.
	specials []int32

	special specialIDs
	eog     map[int32]bool

	addBOS, addEOS, addSep bool
	addSpacePrefix         bool

	// SentencePiece: the token of each byte, or noToken.
	byteTokens [256]int32

	// Byte-level BPE.
	ranks        map[mergePair]int32
	splitter     pretokenize.Splitter
	ignoreMerges bool

	// WordPiece: the longest token text in bytes.
	maxTokenLen int
}

// specialIDs are the ids of the special tokens, noToken where absent.
type specialIDs struct {
	bos, eos, eot, eom, unk, sep int32
	fimPre, fimSuf, fimMid       int32
	fimPad, fimRep, fimSep       int32
}

// mergePair is the key of a BPE merge rule.
type mergePair struct{ left, right string }

// VocabSize returns the number of tokens in the vocabulary.
func (t *Tokenizer) VocabSize() int { return len(t.texts) }

// Text returns the raw vocabulary string of a token, or "" for an id out of
// range. Empty vocabulary entries read as "[EMPTY_<id>]", as in the
// reference.
func (t *Tokenizer) Text(id int32) string {
	if !t.valid(id) {
		return ""
	}
	return t.texts[id]
}

// BOS returns the beginning-of-sequence token, if the vocabulary has one.
func (t *Tokenizer) BOS() (int32, bool) { return t.special.bos, t.special.bos != noToken }

// EOS returns the end-of-sequence token, if the vocabulary has one.
func (t *Tokenizer) EOS() (int32, bool) { return t.special.eos, t.special.eos != noToken }

// IsEOG reports whether a token ends generation: EOS, EOT, EOM and the
// tokens the reference recognizes by their text, such as <|eot_id|>,
// <|im_end|> and <|endoftext|>.
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// IsControl reports whether a token is a control token (BOS, EOS, chat
// markers such as <|start_header_id|>): text that the reference leaves out
// of generated text unless asked to show special tokens.
func (t *Tokenizer) IsControl(id int32) bool { return t.valid(id) && t.attrs[id]&attrControl != 0 }

// AddBOS reports whether Encode with addSpecial puts a BOS token first.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// Model returns the tokenizer model named by tokenizer.ggml.model.
func (t *Tokenizer) Model() string { return t.model }

// Pre returns the pre-tokenizer named by tokenizer.ggml.pre ("" if unset).
func (t *Tokenizer) Pre() string { return t.pre }

func (t *Tokenizer) valid(id int32) bool { return id >= 0 && int(id) < len(t.texts) }
