package tokenizer

// Byte-level BPE vocabularies spell every byte as a printable character:
// GPT-2's bytes_to_unicode table. Printable Latin-1 bytes stand for
// themselves; the others take the code points from U+0100 on, in order.
var (
	byteRunes [256]string // the character of each byte, as UTF-8
	runeBytes map[rune]byte
)

func init() {
	runeBytes = make(map[rune]byte, 256)
	next := rune(256)
	for b := range 256 {
		r := rune(b)
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if !printable {
			r = next
			next++
		}
		byteRunes[b] = string(r)
		runeBytes[r] = byte(b)
	}
}

// AppendByteLevel appends raw's bytes spelled as byte-level BPE vocabularies
// spell them (GPT-2's bytes_to_unicode table: printable Latin-1 bytes as
// themselves, the others as code points from U+0100 on), so that the space is
// "Ġ" and the newline "Ċ".
func AppendByteLevel(dst []byte, raw string) []byte {
	for i := range len(raw) {
		dst = append(dst, byteRunes[raw[i]]...)
	}
	return dst
}

// encodeBPE appends the tokens of raw text for a "gpt2" vocabulary: the
// pre-tokenizer splits the text into words, each word is spelled with the
// byte characters and its characters merge by rank, lowest first.
func (t *Tokenizer) encodeBPE(out []int32, text string) []int32 {
	rank := func(left, right, _ string) (float64, bool) {
		r, ok := t.ranks[mergePair{left, right}]
		return float64(r), ok
	}
	emit := func(sym string) {
		if id, ok := t.ids[sym]; ok {
			out = append(out, id)
			return
		}
		// The reference looks up each byte of the spelled symbol on its
		// own, so most of an unknown symbol is dropped.
		for i := range len(sym) {
			if id, ok := t.ids[sym[i:i+1]]; ok {
				out = append(out, id)
			}
		}
	}
	var buf []byte
	for _, chunk := range t.splitter.Split(sanitizeUTF8(text)) {
		buf = AppendByteLevel(buf[:0], chunk)
		word := string(buf)
		if t.ignoreMerges {
			if id, ok := t.ids[word]; ok {
				out = append(out, id)
				continue
			}
		}
		mergeWord(word, rank, emit)
	}
	return out
}

// decodeByteLevel turns a byte-level token text back into bytes. A
// character outside the byte table is kept as the reference writes it:
// "[UNK_BYTE_0x" + its UTF-8 in hex + the whole text + "]".
func decodeByteLevel(text string) string {
	out := make([]byte, 0, len(text))
	for _, r := range decodeRunes(text) {
		if b, ok := runeBytes[r]; ok {
			out = append(out, b)
			continue
		}
		out = append(out, "[UNK_BYTE_0x"...)
		for _, c := range appendRune(nil, r) {
			out = append(out, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		out = append(out, text...)
		out = append(out, ']')
	}
	return string(out)
}
