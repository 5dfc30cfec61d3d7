package tokenizer

import "container/heap"

// Both the SentencePiece-style and the byte-level BPE tokenizers start from
// one symbol per UTF-8 character and keep merging the best adjacent pair,
// the leftmost one on ties. mergeWord does that for both; they differ only
// in how a pair is ranked.

// pairCost ranks the merge of two adjacent symbols, given their texts and
// the text of both together: lower costs merge first; ok is false when the
// pair cannot merge.
type pairCost func(left, right, joined string) (cost float64, ok bool)

// symbol is a run of bytes of the word being merged, linked to its
// neighbours; a symbol merged into its left neighbour has n == 0.
type symbol struct {
	start, n   int
	prev, next int
}

// candidate is a possible merge of symbols left and right; size is their
// combined length when the candidate was made, which tells stale
// candidates apart: a symbol only ever grows by absorbing its right
// neighbour, so a changed pair has a changed combined length.
type candidate struct {
	cost        float64
	left, right int
	size        int
}

type candidateQueue []candidate

func (q candidateQueue) Len() int { return len(q) }
func (q candidateQueue) Less(i, j int) bool {
	if q[i].cost != q[j].cost {
		return q[i].cost < q[j].cost
	}
	return q[i].left < q[j].left
}
func (q candidateQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *candidateQueue) Push(x any)   { *q = append(*q, x.(candidate)) }
func (q *candidateQueue) Pop() (x any) { x, *q = (*q)[len(*q)-1], (*q)[:len(*q)-1]; return x }

// mergeWord splits word into UTF-8 characters (by lead byte, as the
// reference does, without validating), merges pairs in order of cost and
// calls emit with each final symbol's text, left to right.
func mergeWord(word string, cost pairCost, emit func(string)) {
	if word == "" {
		return
	}
	syms := make([]symbol, 0, len(word))
	for off := 0; off < len(word); {
		n := min(seqLen(word[off]), len(word)-off)
		i := len(syms)
		syms = append(syms, symbol{start: off, n: n, prev: i - 1, next: i + 1})
		off += n
	}
	syms[len(syms)-1].next = -1

	text := func(s symbol) string { return word[s.start : s.start+s.n] }
	var queue candidateQueue
	consider := func(left, right int) {
		if left < 0 || right < 0 {
			return
		}
		l, r := syms[left], syms[right]
		c, ok := cost(text(l), text(r), word[l.start:r.start+r.n])
		if ok {
			heap.Push(&queue, candidate{cost: c, left: left, right: right, size: l.n + r.n})
		}
	}
	for i := 1; i < len(syms); i++ {
		consider(i-1, i)
	}
	for queue.Len() > 0 {
		c := heap.Pop(&queue).(candidate)
		l, r := &syms[c.left], &syms[c.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != c.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if l.next >= 0 {
			syms[l.next].prev = c.left
		}
		consider(l.prev, c.left)
		consider(c.left, l.next)
	}
	for i := 0; i >= 0; i = syms[i].next {
		emit(text(syms[i]))
	}
}
