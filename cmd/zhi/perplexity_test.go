package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"zhi/internal/shared"
)

// shakespeareFile writes the first n bytes of Tiny Shakespeare to a file,
// cut at a line end.
func shakespeareFile(t *testing.T, n int) string {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, "data", "tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b = b[:min(n, len(b))]
	b = b[:strings.LastIndexByte(string(b), '\n')+1]
	path := filepath.Join(t.TempDir(), "shakespeare.txt")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLIPerplexity(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	text := shakespeareFile(t, 2048)

	out, stderr, ok := zhi(t, "perplexity", "-m", model, "-c", "64", "--json", text)
	if !ok {
		t.Fatal(stderr)
	}
	var r struct {
		PPL    float64 `json:"ppl"`
		PPLSD  float64 `json:"ppl_sd"`
		BPB    float64 `json:"bpb"`
		NLL    float64 `json:"nll"`
		Tokens int     `json:"tokens"`
		Bytes  int     `json:"bytes"`
		Chunks int     `json:"chunks"`
		Ctx    int     `json:"ctx"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Ctx != 64 || r.Chunks < 2 || r.Tokens != r.Chunks*31 || r.Bytes < r.Tokens {
		t.Fatalf("counts: %+v", r)
	}
	if math.Abs(r.PPL-math.Exp(r.NLL/float64(r.Tokens))) > 1e-9*r.PPL || r.PPLSD <= 0 {
		t.Fatalf("PPL %v +/- %v does not follow from NLL %v over %d tokens", r.PPL, r.PPLSD, r.NLL, r.Tokens)
	}
	if math.Abs(r.BPB*math.Ln2*float64(r.Bytes)-r.NLL) > 1e-9*r.NLL {
		t.Fatalf("BPB %v is not NLL %v / ln 2 / %d bytes", r.BPB, r.NLL, r.Bytes)
	}
	// Progress goes to stderr as the reference prints it: one running
	// estimate per chunk, the last one the final PPL.
	estimates := regexp.MustCompile(`\[(\d+)\]([0-9.]+),`).FindAllStringSubmatch(stderr, -1)
	if len(estimates) != r.Chunks {
		t.Fatalf("stderr %q: want %d running estimates", stderr, r.Chunks)
	}
	for i, m := range estimates {
		if m[1] != strconv.Itoa(i+1) {
			t.Fatalf("stderr %q: estimate %d is numbered %s", stderr, i+1, m[1])
		}
	}
	if last := estimates[len(estimates)-1][2]; last != fmt.Sprintf("%.4f", r.PPL) {
		t.Fatalf("last running estimate %s, final PPL %v", last, r.PPL)
	}

	// The text form, with the file given by -f and fewer chunks.
	out, stderr, ok = zhi(t, "perplexity", "-m", model, "-c", "64", "--chunks", "2", "-f", text)
	if !ok {
		t.Fatal(stderr)
	}
	if !regexp.MustCompile(`^Final estimate: PPL = [0-9.]+ \+/- [0-9.]+\nbits per byte: [0-9.]+ \(62 tokens scored, \d+ bytes, in 2 chunks of 64\)\n$`).MatchString(out) {
		t.Fatalf("stdout %q", out)
	}
	if !strings.Contains(stderr, "[1]") || !strings.Contains(stderr, "[2]") || strings.Contains(stderr, "[3]") {
		t.Fatalf("stderr %q: want two running estimates", stderr)
	}
}

func TestCLIPerplexityErrors(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	dir := t.TempDir()
	text := shakespeareFile(t, 2048)
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, nil, 0o644)
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("First Citizen:\nBefore we proceed any further, hear me speak.\n"), 0o644)
	latin1 := filepath.Join(dir, "latin1.txt")
	os.WriteFile(latin1, []byte("caf\xe9 au lait\n"), 0o644)

	mustFail(t, "no such file", "perplexity", "-m", model, filepath.Join(dir, "missing.txt"))
	mustFail(t, "is empty", "perplexity", "-m", model, empty)
	mustFail(t, "need at least 1024 tokens for a context of 512", "perplexity", "-m", model, short)
	mustFail(t, "not valid UTF-8 (first bad byte at offset 3)", "perplexity", "-m", model, latin1)
	mustFail(t, "no text file", "perplexity", "-m", model)
	mustFail(t, "give one text file", "perplexity", "-m", model, text, text)
	mustFail(t, "--chunks", "perplexity", "-m", model, "--chunks", "0", text)
	mustFail(t, "--ctx-size must be positive", "perplexity", "-m", model, "-c", "0", text)
}
