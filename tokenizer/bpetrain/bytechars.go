package bpetrain

import "zhi/tokenizer"

// spell returns raw bytes as byte-level BPE vocabularies spell them (see
// tokenizer.AppendByteLevel): no token text holds a space, which lets a merge
// rule be written as its two texts joined by one.
func spell(raw string) string {
	return string(tokenizer.AppendByteLevel(make([]byte, 0, 2*len(raw)), raw))
}
