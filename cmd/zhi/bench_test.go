package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIBenchTable(t *testing.T) {
	out, stderr, ok := zhi(t, "bench", "--shape", "tiny", "--type", "Q4_K_M", "-p", "8,16", "-n", "4", "-r", "2", "-t", "2")
	if !ok {
		t.Fatal(stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "| model ") || !strings.Contains(lines[0], "t/s") {
		t.Fatalf("table:\n%s", out)
	}
	for i, test := range []string{"pp8", "pp16", "tg4"} {
		cells := strings.Split(lines[2+i], "|")
		if len(cells) != 9 || strings.TrimSpace(cells[1]) != "llama ?B Q4_K - Medium" ||
			strings.TrimSpace(cells[5]) != "2" || strings.TrimSpace(cells[6]) != test {
			t.Fatalf("row %d: %q", i, lines[2+i])
		}
		var mean, sd float64
		if _, err := fmt.Sscanf(strings.TrimSpace(cells[7]), "%f ± %f", &mean, &sd); err != nil || mean <= 0 || sd < 0 {
			t.Fatalf("row %d: t/s %q (%v)", i, cells[7], err)
		}
	}
}

func TestCLIBenchJSON(t *testing.T) {
	out, stderr, ok := zhi(t, "bench", "--shape", "tiny", "--type", "q8_0", "-p", "8", "-n", "4", "-r", "3", "--json")
	if !ok {
		t.Fatal(stderr)
	}
	var results []struct {
		ModelFilename string    `json:"model_filename"`
		ModelType     string    `json:"model_type"`
		ModelSize     uint64    `json:"model_size"`
		ModelNParams  uint64    `json:"model_n_params"`
		NThreads      int       `json:"n_threads"`
		NPrompt       int       `json:"n_prompt"`
		NGen          int       `json:"n_gen"`
		AvgTs         float64   `json:"avg_ts"`
		StddevTs      float64   `json:"stddev_ts"`
		SamplesTs     []float64 `json:"samples_ts"`
	}
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(results) != 2 || results[0].NPrompt != 8 || results[0].NGen != 0 || results[1].NPrompt != 0 || results[1].NGen != 4 {
		t.Fatalf("results: %s", out)
	}
	for _, r := range results {
		if r.ModelFilename != "random:tiny" || r.ModelType != "llama ?B Q8_0" || r.ModelSize == 0 || r.ModelNParams == 0 ||
			r.NThreads <= 0 || r.AvgTs <= 0 || r.StddevTs < 0 || len(r.SamplesTs) != 3 {
			t.Errorf("result %+v", r)
		}
	}
}

func TestCLIBenchErrors(t *testing.T) {
	mustFail(t, "no model", "bench")
	mustFail(t, "not both", "bench", "-m", "x.gguf", "--shape", "tiny")
	mustFail(t, "applies to --shape", "bench", "-m", "x.gguf", "--type", "Q8_0")
	mustFail(t, "unknown shape", "bench", "--shape", "gpt5")
	mustFail(t, "unknown quantization type", "bench", "--shape", "tiny", "--type", "Q4_K_X")
	mustFail(t, "repetitions", "bench", "--shape", "tiny", "-r", "0")
	mustFail(t, "context", "bench", "--shape", "tiny", "-p", "100000")
	mustFail(t, "no tests", "bench", "--shape", "tiny", "-p", "0", "-n", "0")
	mustFail(t, "does not exist", "bench", "-m", "missing.gguf")
	mustFail(t, "unexpected argument", "bench", "--shape", "tiny", "extra")
	mustFail(t, "takes a --shape model", "bench", "--write", filepath.Join(t.TempDir(), "x.gguf"))
	mustFail(t, "already exists", "bench", "--shape", "tiny", "--write", t.TempDir())
}

// TestCLIBenchWrite writes a random model to a file, which bench then
// measures as any other file.
func TestCLIBenchWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny-q8.gguf")
	if _, stderr, ok := zhi(t, "bench", "--shape", "tiny", "--type", "Q8_0", "--write", path); !ok || !strings.Contains(stderr, "wrote "+path) {
		t.Fatalf("--write failed: %s", stderr)
	}
	stdout, stderr, ok := zhi(t, "bench", "-m", path, "-p", "8", "-n", "4", "-r", "1")
	if !ok || !strings.Contains(stdout, "Q8_0") || !strings.Contains(stdout, "pp8") || !strings.Contains(stdout, "tg4") {
		t.Fatalf("bench of the written file: %s %s", stdout, stderr)
	}
}
