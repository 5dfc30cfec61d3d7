package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
)

// binary is the zhi command built once for all tests, which run it as a user
// would: as a subprocess, with files on disk.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zhi-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "zhi")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// zhi runs the binary and returns stdout, stderr and whether it succeeded.
func zhi(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err == nil
}

// mustFail checks that a command exits non-zero with one line on stderr that
// mentions want.
func mustFail(t *testing.T, want string, args ...string) {
	t.Helper()
	stdout, stderr, ok := zhi(t, args...)
	if ok {
		t.Fatalf("zhi %v succeeded, want failure; stdout %q", args, stdout)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "zhi: ") {
		t.Fatalf("zhi %v: stderr %q, want one line starting with \"zhi: \"", args, stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Fatalf("zhi %v: stderr %q does not mention %q", args, stderr, want)
	}
}

func TestCLIParity(t *testing.T) {
	for _, refPath := range shared.Glob(t, "reference/*.ref.json") {
		ref := shared.LoadReference(t, refPath)
		model := filepath.Join(filepath.Dir(refPath), ref.Model)
		name := strings.TrimSuffix(ref.Model, ".gguf")
		t.Run(name, func(t *testing.T) {
			c := ref.Cases[1]
			// tokenize --json: the reference's tokens.
			out, stderr, ok := zhi(t, "tokenize", "-m", model, "--json", c.Prompt)
			if !ok {
				t.Fatal(stderr)
			}
			var tok struct{ IDs []int32 }
			if err := json.Unmarshal([]byte(out), &tok); err != nil || !slices.Equal(tok.IDs, c.Tokens) {
				t.Fatalf("tokenize: %s (%v), want ids %v", out, err, c.Tokens)
			}
			// next --json --all: one position per token, the reference's best first.
			out, stderr, ok = zhi(t, "next", "-m", model, "--json", "--all", "--top", "3", c.Prompt)
			if !ok {
				t.Fatal(stderr)
			}
			var next struct {
				Tokens    []int32
				Positions []struct {
					Top []struct {
						ID    int32
						Token string
						Logit float64
						Prob  float64
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &next); err != nil {
				t.Fatal(err)
			}
			if len(next.Positions) != len(c.Tokens) {
				t.Fatalf("next --all: %d positions, want %d", len(next.Positions), len(c.Tokens))
			}
			for i, p := range next.Positions {
				want := c.Positions[i].Top[0]
				if len(p.Top) != 3 || p.Top[0].Logit < want[1]-shared.Tolerance(name, want[1]) || p.Top[0].Prob <= 0 || p.Top[0].Prob > 1 {
					t.Fatalf("next position %d: %+v, reference best %v", i, p.Top, want)
				}
			}
			// run --json with greedy sampling: the reference's continuation.
			out, stderr, ok = zhi(t, "run", "-m", model, "--json", "--temp", "0", "-n", "8", "--tokens", joinIDs(c.Tokens))
			if !ok {
				t.Fatal(stderr)
			}
			var run struct {
				Tokens    []int32
				Generated []int32
				Text      string
			}
			if err := json.Unmarshal([]byte(out), &run); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(run.Tokens, c.Tokens) {
				t.Fatalf("run: prompt tokens %v, want %v", run.Tokens, c.Tokens)
			}
			for j := range run.Generated {
				if c.GreedyMargin[j] < 2*shared.Tolerance(name, 0) {
					break
				}
				if run.Generated[j] != c.Greedy[j] {
					t.Fatalf("run: generated %v, reference %v", run.Generated, c.Greedy[:8])
				}
			}
		})
	}
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

func TestCLIStreamsText(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-qwen2-gpt2-q8_0.gguf")
	out, stderr, ok := zhi(t, "run", "-m", model, "-p", "Hello", "-n", "5", "--temp", "0")
	if !ok || strings.TrimSpace(out) == "" {
		t.Fatalf("run: stdout %q stderr %q", out, stderr)
	}
	out, stderr, ok = zhi(t, "run", "-m", model, "-p", "Hello", "-n", "5", "--cache-type-k", "q8_0", "--cache-type-v", "q8_0")
	if !ok || strings.TrimSpace(out) == "" {
		t.Fatalf("run with a q8_0 cache: stdout %q stderr %q", out, stderr)
	}
	out, _, ok = zhi(t, "next", "-m", model, "The cat sat on the")
	if !ok || !strings.Contains(out, "%") {
		t.Fatalf("next table: %q", out)
	}
	out, _, ok = zhi(t, "info", "-m", model)
	for _, want := range []string{"qwen2", "Q8_0", "parameters", "gpt2"} {
		if !ok || !strings.Contains(out, want) {
			t.Fatalf("info output lacks %q: %s", want, out)
		}
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	model := shared.Path(t, "reference", "tiny-llama-spm-q8_0.gguf")

	mustFail(t, "does not exist", "run", "-m", filepath.Join(dir, "missing.gguf"), "-p", "x")
	notGGUF := filepath.Join(dir, "text.gguf")
	os.WriteFile(notGGUF, []byte("hello, this is not a model file at all"), 0o644)
	mustFail(t, "not a GGUF", "info", "-m", notGGUF)

	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.gguf")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	mustFail(t, "gguf", "run", "-m", truncated, "-p", "x")

	// A valid file of an architecture zhi does not know.
	f, err := gguf.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	b := gguf.FromFile(f)
	b.Set("general.architecture", gguf.String("gpt9"))
	other := filepath.Join(dir, "gpt9.gguf")
	if err := b.WriteFile(other); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mustFail(t, "not supported", "info", "-m", other)

	long := strings.Repeat("once upon a time ", 40)
	mustFail(t, "context", "run", "-m", model, "--ctx-size", "16", "-p", long)
	mustFail(t, "outside the vocabulary", "next", "-m", model, "--tokens", "1,99999999")
	mustFail(t, "cache type", "run", "-m", model, "--cache-type-k", "q4_0", "-p", "x")
	mustFail(t, "unknown command", "fly")
	mustFail(t, "unknown flag", "run", "--bogus")
}

// Without -m the commands run the built-in model, which knows where the cat
// sat.
func TestBuiltinModel(t *testing.T) {
	out, errOut, ok := zhi(t, "next", "--json", "The cat sat on the")
	if !ok {
		t.Fatalf("next on the built-in model failed: %s", errOut)
	}
	var got struct {
		Positions []struct {
			Top []struct {
				Token string  `json:"token"`
				Prob  float64 `json:"prob"`
			} `json:"top"`
		} `json:"positions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Positions) == 0 || len(got.Positions[0].Top) == 0 {
		t.Fatalf("next --json: %v\n%s", err, out)
	}
	if top := got.Positions[len(got.Positions)-1].Top[0]; top.Token != " mat" || top.Prob < 0.5 {
		t.Errorf("the built-in model continues %q with %q (p=%.2f), want \" mat\"", "The cat sat on the", top.Token, top.Prob)
	}
	out, errOut, ok = zhi(t, "info")
	if !ok || !strings.Contains(out, "zhi-default") {
		t.Errorf("info on the built-in model: %s %s", out, errOut)
	}
}
