package tokenizer

//go:generate python3 gen_nfd.py

import (
	"sort"
	"unicode/utf8"
	"zhi/tokenizer/pretokenize"
)

// The reference engine decodes UTF-8 its own way: it accepts overlong forms
// and surrogates, and turns each byte it cannot decode into U+FFFD. The
// helpers here follow it so that invalid input tokenizes as it does there.

// seqLen is the length of the UTF-8 sequence that b starts, judged by its
// high bits alone; continuation bytes count as length 1.
func seqLen(b byte) int {
	switch b >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// decodeRunes splits s into code points as the reference does.
func decodeRunes(s string) []rune {
	out := make([]rune, 0, len(s))
	for len(s) > 0 {
		r, n := pretokenize.DecodeRune(s)
		out = append(out, r)
		s = s[n:]
	}
	return out
}

// appendRune encodes r as UTF-8 without Go's replacement of surrogates, as
// the reference does.
func appendRune(dst []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(dst, byte(r))
	case r < 0x800:
		return append(dst, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r < 0x10000:
		return append(dst, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return append(dst, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}

// sanitizeUTF8 returns s decoded and re-encoded the reference's way: valid
// UTF-8 is unchanged, each undecodable byte becomes U+FFFD.
func sanitizeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for len(s) > 0 {
		r, n := pretokenize.DecodeRune(s)
		out = appendRune(out, r)
		s = s[n:]
	}
	return string(out)
}

// Hangul syllables decompose by arithmetic (Unicode §3.12); only the
// leading consonant matters here.
const (
	hangulFirst    = 0xAC00
	hangulLast     = 0xD7A3
	hangulLeadBase = 0x1100
	hangulPerLead  = 21 * 28
)

// nfdFirst returns the first code point of the canonical decomposition of r,
// which is what the reference keeps of it when it normalizes to NFD.
func nfdFirst(r rune) rune {
	if r >= hangulFirst && r <= hangulLast {
		return hangulLeadBase + (r-hangulFirst)/hangulPerLead
	}
	i := sort.Search(len(nfdFirstTable), func(i int) bool { return nfdFirstTable[i][0] >= r })
	if i < len(nfdFirstTable) && nfdFirstTable[i][0] == r {
		return nfdFirstTable[i][1]
	}
	return r
}
