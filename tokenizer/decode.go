package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// buildPieces renders every token as the reference's token_to_piece does
// with special tokens shown: control, unknown and user-defined tokens as
// their text; normal tokens with U+2581 as a space ("llama", "bert") or
// through the byte table ("gpt2"); "llama" byte tokens <0xNN> as the byte;
// other tokens as nothing.
func (t *Tokenizer) buildPieces() {
	t.pieces = make([]string, len(t.texts))
	for id, text := range t.texts {
		a := t.attrs[id]
		switch {
		case a&(attrControl|attrUnknown|attrUserDefined) != 0:
			t.pieces[id] = text
		case a&attrNormal != 0 && t.kind == kindBPE:
			t.pieces[id] = decodeByteLevel(text)
		case a&attrNormal != 0:
			t.pieces[id] = strings.ReplaceAll(text, spaceMark, " ")
		case a&attrByte != 0 && t.kind == kindSPM:
			t.pieces[id] = string([]byte{byteTokenValue(text)})
		}
	}
}

// byteTokenValue reads the byte of a "<0xNN>" token the way the reference
// does: strtol of the two characters after "<0x", 0 if they are not hex.
func byteTokenValue(text string) byte {
	if len(text) < 5 {
		return 0
	}
	var v byte
	for _, c := range []byte(text[3:5]) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return v
		}
	}
	return v
}

// Piece returns the bytes a token stands for, as the reference's
// token_to_piece renders it with special tokens shown; nil for an id out
// of range. The bytes need not be valid UTF-8 on their own.
func (t *Tokenizer) Piece(id int32) []byte {
	if !t.valid(id) {
		return nil
	}
	return []byte(t.pieces[id])
}

// Decode returns the concatenated pieces of ids, skipping ids out of range.
// Like the reference's detokenize, it drops one leading space from the
// first piece when the vocabulary adds a space prefix (so that for a
// "llama" vocabulary Decode(Encode(s, false, false)) == s); unlike it, it
// never removes spaces before punctuation (clean_up_tokenization_spaces),
// so that byte-level vocabularies decode exactly what they encoded.
func (t *Tokenizer) Decode(ids []int32) string {
	var b strings.Builder
	for i, id := range ids {
		if !t.valid(id) {
			continue
		}
		p := t.pieces[id]
		if i == 0 && t.addSpacePrefix {
			p = strings.TrimPrefix(p, " ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// Stream decodes tokens one at a time, as they are generated. It holds
// back the bytes of a multi-byte UTF-8 character split across tokens until
// the character is complete. Pieces are not stripped of a leading space.
type Stream struct {
	t       *Tokenizer
	pending []byte
}

// NewStream returns a streaming decoder for the tokenizer's tokens.
func (t *Tokenizer) NewStream() *Stream { return &Stream{t: t} }

// Add takes the next token and returns the text that is now complete: all
// bytes so far except a trailing incomplete UTF-8 sequence. Bytes that can
// never form valid UTF-8 are passed through unchanged.
func (s *Stream) Add(id int32) string {
	if !s.t.valid(id) {
		return ""
	}
	s.pending = append(s.pending, s.t.pieces[id]...)
	n := completePrefix(s.pending)
	out := string(s.pending[:n])
	s.pending = append(s.pending[:0], s.pending[n:]...)
	return out
}

// Flush returns whatever Add held back and resets the stream.
func (s *Stream) Flush() string {
	out := string(s.pending)
	s.pending = s.pending[:0]
	return out
}

// completePrefix returns the length of p without a trailing UTF-8 sequence
// that more bytes could still complete.
func completePrefix(p []byte) int {
	for i := len(p) - 1; i >= 0 && i > len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if utf8.FullRune(p[i:]) {
				return len(p)
			}
			return i
		}
	}
	return len(p)
}
