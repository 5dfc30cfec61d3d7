package pretokenize

import "sort"

// The simple stages below stand for regular expressions of the reference's
// pre-tokenizer lists; each names its expression. Where an expression uses
// \p{..} the reference matches it against the code points' classes (so
// \p{L} is exactly the letter class); where it does not, it matches code
// points, except that non-ASCII whitespace has become U+000B by then, so it
// matches \s and never a literal (see runeSet).

// A runeRange is an inclusive range of code points.
type runeRange struct{ lo, hi rune }

// A runeSet is the content of a bracket expression of literal code points,
// as the reference matches it: a non-ASCII whitespace code point is U+000B
// to it, which no set here contains.
type runeSet []runeRange

func (rs runeSet) has(r rune, c class) bool {
	if r >= 0x80 && c&space != 0 {
		return false
	}
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi >= r })
	return i < len(rs) && rs[i].lo <= r
}

// runes returns a runeSet of single code points.
func runes(s string) runeSet {
	var rs runeSet
	for _, r := range s {
		rs = append(rs, runeRange{r, r})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	return rs
}

// Predicates of one code point, for the stages below.

func isNumber(_ rune, c class) bool { return c&number != 0 }
func isLetter(_ rune, c class) bool { return c&letter != 0 }
func isPunct(_ rune, c class) bool  { return c&punct != 0 }
func isSpace(_ rune, c class) bool  { return c&space != 0 }
func isNewline(r rune, _ class) bool {
	return r == '\r' || r == '\n'
}
func isDigit(r rune, _ class) bool { return r >= '0' && r <= '9' }

// one matches a single code point that satisfies in: [..] or \p{..}.
func one(in func(rune, class) bool) stage {
	return matchAt(func(s span, p int) int {
		if in(s.r[p], s.c[p]) {
			return p + 1
		}
		return p
	})
}

// run matches the longest run, at most limit long when limit > 0, of code
// points that satisfy in: [..]+ or \p{..}+, or \p{..}{1,limit}.
func run(in func(rune, class) bool, limit int) stage {
	return matchAt(func(s span, p int) int {
		e := s.runWhile(p, in)
		if limit > 0 && e-p > limit {
			e = p + limit
		}
		return e
	})
}

// prefixedRun matches an optional code point satisfying pre followed by a
// run of code points satisfying in: \s?[..]+ or ' ?[..]+'. As the regex
// does, it takes the prefix only when the run follows it.
func prefixedRun(pre, in func(rune, class) bool) stage {
	return matchAt(func(s span, p int) int {
		if pre(s.r[p], s.c[p]) && p+1 < s.len() && in(s.r[p+1], s.c[p+1]) {
			return s.runWhile(p+1, in)
		}
		return s.runWhile(p, in)
	})
}

// threeDigits matches [0-9][0-9][0-9].
var threeDigits = matchAt(func(s span, p int) int {
	if p+2 < s.len() && isDigit(s.r[p], 0) && isDigit(s.r[p+1], 0) && isDigit(s.r[p+2], 0) {
		return p + 3
	}
	return p
})

// trailingSpace matches \s+$: the whitespace that ends a chunk. It searches
// from the end, so that a long run of whitespace inside a chunk costs one
// pass and not one per position.
type trailingSpace struct{}

func (trailingSpace) next(s span, from int) (int, int, bool) {
	start := s.len()
	for start > from && s.c[start-1]&space != 0 {
		start--
	}
	return start, s.len(), start < s.len()
}

// linesAndBreaks matches [^\n]+|[\n]+: it cuts a chunk into lines and the
// line breaks between them.
var linesAndBreaks = matchAt(func(s span, p int) int {
	nl := s.r[p] == '\n'
	e := p + 1
	for e < s.len() && (s.r[e] == '\n') == nl {
		e++
	}
	return e
})
