// Package bpetrain trains byte-level BPE tokenizers of the kind GGUF files
// describe with tokenizer.ggml.model "gpt2", for zhi's tokenizer package and
// the reference engine (llama.cpp) to load.
//
// Text is split by the Llama 3 pre-tokenizer into words, which are counted;
// each word starts as a sequence of byte tokens. Training then merges the
// most frequent adjacent pair of tokens, counted over all words weighted by
// their counts, into a new token, until the vocabulary has the size asked
// for. Pair counts are kept up to date incrementally: a merge visits only
// the words that hold the pair (an index maps each pair to them) and
// adjusts the counts of the pairs around each occurrence, and a heap of
// pairs, whose outdated entries are skipped, yields the next merge.
//
// Training is deterministic: equal counts are ordered by the bytes of the
// merged token, then by those of its left part.
package bpetrain

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
)

// Pre is the pre-tokenizer training splits text with and the vocabulary
// names in tokenizer.ggml.pre: Llama 3's, which llama.cpp also knows.
const Pre = "llama-bpe"

// The special tokens every vocabulary ends with. BeginOfText and EndOfText
// are its BOS and EOS tokens; ImStart and ImEnd mark chat turns.
const (
	BeginOfText = "<|begin_of_text|>"
	EndOfText   = "<|end_of_text|>"
	ImStart     = "<|im_start|>"
	ImEnd       = "<|im_end|>"
)

var specialTokens = []string{BeginOfText, EndOfText, ImStart, ImEnd}

// Vocabulary sizes Train accepts: at least the byte and special tokens,
// and few enough for token ids to stay far from int32 limits.
const (
	MinVocabSize = 256 + 4
	MaxVocabSize = 1 << 24
)

// Train learns a vocabulary of vocabSize tokens from the corpus: the 256
// byte tokens, the merged tokens, then the special tokens. A corpus too
// small to yield that many merged tokens gives a smaller vocabulary.
func (c *Corpus) Train(vocabSize int) (*Vocab, error) {
	if vocabSize < MinVocabSize || vocabSize > MaxVocabSize {
		return nil, fmt.Errorf("bpetrain: vocabulary size %d out of range [%d, %d]", vocabSize, MinVocabSize, MaxVocabSize)
	}
	if c.bytes == 0 {
		return nil, fmt.Errorf("bpetrain: no training text")
	}
	t := newTrainer(c.words)
	for len(t.tokens)+len(specialTokens) < vocabSize && t.step() {
	}
	return t.vocab(), nil
}

// pair is two adjacent tokens.
type pair struct{ left, right int32 }

// word is a distinct word of the corpus as its current tokens.
type word struct {
	tokens []int32
	count  int64
}

// trainer holds the state of training.
type trainer struct {
	words  []word
	tokens []string         // the bytes of each token, by id
	ids    map[string]int32 // the id of each token's bytes
	merges []pair           // in the order they were made

	counts map[pair]int64 // weighted occurrences of each pair, all > 0
	// where lists, for each counted pair, the words it occurred in when it
	// was counted up: a superset of those that hold it now, maybe with
	// repeats.
	where   map[pair][]int32
	queue   pairQueue
	changed map[pair]bool // pairs whose count the current merge changed
	// visited is, for each word, the number of merges made when the word
	// was last visited, so that a merge visits each word once.
	visited []int
}

// newTrainer starts training on words spelled as byte tokens, in sorted
// order so that nothing depends on map order.
func newTrainer(counts map[string]int64) *trainer {
	t := &trainer{
		ids:     make(map[string]int32),
		counts:  make(map[pair]int64),
		where:   make(map[pair][]int32),
		changed: make(map[pair]bool),
	}
	t.queue.tokens = &t.tokens
	for b := range 256 {
		t.addToken(string([]byte{byte(b)}))
	}
	texts := make([]string, 0, len(counts))
	for text := range counts {
		texts = append(texts, text)
	}
	slices.Sort(texts)
	t.words = make([]word, len(texts))
	t.visited = make([]int, len(texts))
	for w, text := range texts {
		tokens := make([]int32, len(text))
		for i := range len(text) {
			tokens[i] = int32(text[i])
		}
		t.words[w] = word{tokens: tokens, count: counts[text]}
		for i := 1; i < len(tokens); i++ {
			t.count(pair{tokens[i-1], tokens[i]}, counts[text], int32(w))
		}
	}
	for p, n := range t.counts {
		t.queue.entries = append(t.queue.entries, queued{p, n})
	}
	heap.Init(&t.queue)
	clear(t.changed)
	return t
}

// addToken adds a token with the given bytes and returns its id.
func (t *trainer) addToken(raw string) int32 {
	id := int32(len(t.tokens))
	t.tokens = append(t.tokens, raw)
	t.ids[raw] = id
	return id
}

// count adds delta occurrences of p; a positive delta comes from word w.
func (t *trainer) count(p pair, delta int64, w int32) {
	t.counts[p] += delta
	t.changed[p] = true
	if delta > 0 {
		if ws := t.where[p]; len(ws) == 0 || ws[len(ws)-1] != w {
			t.where[p] = append(ws, w)
		}
	}
}

// step makes the next merge; it reports false when no pair is left.
func (t *trainer) step() bool {
	for t.queue.Len() > 0 {
		e := heap.Pop(&t.queue).(queued)
		if t.counts[e.pair] == e.count {
			t.merge(e.pair)
			return true
		}
	}
	return false
}

// merge replaces every occurrence of p by one token, new unless a token
// with its bytes exists already, and updates the counts of the pairs
// around each occurrence.
func (t *trainer) merge(p pair) {
	joined := t.tokens[p.left] + t.tokens[p.right]
	id, ok := t.ids[joined]
	if !ok {
		id = t.addToken(joined)
	}
	t.merges = append(t.merges, p)
	for _, w := range t.where[p] {
		if t.visited[w] != len(t.merges) {
			t.visited[w] = len(t.merges)
			t.mergeInWord(w, p, id)
		}
	}
	delete(t.where, p)
	for q := range t.changed {
		if n := t.counts[q]; n > 0 {
			heap.Push(&t.queue, queued{q, n})
		} else {
			delete(t.counts, q)
			delete(t.where, q)
		}
	}
	clear(t.changed)
}

// mergeInWord replaces the occurrences of p in word w by token id, left to
// right, in place. Around an occurrence, the pair with the token before it
// (already merged, if it was an occurrence too) and the pair with the
// token after it (not yet merged) are replaced by pairs with id.
func (t *trainer) mergeInWord(w int32, p pair, id int32) {
	wd := &t.words[w]
	in, k := wd.tokens, wd.count
	out := in[:0]
	for i := 0; i < len(in); i++ {
		if i+1 == len(in) || in[i] != p.left || in[i+1] != p.right {
			out = append(out, in[i])
			continue
		}
		t.count(p, -k, w)
		if len(out) > 0 {
			prev := out[len(out)-1]
			t.count(pair{prev, p.left}, -k, w)
			t.count(pair{prev, id}, k, w)
		}
		if i+2 < len(in) {
			next := in[i+2]
			t.count(pair{p.right, next}, -k, w)
			t.count(pair{id, next}, k, w)
		}
		out = append(out, id)
		i++
	}
	wd.tokens = out
}

// queued is a heap entry: a pair and its count when pushed. An entry whose
// count differs from the pair's current one is outdated.
type queued struct {
	pair
	count int64
}

// pairQueue is a max-heap of pairs by before.
type pairQueue struct {
	entries []queued
	tokens  *[]string
}

func (q *pairQueue) Len() int           { return len(q.entries) }
func (q *pairQueue) Less(i, j int) bool { return before(*q.tokens, q.entries[i], q.entries[j]) }
func (q *pairQueue) Swap(i, j int)      { q.entries[i], q.entries[j] = q.entries[j], q.entries[i] }
func (q *pairQueue) Push(x any)         { q.entries = append(q.entries, x.(queued)) }
func (q *pairQueue) Pop() any {
	e := q.entries[len(q.entries)-1]
	q.entries = q.entries[:len(q.entries)-1]
	return e
}

// before reports whether pair a merges before pair b: it has a higher
// count, or an equal one and its merged bytes sort first, or those are
// equal too and its left part's bytes sort first.
func before(tokens []string, a, b queued) bool {
	if a.count != b.count {
		return a.count > b.count
	}
	al, ar, bl, br := tokens[a.left], tokens[a.right], tokens[b.left], tokens[b.right]
	if c := compareJoined(al, ar, bl, br); c != 0 {
		return c < 0
	}
	return al < bl
}

// compareJoined compares a1+a2 with b1+b2 without joining them.
func compareJoined(a1, a2, b1, b2 string) int {
	at := func(x, y string, i int) byte {
		if i < len(x) {
			return x[i]
		}
		return y[i-len(x)]
	}
	na, nb := len(a1)+len(a2), len(b1)+len(b2)
	for i := range min(na, nb) {
		if ca, cb := at(a1, a2, i), at(b1, b2, i); ca != cb {
			return cmp.Compare(ca, cb)
		}
	}
	return cmp.Compare(na, nb)
}
