package bpetrain

import "strings"

// Byte-level BPE vocabularies spell every byte as a printable character,
// by GPT-2's bytes_to_unicode table: printable Latin-1 bytes stand for
// themselves, the others take the code points from U+0100 on, in order. So
// the space is "Ġ" and the newline "Ċ", and no token text holds a space,
// which lets a merge rule be written as its two texts joined by one.
var byteChars = func() (chars [256]string) {
	next := rune(0x100)
	for b := range 256 {
		r := rune(b)
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if !printable {
			r = next
			next++
		}
		chars[b] = string(r)
	}
	return chars
}()

// spell returns raw bytes as byte characters.
func spell(raw string) string {
	var b strings.Builder
	b.Grow(2 * len(raw))
	for i := range len(raw) {
		b.WriteString(byteChars[raw[i]])
	}
	return b.String()
}
