package pretokenize

// Chameleon's list starts with expressions for its sentinel and image
// tokens and its indentation.

// hasPrefix reports whether the code points from p spell lit.
func (s span) hasPrefix(p int, lit string) bool {
	for _, r := range lit {
		if s.at(p) != r {
			return false
		}
		p++
	}
	return true
}

// sentinelToken matches <sentinel:[0-9]+>.
var sentinelToken = matchAt(func(s span, p int) int {
	const open = "<sentinel:"
	if !s.hasPrefix(p, open) {
		return p
	}
	q := p + len(open)
	e := s.runWhile(q, isDigit)
	if e == q || s.at(e) != '>' {
		return p
	}
	return e + 1
})

// imageToken matches (IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z. The letters run
// greedily and give back only to find the Z, which no letter A-I is, so a
// run longer than four never matches.
var imageToken = matchAt(func(s span, p int) int {
	const open = "IMGIMG"
	if !s.hasPrefix(p, open) {
		return p
	}
	q := p + len(open)
	e := s.runWhile(q, func(r rune, _ class) bool { return r >= 'A' && r <= 'I' })
	if e == q || e-q > 4 || s.at(e) != 'Z' {
		return p
	}
	return e + 1
})

// chameleonSpace matches ([\t\n]|    |  ): a tab, a newline, or four or
// else two spaces.
var chameleonSpace = matchAt(func(s span, p int) int {
	switch {
	case s.r[p] == '\t' || s.r[p] == '\n':
		return p + 1
	case s.hasPrefix(p, "    "):
		return p + 4
	case s.hasPrefix(p, "  "):
		return p + 2
	}
	return p
})
