package train

import "zhi/tokenizer"

// NewTokenizer builds the tokenizer the model carries in its metadata, as
// the engine builds it from the saved file.
func (m *Model) NewTokenizer() (*tokenizer.Tokenizer, error) {
	return tokenizerFrom(m.Tokenizer, "")
}
