package pretokenize

import "unicode/utf8"

// span is the text of one chunk as code points and their classes. Matchers
// see only their chunk: a lookahead or an end anchor stops at its end, as
// the reference engine's regex iterator does.
type span struct {
	r []rune
	c []class
}

func (s span) len() int { return len(s.r) }

// at returns the code point at i, or -1 past the end of the chunk.
func (s span) at(i int) rune {
	if i < len(s.r) {
		return s.r[i]
	}
	return -1
}

// cls returns the class at i, or none past the end of the chunk.
func (s span) cls(i int) class {
	if i < len(s.c) {
		return s.c[i]
	}
	return 0
}

// runOf returns the end of the run of code points from i that have a class
// bit in mask.
func (s span) runOf(i int, mask class) int {
	for i < len(s.c) && s.c[i]&mask != 0 {
		i++
	}
	return i
}

// runNot returns the end of the run of code points from i that have no
// class bit in mask.
func (s span) runNot(i int, mask class) int {
	for i < len(s.c) && s.c[i]&mask == 0 {
		i++
	}
	return i
}

// runWhile returns the end of the run of code points from i that satisfy in.
func (s span) runWhile(i int, in func(rune, class) bool) int {
	for i < len(s.r) && in(s.r[i], s.c[i]) {
		i++
	}
	return i
}

// skipNewlines returns the end of the run of \r and \n from i.
func (s span) skipNewlines(i int) int {
	for i < len(s.r) && (s.r[i] == '\r' || s.r[i] == '\n') {
		i++
	}
	return i
}

// A stage is one regular expression of a pre-tokenizer. Like the
// reference's regex split, it cuts each chunk into its matches and the
// stretches between them, and all of those become chunks.
type stage interface {
	// next returns the leftmost match in s that starts at or after from,
	// or ok false when there is none. Matches are never empty.
	next(s span, from int) (start, end int, ok bool)
}

// matchAt is a stage given by the end of the match that starts at p, or a
// value not past p when none starts there; the search tries each position
// in turn, as a regex search does.
type matchAt func(s span, p int) int

func (m matchAt) next(s span, from int) (int, int, bool) {
	for p := from; p < s.len(); p++ {
		if e := m(s, p); e > p {
			return p, e, true
		}
	}
	return 0, 0, false
}

// resplit applies st to each chunk, given as code point end offsets, and
// returns the end offsets of the chunks it makes.
func resplit(st stage, r []rune, c []class, ends []int) []int {
	// Chunks average a few code points; the hint saves most regrowth.
	out := make([]int, 0, len(ends)+len(r)/4)
	start := 0
	for _, end := range ends {
		s := span{r[start:end], c[start:end]}
		pos := 0
		for pos < s.len() {
			ms, me, ok := st.next(s, pos)
			if !ok {
				break
			}
			if ms > pos {
				out = append(out, start+ms)
			}
			out = append(out, start+me)
			pos = me
		}
		if pos < s.len() {
			out = append(out, end)
		}
		start = end
	}
	return out
}

// pipeline is a Splitter that applies its stages in order, each one
// re-splitting the chunks of the one before.
type pipeline []stage

// Split implements Splitter.
func (p pipeline) Split(text string) []string {
	if text == "" {
		return nil
	}
	t := classes()
	ascii := &t.blocks[t.index[0]]
	runes := make([]rune, 0, len(text))
	cls := make([]class, 0, len(text))
	width := make([]uint8, 0, len(text)) // of each code point in bytes
	for i := 0; i < len(text); {
		if b := text[i]; b < utf8.RuneSelf {
			runes = append(runes, rune(b))
			cls = append(cls, ascii[b])
			width = append(width, 1)
			i++
			continue
		}
		r, n := DecodeRune(text[i:])
		runes = append(runes, r)
		cls = append(cls, t.of(r))
		width = append(width, uint8(n))
		i += n
	}

	ends := []int{len(runes)}
	for _, st := range p {
		ends = resplit(st, runes, cls, ends)
	}
	chunks := make([]string, len(ends))
	start, off := 0, 0
	for i, end := range ends {
		n := 0
		for _, w := range width[start:end] {
			n += int(w)
		}
		chunks[i] = text[off : off+n]
		start, off = end, off+n
	}
	return chunks
}
