package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhi/tokenizer/bpetrain"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadTextsErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", "fine")
	for _, c := range []struct {
		path, want string
	}{
		{writeFile(t, dir, "empty.txt", ""), "empty.txt is empty"},
		{writeFile(t, dir, "bad.txt", "héllo\xffworld"), "bad.txt: invalid UTF-8 at byte offset 6"},
		{writeFile(t, dir, "cut.txt", "ab\xe2\x82"), "cut.txt: invalid UTF-8 at byte offset 2"},
		{filepath.Join(dir, "missing.txt"), "missing.txt"},
	} {
		_, err := ReadTexts([]string{good, c.path})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.path, err, c.want)
		}
	}
	if _, err := ReadTexts(nil); err == nil {
		t.Error("no files accepted")
	}
}

// TestSplitTexts checks that the validation part is the last share of the
// bytes of all files, cut at a character boundary, and that the pieces of a
// file cut in two know where they start.
func TestSplitTexts(t *testing.T) {
	texts := []Text{{Name: "a", Data: []byte("0123456789")}, {Name: "b", Data: []byte("abcdefghij")}}
	trainPart, valPart := SplitTexts(texts, 0.25)
	if len(trainPart) != 2 || string(trainPart[1].Data) != "abcde" || len(valPart) != 1 ||
		string(valPart[0].Data) != "fghij" || valPart[0].Offset != 5 || valPart[0].Name != "b" {
		t.Errorf("split %+v | %+v", trainPart, valPart)
	}
	trainPart, valPart = SplitTexts(texts, 0.5)
	if len(trainPart) != 1 || len(valPart) != 1 || valPart[0].Offset != 0 {
		t.Errorf("split at a file boundary: %+v | %+v", trainPart, valPart)
	}
	if trainPart, valPart = SplitTexts(texts, 0); len(trainPart) != 2 || len(valPart) != 0 {
		t.Errorf("no validation: %+v | %+v", trainPart, valPart)
	}
	// "é" is two bytes: a cut between them moves after it.
	trainPart, valPart = SplitTexts([]Text{{Name: "c", Data: []byte("aaaé")}}, 0.2)
	if string(trainPart[0].Data) != "aaaé" || len(valPart) != 0 {
		t.Errorf("cut inside a character: %q | %+v", trainPart[0].Data, valPart)
	}
	trainPart, valPart = SplitTexts([]Text{{Name: "c", Data: []byte("aaéaa")}}, 0.7)
	if string(trainPart[0].Data) != "aa" || string(valPart[0].Data) != "éaa" {
		t.Errorf("cut before a character: %q | %q", trainPart[0].Data, valPart[0].Data)
	}
}

// TestTokenizeBytes checks that a stream's byte counts add up to its text
// and that BOS starts files but not the validation piece of one.
func TestTokenizeBytes(t *testing.T) {
	text := "To be, or not to be: that is the question. 狗 🐕\n"
	var c bpetrain.Corpus
	if err := c.Add("t", []byte(strings.Repeat(text, 20))); err != nil {
		t.Fatal(err)
	}
	v, err := c.Train(300)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizerFrom(v.Metadata(), "")
	if err != nil {
		t.Fatal(err)
	}
	whole := Tokenize(tok, []Text{{Name: "t", Data: []byte(text)}})
	piece := Tokenize(tok, []Text{{Name: "t", Data: []byte(text), Offset: 10}})
	if whole.IDs[0] != v.BOS || piece.IDs[0] == v.BOS || len(whole.IDs) != len(piece.IDs)+1 {
		t.Fatalf("streams %v and %v: want BOS %d first in the first only", whole.IDs, piece.IDs, v.BOS)
	}
	for _, s := range []Stream{whole, piece} {
		var n int
		for _, b := range s.Bytes {
			n += int(b)
		}
		if n != len(text) || len(s.Bytes) != len(s.IDs) {
			t.Errorf("%d tokens count %d bytes, want %d", len(s.IDs), n, len(text))
		}
	}
}

// TestValidationWindows checks that the windows predict every token but
// the first exactly once, and that spread picks evenly.
func TestValidationWindows(t *testing.T) {
	for _, c := range []struct{ n, t, windows int }{{2, 4, 1}, {9, 4, 2}, {10, 4, 3}, {100, 7, 15}} {
		ws := validationWindows(c.n, c.t)
		predicted := make([]int, c.n)
		for _, w := range ws {
			if w.n < 1 || w.n > c.t || w.start+w.n >= c.n {
				t.Fatalf("n=%d t=%d: window %+v", c.n, c.t, w)
			}
			for i := w.start + 1; i <= w.start+w.n; i++ {
				predicted[i]++
			}
		}
		if len(ws) != c.windows || predicted[0] != 0 {
			t.Errorf("n=%d t=%d: %d windows, want %d", c.n, c.t, len(ws), c.windows)
		}
		for i := 1; i < c.n; i++ {
			if predicted[i] != 1 {
				t.Fatalf("n=%d t=%d: token %d predicted %d times", c.n, c.t, i, predicted[i])
			}
		}
	}
	ws := validationWindows(1000, 10)
	if got := spread(ws, 4); len(got) != 4 || got[0] != ws[0] || got[3] != ws[75] {
		t.Errorf("spread: %v", got)
	}
	if len(spread(ws, 0)) != len(ws) || len(spread(ws, 1000)) != len(ws) {
		t.Error("spread of all windows is not all of them")
	}
	if len(validationWindows(1, 4)) != 0 {
		t.Error("a single token has windows")
	}
}

// TestEvaluate checks the validation loss against EvalLoss on the same
// windows and bits per byte against its definition.
func TestEvaluate(t *testing.T) {
	m, err := New(tinyConfig(true), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := Stream{}
	for i := range 19 {
		s.IDs = append(s.IDs, int32(i*7%11))
		s.Bytes = append(s.Bytes, int32(1+i%3))
	}
	ws := validationWindows(len(s.IDs), 8) // two windows of 8 and one of 2
	loss, bpb, tokens, err := m.evaluate(s, ws, 2)
	if err != nil {
		t.Fatal(err)
	}
	var nll float64
	var nbytes int
	for _, w := range ws {
		l, err := m.EvalLoss(Batch{Inputs: [][]int32{s.IDs[w.start : w.start+w.n]}, Targets: [][]int32{s.IDs[w.start+1 : w.start+w.n+1]}})
		if err != nil {
			t.Fatal(err)
		}
		nll += float64(l) * float64(w.n)
		for _, b := range s.Bytes[w.start+1 : w.start+w.n+1] {
			nbytes += int(b)
		}
	}
	if tokens != 18 || math.Abs(loss-nll/18) > 1e-5 || math.Abs(bpb-nll/math.Ln2/float64(nbytes)) > 1e-5 {
		t.Errorf("evaluate: loss %g, bpb %g over %d tokens; want %g, %g over 18", loss, bpb, tokens, nll/18, nll/math.Ln2/float64(nbytes))
	}
}
