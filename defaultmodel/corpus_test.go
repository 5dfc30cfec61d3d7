package defaultmodel

import (
	"strings"
	"testing"
)

func TestCorpusDeterministic(t *testing.T) {
	a, pa := Corpus(1, 20000)
	b, pb := Corpus(1, 20000)
	c, _ := Corpus(2, 20000)
	if a != b || len(pa) != len(pb) {
		t.Fatal("the same seed gave two corpora")
	}
	if a == c {
		t.Fatal("two seeds gave the same corpus")
	}
	if len(a) < 20000 || len(a) > 20200 {
		t.Errorf("corpus of %d bytes, asked for 20000", len(a))
	}
}

// The seed's sentence is the most frequent line, and every answer the chat
// turns teach also appears in the pretraining text's facts.
func TestCorpusContent(t *testing.T) {
	text, pairs := Corpus(7, 200000)
	counts := map[string]int{}
	for line := range strings.Lines(text) {
		counts[strings.TrimSuffix(line, "\n")]++
	}
	best, most := "", 0
	for line, n := range counts {
		if n > most {
			best, most = line, n
		}
	}
	if best != "The cat sat on the mat." {
		t.Errorf("most frequent line %q (%d times)", best, most)
	}
	for _, p := range pairs {
		if !strings.Contains(text, p.Answer) {
			t.Errorf("answer %q never appears in the text", p.Answer)
		}
	}
}
