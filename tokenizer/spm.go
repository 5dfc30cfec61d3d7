package tokenizer

import "strings"

// spaceMark is U+2581, which SentencePiece vocabularies use for a space.
const spaceMark = "\u2581"

// encodeSPM appends the tokens of raw text for a "llama" vocabulary: spaces
// become U+2581, characters merge pairwise, highest-scoring token first,
// and characters no token covers fall back to byte tokens.
func (t *Tokenizer) encodeSPM(out []int32, text string) []int32 {
	text = strings.ReplaceAll(text, " ", spaceMark)
	cost := func(_, _, joined string) (float64, bool) {
		id, ok := t.ids[joined]
		if !ok {
			return 0, false
		}
		return -float64(t.scores[id]), true
	}
	mergeWord(text, cost, func(sym string) {
		if id, ok := t.ids[sym]; ok {
			out = append(out, id)
			return
		}
		for i := range len(sym) {
			if id := t.byteTokens[sym[i]]; id != noToken {
				out = append(out, id)
			} else if t.special.unk != noToken {
				// The reference aborts here; the unknown token is the
				// closest meaning.
				out = append(out, t.special.unk)
			}
		}
	})
	return out
}
