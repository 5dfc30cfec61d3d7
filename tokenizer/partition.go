package tokenizer

import (
	"slices"
	"strings"
)

// fragment is a piece of the input: raw text still to tokenize, or a
// special token already recognized (id != noToken).
type fragment struct {
	text string
	id   int32
}

// buildSpecialsCache lists the tokens that are matched in raw text before
// tokenization, longest text first. The reference sorts with an unstable
// sort; ties are broken here by id.
func (t *Tokenizer) buildSpecialsCache() {
	t.specials = t.specials[:0]
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.specials = append(t.specials, int32(id))
		}
	}
	slices.SortStableFunc(t.specials, func(a, b int32) int {
		return len(t.texts[b]) - len(t.texts[a])
	})
}

// partition splits text at occurrences of special tokens, one token text
// at a time, longest first, as the reference's tokenizer_st_partition
// does. Without parseSpecial only user-defined tokens are matched. Tokens
// with the lstrip (rstrip) attribute swallow ASCII white space on their
// left (right).
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	if text == "" {
		return nil
	}
	frags := []fragment{{text: text, id: noToken}}
	var next []fragment
	for _, id := range t.specials {
		a := t.attrs[id]
		if !parseSpecial && a&(attrControl|attrUnknown) != 0 {
			continue
		}
		special := t.texts[id]
		next = next[:0]
		for _, fr := range frags {
			if fr.id != noToken || !strings.Contains(fr.text, special) {
				next = append(next, fr)
				continue
			}
			next = splitAt(next, fr.text, special, id, a)
		}
		frags, next = next, frags
	}
	return frags
}

// splitAt appends to dst the fragments of rest split at each occurrence of
// the special token text.
func splitAt(dst []fragment, rest, special string, id int32, a attr) []fragment {
	for {
		i := strings.Index(rest, special)
		if i < 0 {
			if rest != "" {
				dst = append(dst, fragment{text: rest, id: noToken})
			}
			return dst
		}
		left := rest[:i]
		if a&attrLStrip != 0 {
			left = strings.TrimRight(left, asciiSpace)
		}
		if left != "" {
			dst = append(dst, fragment{text: left, id: noToken})
		}
		dst = append(dst, fragment{id: id})
		rest = rest[i+len(special):]
		if a&attrRStrip != 0 {
			rest = strings.TrimLeft(rest, asciiSpace)
		}
	}
}

// asciiSpace is the set of bytes C's isspace accepts.
const asciiSpace = " \t\n\v\f\r"
