package bpetrain

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustTrain(t testing.TB, text string, vocabSize int) *Vocab {
	t.Helper()
	var c Corpus
	if err := c.Add("text", []byte(text)); err != nil {
		t.Fatal(err)
	}
	v, err := c.Train(vocabSize)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTrainByHand checks a corpus worked out on paper. Its words are "hug",
// " hug" ×2, " pug" ×2 and " bun": "u g" is most frequent (5), then "h ug"
// (3); then " hug", " p" and "pug" all count 2 and go in byte order; the
// pairs of " bun" count 1.
func TestTrainByHand(t *testing.T) {
	const text = "hug hug hug pug pug bun"
	want := []string{"u g", "h ug", "Ġ hug", "Ġ p", "Ġp ug", "Ġ b", "Ġb u", "Ġbu n"}
	v := mustTrain(t, text, 300)
	if !slices.Equal(v.Merges, want) {
		t.Fatalf("merges %q, want %q", v.Merges, want)
	}
	wantTokens := []string{"ug", "hug", "Ġhug", "Ġp", "Ġpug", "Ġb", "Ġbu", "Ġbun", BeginOfText, EndOfText, ImStart, ImEnd}
	if got := v.Tokens[256:]; !slices.Equal(got, wantTokens) {
		t.Fatalf("tokens after the bytes %q, want %q", got, wantTokens)
	}
	if v.Tokens[' '] != "Ġ" || v.Tokens['\n'] != "Ċ" || v.Tokens['a'] != "a" || v.Tokens[0xFF] != "ÿ" {
		t.Errorf("byte tokens spelled %q %q %q %q", v.Tokens[' '], v.Tokens['\n'], v.Tokens['a'], v.Tokens[0xFF])
	}
	if v.BOS != 264 || v.EOS != 265 || v.Types[263] != typeNormal || v.Types[264] != typeControl || v.Types[267] != typeControl {
		t.Errorf("BOS %d EOS %d types %v", v.BOS, v.EOS, v.Types[262:])
	}

	// Stopping at the vocabulary size.
	v = mustTrain(t, text, 262)
	if len(v.Tokens) != 262 || !slices.Equal(v.Merges, want[:2]) {
		t.Errorf("vocabulary of 262: %d tokens, merges %q", len(v.Tokens), v.Merges)
	}
}

func TestTrainErrors(t *testing.T) {
	var c Corpus
	if err := c.Add("a.txt", []byte("héllo\xffworld")); err == nil || !strings.Contains(err.Error(), "a.txt: invalid UTF-8 at byte offset 6") {
		t.Errorf("invalid UTF-8: %v", err)
	}
	// A surrogate encoded in UTF-8 is not valid UTF-8 either.
	if err := c.Add("b.txt", []byte("ok \xed\xa0\x80")); err == nil || !strings.Contains(err.Error(), "b.txt: invalid UTF-8 at byte offset 3") {
		t.Errorf("surrogate: %v", err)
	}
	if _, err := c.Train(1000); err == nil || !strings.Contains(err.Error(), "no training text") {
		t.Errorf("empty corpus: %v", err)
	}
	if err := c.Add("empty.txt", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Train(1000); err == nil {
		t.Errorf("corpus of an empty file trained")
	}
	if err := c.AddFile(filepath.Join(t.TempDir(), "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: %v", err)
	}
	if err := c.Add("c.txt", []byte("some text")); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{-1, 0, MinVocabSize - 1, MaxVocabSize + 1} {
		if _, err := c.Train(n); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("vocabulary size %d: %v", n, err)
		}
	}
}

// TestDeterministic trains twice on the same text and compares the files.
func TestDeterministic(t *testing.T) {
	text := randomText(rand.New(rand.NewPCG(1, 2)), 20000, "ab cdé\n中")
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		path := filepath.Join(dir, "tok.gguf")
		if err := mustTrain(t, text, 600).WriteFile(path); err != nil {
			t.Fatal(err)
		}
		files[i] = readFile(t, path)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two trainings on the same text wrote different files")
	}
}

// randomText returns n characters drawn from alphabet, with a bias to
// repeat recent ones, so that pairs overlap ("aaaa") and recur.
func randomText(r *rand.Rand, n int, alphabet string) string {
	chars := []rune(alphabet)
	var b strings.Builder
	prev := chars[0]
	for range n {
		c := chars[r.IntN(len(chars))]
		if r.IntN(3) == 0 {
			c = prev
		}
		b.WriteRune(c)
		prev = c
	}
	return b.String()
}
