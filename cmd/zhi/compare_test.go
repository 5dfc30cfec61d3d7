package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"zhi/internal/shared"
	"zhi/train"
)

// compare runs zhi compare with input on stdin and returns stdout and
// stderr; it fails the test when the command fails.
func compare(t *testing.T, input string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"compare"}, args...)...)
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("zhi compare %v: %v: %s", args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// shownAnswers returns the answers A and B that stdout shows for each
// prompt, in order, as the preference file records them: each byte that
// is not part of a UTF-8 character (an answer may end within one) as
// U+FFFD, which is what converting to runes does.
func shownAnswers(t *testing.T, stdout string) [][2]string {
	t.Helper()
	var shown [][2]string
	rest := stdout
	for {
		_, after, ok := strings.Cut(rest, "\n--- A ---\n")
		if !ok {
			return shown
		}
		a, after, okA := strings.Cut(after, "\n\n--- B ---\n")
		b, after, okB := strings.Cut(after, "\n\nWhich is better?")
		if !okA || !okB {
			t.Fatalf("stdout is not prompts with answers A and B: %q", stdout)
		}
		shown, rest = append(shown, [2]string{string([]rune(a)), string([]rune(b))}), after
	}
}

// TestCompare answers a, then an invalid choice and b, then s, then ends
// the input before the last of four prompts: two choices go to the end of
// an existing file whose last line lacks its line end, and the file reads
// back as preferences with its first line unchanged.
func TestCompare(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.txt")
	if err := os.WriteFile(prompts, []byte("What is the capital of France?\n\n  Name a color.  \r\nTell a joke.\nSay hi.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prefs := filepath.Join(dir, "prefs.jsonl")
	old := `{"prompt": "Old question", "chosen": "kept", "rejected": "lost"}`
	if err := os.WriteFile(prefs, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := compare(t, "a\nzz\nB\ns\n", "-m", model, "--prompts", prompts, "-o", prefs, "-n", "8", "--seed", "1", "-t", "2")
	for _, want := range []string{`"zz" is not a choice`, "recorded A as the better answer (1 so far)", "recorded B as the better answer (2 so far)", "2 choices appended to " + prefs + " (0 ties, 1 skipped)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "Prompt 2/4: Name a color.\n") || !strings.Contains(stdout, "Prompt 4/4: Say hi.") {
		t.Errorf("stdout does not show the prompts: %q", stdout)
	}
	shown := shownAnswers(t, stdout)
	if len(shown) != 4 {
		t.Fatalf("%d pairs of answers shown, want 4: %q", len(shown), stdout)
	}
	data, err := os.ReadFile(prefs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(old+"\n")) {
		t.Errorf("the earlier content changed: %q", data)
	}
	got, err := train.ReadPreferences(prefs)
	if err != nil {
		t.Fatal(err)
	}
	want := []train.TextPreference{
		{Prompt: "Old question", Chosen: "kept", Rejected: "lost", Line: 1},
		{Prompt: "What is the capital of France?", Chosen: shown[0][0], Rejected: shown[0][1], Line: 2},
		{Prompt: "Name a color.", Chosen: shown[1][1], Rejected: shown[1][0], Line: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("the file holds %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("preference %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if shown[0] == shown[1] || shown[0][0] == shown[0][1] {
		t.Errorf("answers are not drawn with their own seeds: %q", shown)
	}
}

// TestCompareTyped types the prompts: a blank line, a prompt judged a
// tie, a prompt whose B answer is chosen, then the end of the input. The
// system prompt goes with the recorded choice. The seed is fixed: with a
// new one each run, answer B at times matches the greedy answer A, and the
// second prompt is skipped.
func TestCompareTyped(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	prefs := filepath.Join(t.TempDir(), "new", "prefs.jsonl")
	if err := os.Mkdir(filepath.Dir(prefs), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := compare(t, "\nHello there\nt\nSecond prompt\nb\n", "-m", model, "-o", prefs, "-n", "6", "--system", "Be brief.", "--temp", "0", "--temp-b", "1", "--seed", "1", "-t", "2")
	if !strings.Contains(stderr, "1 choices appended to "+prefs+" (1 ties, 0 skipped)") {
		t.Errorf("stderr %q", stderr)
	}
	shown := shownAnswers(t, stdout)
	got, err := train.ReadPreferences(prefs)
	if err != nil {
		t.Fatal(err)
	}
	want := train.TextPreference{System: "Be brief.", Prompt: "Second prompt", Chosen: shown[1][1], Rejected: shown[1][0], Line: 1}
	if len(got) != 1 || got[0] != want || len(shown) != 2 {
		t.Errorf("the file holds %+v, want %+v", got, want)
	}
}

func TestCompareErrors(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.txt")
	if err := os.WriteFile(prompts, []byte("fine\nnot \xff UTF-8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("\n  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "prefs.jsonl")
	mustFail(t, prompts+":2: invalid UTF-8", "compare", "-m", model, "--prompts", prompts, "-o", out)
	mustFail(t, empty+": no prompts", "compare", "-m", model, "--prompts", empty, "-o", out)
	mustFail(t, "both answers the same", "compare", "-m", model, "--temp", "0", "-o", out)
	mustFail(t, "no such file or directory", "compare", "-m", model, "-o", filepath.Join(dir, "no", "prefs.jsonl"))
	mustFail(t, "-n 0", "compare", "-m", model, "-n", "0", "-o", out)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed compare created %s", out)
	}
}

// FuzzReadPrompts checks that any prompt file reads without a panic into
// non-blank, trimmed, valid UTF-8 prompts.
func FuzzReadPrompts(f *testing.F) {
	f.Add("What is 2+2?\n\nName a color.\r\n")
	f.Add("  padded  \n\xff\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		prompts, err := readPrompts(strings.NewReader(data), "p.txt")
		if err != nil {
			if len(prompts) != 0 || !strings.HasPrefix(err.Error(), "p.txt") {
				t.Fatalf("error %v with prompts %q", err, prompts)
			}
			return
		}
		for _, p := range prompts {
			if p == "" || p != strings.TrimSpace(p) || strings.Contains(p, "\n") {
				t.Fatalf("prompt %q", p)
			}
		}
	})
}

// FuzzEncodePreference checks that a recorded choice reads back, as
// train.ParsePreferences reads it, as the same texts on one line, each
// byte that is not UTF-8 as U+FFFD.
func FuzzEncodePreference(f *testing.F) {
	f.Add("", "What is 2+2?", "4", "five")
	f.Add("Be brief.", "a\nb <|eot_id|> & \"q\"", " x\t\u2028", "y\\")
	f.Add("", "cut", "\xe6\xac", "\xe6")
	f.Fuzz(func(t *testing.T, system, prompt, chosen, rejected string) {
		line, err := encodePreference(preference{System: system, Prompt: prompt, Chosen: chosen, Rejected: rejected})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(line, '\n') != len(line)-1 {
			t.Fatalf("%q is not one line", line)
		}
		got, err := train.ParsePreferences(bytes.NewReader(line), "p.jsonl")
		want := train.TextPreference{System: string([]rune(system)), Prompt: string([]rune(prompt)),
			Chosen: string([]rune(chosen)), Rejected: string([]rune(rejected)), Line: 1}
		if prompt == "" || chosen == "" || rejected == "" || want.Chosen == want.Rejected {
			return // such a choice is never recorded
		}
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("%q reads back as %+v, %v", line, got, err)
		}
	})
}
