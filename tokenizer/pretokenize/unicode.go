package pretokenize

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// class holds the Unicode properties the pre-tokenizers test, one bit each.
// The reference engine derives them from the general category (letters L,
// numbers N, punctuation P, symbols S, marks M) plus the White_Space
// property; other categories (C, and Z outside White_Space, of which there
// are none) leave a code point with no bit set.
type class uint8

const (
	letter class = 1 << iota
	number
	punct
	symbol
	mark
	space
)

// unicode151 lists what Unicode 15.1 added over the 15.0 tables of Go's
// unicode package; the reference engine's tables are 15.1. Its additions
// are the only general-category differences between the two versions.
var unicode151 = []struct {
	lo, hi rune
	class  class
}{
	{0x2FFC, 0x2FFF, symbol},   // ideographic description characters
	{0x31EF, 0x31EF, symbol},   // CJK stroke HXG
	{0x2EBF0, 0x2EE5D, letter}, // CJK Unified Ideographs Extension I
}

// classTable maps a code point to its class in two steps, through blocks
// of 256 code points shared by every range of the code space that has the
// same classes (most of the 4352 blocks are copies of a few).
type classTable struct {
	index  [(unicode.MaxRune + 1) >> 8]uint16
	blocks [][256]class
}

func (t *classTable) of(r rune) class {
	if uint32(r) > unicode.MaxRune {
		return 0
	}
	return t.blocks[t.index[r>>8]][r&0xFF]
}

// classes returns the table, built on first use (a few milliseconds).
var classes = sync.OnceValue(func() *classTable {
	flat := make([]class, unicode.MaxRune+1)
	set := func(tab *unicode.RangeTable, c class) {
		for _, r := range tab.R16 {
			for x := rune(r.Lo); x <= rune(r.Hi); x += rune(r.Stride) {
				flat[x] |= c
			}
		}
		for _, r := range tab.R32 {
			for x := rune(r.Lo); x <= rune(r.Hi); x += rune(r.Stride) {
				flat[x] |= c
			}
		}
	}
	set(unicode.L, letter)
	set(unicode.N, number)
	set(unicode.P, punct)
	set(unicode.S, symbol)
	set(unicode.M, mark)
	set(unicode.White_Space, space)
	for _, a := range unicode151 {
		for x := a.lo; x <= a.hi; x++ {
			flat[x] = a.class
		}
	}

	t := &classTable{}
	seen := make(map[[256]class]uint16)
	for b := range t.index {
		blk := [256]class(flat[b<<8 : (b+1)<<8])
		id, ok := seen[blk]
		if !ok {
			id = uint16(len(t.blocks))
			t.blocks = append(t.blocks, blk)
			seen[blk] = id
		}
		t.index[b] = id
	}
	return t
})

// DecodeRune decodes the code point at the start of s the way the
// reference engine does, and returns it with its length in bytes. Unlike
// Go, the reference accepts overlong forms and surrogates; a byte that
// starts no complete sequence becomes U+FFFD on its own. Sequences that
// decode past U+10FFFF make the reference abort later; here they count as
// undecodable too.
func DecodeRune(s string) (rune, int) {
	b := s[0]
	if b < utf8.RuneSelf {
		return rune(b), 1
	}
	var n int
	var r rune
	switch {
	case b&0x40 == 0: // continuation byte
		return utf8.RuneError, 1
	case b&0x20 == 0:
		n, r = 2, rune(b&0x1F)
	case b&0x10 == 0:
		n, r = 3, rune(b&0x0F)
	case b&0x08 == 0:
		n, r = 4, rune(b&0x07)
	default:
		return utf8.RuneError, 1
	}
	if len(s) < n {
		return utf8.RuneError, 1
	}
	for i := 1; i < n; i++ {
		if s[i]&0xC0 != 0x80 {
			return utf8.RuneError, 1
		}
		r = r<<6 | rune(s[i]&0x3F)
	}
	if r > unicode.MaxRune {
		return utf8.RuneError, 1
	}
	return r, n
}
