package pretokenize

// The word matchers below each stand for one of the big alternations that
// split text into words, numbers, punctuation and whitespace. They give,
// for a start position, the end of the match the regex finds there: its
// first alternative that matches, with greedy quantifiers backtracking only
// as far as they must.

// lowerASCII folds A-Z to a-z; only ASCII letters fold to the letters of a
// contraction in the reference's case table.
func lowerASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// contractionEnd returns the end of 's|'t|'re|'ve|'m|'ll|'d at p, or p when
// none starts there; fold makes the letters case-insensitive.
func contractionEnd(s span, p int, fold bool) int {
	if s.at(p) != '\'' {
		return p
	}
	a, b := s.at(p+1), s.at(p+2)
	if fold {
		a, b = lowerASCII(a), lowerASCII(b)
	}
	switch {
	case a == 's' || a == 't' || a == 'm' || a == 'd':
		return p + 2
	case (a == 'r' || a == 'v') && b == 'e', a == 'l' && b == 'l':
		return p + 3
	}
	return p
}

// spaceEnd matches \s*[\r\n]+|\s+(?!\S)|\s+ at p, or only its last two
// alternatives when newlines is false. Whitespace up to the last line
// break of a run goes together; otherwise a run that more text follows
// leaves its last code point to that text. It returns p when there is no
// whitespace at p.
func spaceEnd(s span, p int, newlines bool) int {
	e := s.runOf(p, space)
	if newlines {
		for i := e - 1; i >= p; i-- {
			if s.r[i] == '\r' || s.r[i] == '\n' {
				return i + 1
			}
		}
	}
	if e-p > 1 && e < s.len() {
		return e - 1
	}
	return e
}

// gpt2Word is the reference's hand-written matcher for the GPT-2 pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// which it uses in place of the regex (the trailing |\s+ is implied: the
// reference's list omits it, and a lone unmatched space ends up a chunk of
// its own either way).
var gpt2Word = matchAt(func(s span, p int) int {
	if e := contractionEnd(s, p, false); e > p {
		return e
	}
	q := p // after the optional space
	if s.r[p] == ' ' {
		q++
	}
	if q < s.len() {
		switch c := s.c[q]; {
		case c&letter != 0:
			return s.runOf(q, letter)
		case c&number != 0:
			return s.runOf(q, number)
		case c&(space|letter|number) == 0:
			return s.runNot(q, space|letter|number)
		}
	}
	if e := spaceEnd(s, p, false); e > p {
		return e
	}
	return p + 1 // not reached: every code point is matched above
})

// wordRule matches the Llama 3 family of patterns, whose model is Llama 3's
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// (the reference runs a hand-written matcher for exactly that one and the
// regex for the others; both come to this).
type wordRule struct {
	contractions bool // the (?i:'s|...) alternative is there
	marks        bool // words are [\p{L}\p{M}]+ and punctuation excludes \p{M}
	maxDigits    int  // \p{N}{1,maxDigits}; 0 for \p{N}+
	punctBreaks  bool // punctuation takes the line breaks after it: [\r\n]*
}

func (w wordRule) end(s span, p int) int {
	if w.contractions {
		if e := contractionEnd(s, p, true); e > p {
			return e
		}
	}
	r, c := s.r[p], s.c[p]
	word := letter
	if w.marks {
		word |= mark
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+: a word, with one leading code point that is
	// neither a line break nor alphanumeric.
	if c&word != 0 {
		return s.runOf(p, word)
	}
	if r != '\r' && r != '\n' && c&(letter|number) == 0 && s.cls(p+1)&word != 0 {
		return s.runOf(p+1, word)
	}
	if c&number != 0 {
		e := s.runOf(p, number)
		if w.maxDigits > 0 && e-p > w.maxDigits {
			e = p + w.maxDigits
		}
		return e
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	q := p
	if r == ' ' {
		q++
	}
	if notPunct := space | word | number; q < s.len() && s.c[q]&notPunct == 0 {
		e := s.runNot(q, notPunct)
		if w.punctBreaks {
			e = s.skipNewlines(e)
		}
		return e
	}
	if e := spaceEnd(s, p, true); e > p {
		return e
	}
	return p + 1 // not reached: every code point is matched above
}

// casedWordRule matches the patterns of Tekken and GPT-4o, which split
// words at case changes. The reference rewrites
// [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]* as ((?=[\p{L}])([^a-z]))* and
// [\p{Ll}\p{Lm}\p{Lo}\p{M}]+ as ((?=[\p{L}])([^A-Z]))+, so what it runs is
//
//	[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+C?|
//	[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*C?|
//	\p{N}{1,k}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with C the contractions ('[sS]|'[tT]|...) for GPT-4o, none for Tekken.
// A non-ASCII letter is thus both "upper" and "lower".
type casedWordRule struct {
	contractions bool // words may end in a contraction
	maxDigits    int  // \p{N}{1,maxDigits}
}

func (w casedWordRule) end(s span, p int) int {
	upper := func(i int) bool { return s.cls(i)&letter != 0 && (s.r[i] < 'a' || s.r[i] > 'z') }
	lower := func(i int) bool { return s.cls(i)&letter != 0 && (s.r[i] < 'A' || s.r[i] > 'Z') }
	lowerRun := func(i int) int {
		for lower(i) {
			i++
		}
		return i
	}
	r, c := s.r[p], s.c[p]
	q := p // after the optional leading code point
	if r != '\r' && r != '\n' && c&(letter|number) == 0 {
		q++
	}
	u := q
	for upper(u) {
		u++
	}
	e := q
	// upper* lower+: the upper run gives back code points until a lower
	// one can start the rest; failing that, upper+ lower*.
	for j := u; j >= q && e == q; j-- {
		if lower(j) {
			e = lowerRun(j)
		}
	}
	if e == q && u > q {
		e = lowerRun(u)
	}
	if e > q {
		if w.contractions {
			e = contractionEnd(s, e, true)
		}
		return e
	}
	if c&number != 0 {
		return min(s.runOf(p, number), p+w.maxDigits)
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
	q = p
	if r == ' ' {
		q++
	}
	if q < s.len() && s.c[q]&(space|letter|number) == 0 {
		e := s.runNot(q, space|letter|number)
		for e < s.len() && (s.r[e] == '\r' || s.r[e] == '\n' || s.r[e] == '/') {
			e++
		}
		return e
	}
	if e := spaceEnd(s, p, true); e > p {
		return e
	}
	return p + 1 // not reached: every code point is matched above
}

// isASCIIPunct reports whether r is one of the 32 ASCII punctuation and
// symbol characters.
func isASCIIPunct(r rune) bool {
	return r >= '!' && r <= '/' || r >= ':' && r <= '@' || r >= '[' && r <= '`' || r >= '{' && r <= '~'
}

func isASCIILetter(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }

// isPunctOrSymbol is [\p{P}\p{S}] as the reference matches it: its ASCII
// list for \p{S} lacks '~'.
func isPunctOrSymbol(r rune, c class) bool {
	return c&punct != 0 || c&symbol != 0 && r != '~'
}

// deepseek3Word matches the last pattern of DeepSeek V3:
//
//	[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|
//	[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|
//	\s*[\r\n]+|\s+(?!\S)|\s+
//
// Numbers are cut out before it runs, and anything it does not match, such
// as a '~' on its own, stays between matches as a chunk of its own.
var deepseek3Word = matchAt(func(s span, p int) int {
	r, c := s.r[p], s.c[p]
	if isASCIIPunct(r) && isASCIILetter(s.at(p+1)) {
		e := p + 1
		for isASCIILetter(s.at(e)) {
			e++
		}
		return e
	}
	if c&(letter|mark) != 0 {
		return s.runOf(p, letter|mark)
	}
	if r != '\r' && r != '\n' && c&letter == 0 && !isPunctOrSymbol(r, c) && s.cls(p+1)&(letter|mark) != 0 {
		return s.runOf(p+1, letter|mark)
	}
	q := p
	if r == ' ' {
		q++
	}
	if q < s.len() && isPunctOrSymbol(s.r[q], s.c[q]) {
		return s.skipNewlines(s.runWhile(q, isPunctOrSymbol))
	}
	return spaceEnd(s, p, true)
})
