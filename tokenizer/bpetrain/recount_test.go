package bpetrain

import (
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestIncrementalCounts trains on random text, recounting all pairs from
// the words after every merge and comparing with the counts kept up to
// date, and compares the merges with those of a trainer that recounts
// everything every time.
func TestIncrementalCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, alphabet := range []string{"ab ", "abc d\n", "aé中 😀"} {
		var c Corpus
		if err := c.Add("random", []byte(randomText(r, 3000, alphabet))); err != nil {
			t.Fatal(err)
		}
		tr := newTrainer(c.words)
		for tr.step() {
			checkCounts(t, tr)
		}
		if len(tr.merges) < 50 {
			t.Fatalf("alphabet %q: only %d merges", alphabet, len(tr.merges))
		}
		var got [][2]string
		for _, p := range tr.merges {
			got = append(got, [2]string{tr.tokens[p.left], tr.tokens[p.right]})
		}
		if want := naiveMerges(c.words); !slices.Equal(got, want) {
			t.Fatalf("alphabet %q: merges differ from a full recount's:\n%q\n%q", alphabet, got, want)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(tr.ids)), slices.Sorted(slices.Values(tr.tokens))) {
			t.Fatalf("alphabet %q: token texts are not distinct", alphabet)
		}
		t.Logf("alphabet %q: %d merges, %d tokens", alphabet, len(tr.merges), len(tr.tokens))
	}
}

// checkCounts compares the trainer's pair counts with a recount of its
// words and checks that the index finds every word holding each pair.
func checkCounts(t *testing.T, tr *trainer) {
	t.Helper()
	want := make(map[pair]int64)
	holders := make(map[pair][]int32)
	for w, wd := range tr.words {
		for i := 1; i < len(wd.tokens); i++ {
			p := pair{wd.tokens[i-1], wd.tokens[i]}
			want[p] += wd.count
			holders[p] = append(holders[p], int32(w))
		}
	}
	if !maps.Equal(tr.counts, want) {
		t.Fatalf("after %d merges: incremental counts differ from a recount", len(tr.merges))
	}
	for p, ws := range holders {
		for _, w := range ws {
			if !slices.Contains(tr.where[p], w) {
				t.Fatalf("after %d merges: word %d holds pair %v but is not indexed", len(tr.merges), w, p)
			}
		}
	}
}

// naiveMerges trains by recounting every pair of every word before each
// merge, with tokens as byte strings, and returns the merges made.
func naiveMerges(counts map[string]int64) [][2]string {
	type naiveWord struct {
		tokens []string
		count  int64
	}
	var words []naiveWord
	for text, n := range counts {
		var tokens []string
		for i := range len(text) {
			tokens = append(tokens, text[i:i+1])
		}
		words = append(words, naiveWord{tokens, n})
	}
	var merges [][2]string
	for {
		pairs := make(map[[2]string]int64)
		for _, w := range words {
			for i := 1; i < len(w.tokens); i++ {
				pairs[[2]string{w.tokens[i-1], w.tokens[i]}] += w.count
			}
		}
		if len(pairs) == 0 {
			return merges
		}
		var best [2]string
		var bestN int64
		for p, n := range pairs {
			better := n > bestN || n == bestN && (p[0]+p[1] < best[0]+best[1] || p[0]+p[1] == best[0]+best[1] && p[0] < best[0])
			if better {
				best, bestN = p, n
			}
		}
		merges = append(merges, best)
		for i, w := range words {
			var out []string
			for j := 0; j < len(w.tokens); j++ {
				if j+1 < len(w.tokens) && w.tokens[j] == best[0] && w.tokens[j+1] == best[1] {
					out = append(out, best[0]+best[1])
					j++
					continue
				}
				out = append(out, w.tokens[j])
			}
			words[i].tokens = out
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
