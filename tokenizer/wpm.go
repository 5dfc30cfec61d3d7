package tokenizer

import "unicode"

// encodeWPM appends the tokens of raw text for a "bert" vocabulary: the
// text is normalized and split into words, and each word, with U+2581 in
// front, is covered greedily by the longest tokens; a word that cannot be
// covered becomes the unknown token.
func (t *Tokenizer) encodeWPM(out []int32, text string) []int32 {
	for _, word := range wordPieceWords(text) {
		word = spaceMark + word
		start := len(out)
		for i := 0; i < len(word); {
			j := min(len(word), i+t.maxTokenLen+1)
			for ; j > i; j-- {
				if id, ok := t.ids[word[i:j]]; ok {
					out = append(out, id)
					break
				}
			}
			if j == i {
				out = out[:start]
				break
			}
			i = j
		}
		if len(out) == start && t.special.unk != noToken {
			out = append(out, t.special.unk)
		}
	}
	return out
}

// wordPieceWords normalizes text as the reference's BERT pre-processing
// does (NFD reduced to the first code point, lower case, control
// characters dropped) and splits it into words at white space and around
// each punctuation mark, ASCII symbol and CJK ideograph.
func wordPieceWords(text string) []string {
	var words []string
	var word []byte
	flush := func() {
		if len(word) > 0 {
			words = append(words, string(word))
			word = word[:0]
		}
	}
	for _, r := range decodeRunes(text) {
		r = nfdFirst(r)
		switch {
		case unicode.IsSpace(r):
			flush()
		case r == 0 || r == unicode.ReplacementChar || isControl(r):
		case unicode.IsPunct(r) || (r < 0x7F && unicode.IsSymbol(r)) || isCJKIdeograph(r):
			flush()
			word = appendRune(word, unicode.ToLower(r))
			flush()
		default:
			word = appendRune(word, unicode.ToLower(r))
		}
	}
	flush()
	return words
}

// isControl reports whether r is in general category C; unassigned code
// points (Cn), which Go's unicode.C includes, are not, for the reference.
func isControl(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// isCJKIdeograph reports whether r is in the CJK blocks BERT splits
// around, with the reference's (and Hugging Face's) 0x2B920 bound.
func isCJKIdeograph(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}
