package eval

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"zhi/engine"
	"zhi/internal/shared"
)

// open loads a reference model with a context of n tokens.
func open(t *testing.T, model string, n int) *engine.Engine {
	t.Helper()
	e, err := engine.Open(shared.Path(t, "reference", model), engine.Options{Threads: 2, Context: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// shakespeare returns the first n bytes of Tiny Shakespeare, cut at a line
// end so that the text stays valid UTF-8.
func shakespeare(t *testing.T, n int) string {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "data", "tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b[:min(n, len(b))])
	return s[:strings.LastIndexByte(s, '\n')+1]
}

// straightforward computes the perplexity statistics the plain way, to
// check Perplexity against: chunk by chunk, BOS first when the vocabulary
// adds one, log-softmax by hand over the logits of the second half of each
// chunk, bytes counted as the length of the stretch of decoded text the
// scored tokens cover.
func straightforward(t *testing.T, e *engine.Engine, text string, n, maxChunks int) (nll, nll2 float64, count, bytes int) {
	t.Helper()
	words := e.Tokenizer.Encode(text, false, false)
	if e.Tokenizer.Decode(words) != text {
		t.Fatal("the text does not survive tokenization; byte counts would be off")
	}
	tokens := words
	bos, _ := e.Tokenizer.BOS()
	if e.Tokenizer.AddBOS() {
		tokens = append([]int32{bos}, words...)
	}
	lead := len(tokens) - len(words)
	chunks := len(tokens) / n
	if maxChunks > 0 {
		chunks = min(chunks, maxChunks)
	}
	for c := range chunks {
		in := append([]int32(nil), tokens[c*n:(c+1)*n]...)
		if lead > 0 {
			in[0] = bos
		}
		rows, err := e.Logits(in, true)
		if err != nil {
			t.Fatal(err)
		}
		for p := n / 2; p < n-1; p++ {
			next := tokens[c*n+p+1]
			peak := math.Inf(-1)
			for _, v := range rows[p] {
				peak = max(peak, float64(v))
			}
			var sum float64
			for _, v := range rows[p] {
				sum += math.Exp(float64(v) - peak)
			}
			v := peak + math.Log(sum) - float64(rows[p][next])
			nll += v
			nll2 += v * v
			count++
		}
		scored := words[:c*n+n/2+1-lead]
		bytes += len(e.Tokenizer.Decode(words[:(c+1)*n-lead])) - len(e.Tokenizer.Decode(scored))
	}
	return nll, nll2, count, bytes
}

func closeTo(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Abs(want)
}

func TestPerplexityMatchesStraightforward(t *testing.T) {
	for _, c := range []struct {
		model     string
		n         int
		text      int
		maxChunks int
	}{
		{"tiny-llama3-q4_k_m.gguf", 64, 2048, 0}, // BOS, byte-level BPE
		{"tiny-llama3-q4_k_m.gguf", 64, 2048, 3},
		{"tiny-qwen2-gpt2-q8_0.gguf", 32, 512, 0}, // no BOS
		{"tiny-llama-spm-q8_0.gguf", 32, 512, 0},  // BOS, SentencePiece with a space prefix
	} {
		t.Run(fmt.Sprintf("%s/ctx%d/max%d", c.model, c.n, c.maxChunks), func(t *testing.T) {
			checkAgainstStraightforward(t, open(t, c.model, c.n), shakespeare(t, c.text), c.n, c.maxChunks)
		})
	}
}

func checkAgainstStraightforward(t *testing.T, e *engine.Engine, text string, n, maxChunks int) {
	var progress []Result
	r, err := Perplexity(e, text, Options{Context: n, MaxChunks: maxChunks, Progress: func(sofar Result, chunks int) {
		progress = append(progress, sofar)
		if maxChunks > 0 && chunks != maxChunks {
			t.Errorf("progress announces %d chunks, want %d", chunks, maxChunks)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	nll, nll2, count, bytes := straightforward(t, e, text, n, maxChunks)
	if r.Tokens != count || r.Bytes != bytes || r.Tokens != r.Chunks*(n-n/2-1) {
		t.Fatalf("%d tokens, %d bytes, %d chunks; want %d tokens, %d bytes", r.Tokens, r.Bytes, r.Chunks, count, bytes)
	}
	if maxChunks > 0 && r.Chunks != maxChunks {
		t.Fatalf("%d chunks evaluated, want %d", r.Chunks, maxChunks)
	}
	mean := nll / float64(count)
	ppl := math.Exp(mean)
	sd := ppl * math.Sqrt((nll2/float64(count)-mean*mean)/float64(count-1))
	if !closeTo(r.NLL, nll) || !closeTo(r.PPL, ppl) || !closeTo(r.PPLSD, sd) {
		t.Fatalf("PPL %v +/- %v (NLL %v), want %v +/- %v (NLL %v)", r.PPL, r.PPLSD, r.NLL, ppl, sd, nll)
	}
	// Bits per byte: the same NLL in bits spread over the bytes.
	if !closeTo(r.BPB*math.Ln2*float64(r.Bytes), r.NLL) {
		t.Fatalf("BPB %v: %v bits over %d bytes, want NLL %v nats", r.BPB, r.BPB*float64(r.Bytes), r.Bytes, r.NLL)
	}
	if len(progress) != r.Chunks || progress[len(progress)-1] != r {
		t.Fatalf("progress %+v, want %d calls ending in %+v", progress, r.Chunks, r)
	}
	for i, p := range progress {
		if p.Chunks != i+1 || p.Tokens != (i+1)*(n-n/2-1) {
			t.Fatalf("progress %d: %+v", i, p)
		}
	}
	// A random-weight model predicts text badly, often worse than chance
	// as it is confidently wrong, but the estimate stays finite.
	if r.PPL < 2 || math.IsInf(r.PPL, 0) || r.PPLSD <= 0 || r.PPLSD > r.PPL {
		t.Fatalf("implausible PPL %v +/- %v", r.PPL, r.PPLSD)
	}
}

func TestPerplexityDefaultContextIsEngines(t *testing.T) {
	const n = 32
	e := open(t, "tiny-llama3-q4_k_m.gguf", n)
	text := shakespeare(t, 1024)
	got, err := Perplexity(e, text, Options{MaxChunks: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Perplexity(e, text, Options{Context: n, MaxChunks: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("context 0 gives %+v, the engine's %d gives %+v", got, n, want)
	}
}

func TestPerplexityErrors(t *testing.T) {
	e := open(t, "tiny-llama3-q4_k_m.gguf", 64)
	text := shakespeare(t, 4096)
	for _, c := range []struct {
		name string
		text string
		o    Options
		want string
	}{
		{"empty", "", Options{Context: 64}, "empty"},
		{"invalid UTF-8", "First Citizen:\n\xffBefore", Options{Context: 64}, "not valid UTF-8 (first bad byte at offset 15)"},
		{"truncated rune", "caf\xc3", Options{Context: 64}, "offset 3"},
		{"too short", "First Citizen:\nBefore we proceed any further, hear me speak.\n", Options{Context: 64}, "need at least 128 tokens for a context of 64, but the text has only"},
		{"context too small", text, Options{Context: 2}, "at least 3 tokens"},
		{"context over the engine's", text, Options{Context: 128}, "does not fit the engine's 64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Perplexity(e, c.text, c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestSums(t *testing.T) {
	var s sums
	if r := s.result(); r != (Result{}) {
		t.Fatalf("no tokens: %+v", r)
	}
	s.add(1, 4)
	if r := s.result(); r.PPL != math.E || r.PPLSD != 0 || r.BPB != 1/math.Ln2/4 {
		t.Fatalf("one token: %+v", r)
	}
	s.add(2, 0)
	s.add(3, 2)
	r := s.result()
	// Mean 2, population variance 2/3, standard error sqrt(2/3/2).
	want := Result{PPL: math.Exp(2), PPLSD: math.Exp(2) * math.Sqrt(1.0/3), BPB: 6 / math.Ln2 / 6, NLL: 6, Tokens: 3, Bytes: 6}
	if !closeTo(r.PPL, want.PPL) || !closeTo(r.PPLSD, want.PPLSD) || !closeTo(r.BPB, want.BPB) || r.NLL != 6 || r.Tokens != 3 || r.Bytes != 6 {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	var same sums
	same.add(2, 1)
	same.add(2, 1)
	if r := same.result(); r.PPLSD != 0 {
		t.Fatalf("no spread: PPLSD %v, want 0", r.PPLSD)
	}
}
