package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// trainText writes about 40 kB of simple sentences to dir.
func trainText(t *testing.T, dir string) string {
	t.Helper()
	words := strings.Fields("the cat dog sat ran on to a big red old house mat and with")
	var b strings.Builder
	for i := 0; b.Len() < 40000; i++ {
		for j := range 6 {
			b.WriteString(words[(i*7+j*j*3+i/5)%len(words)])
			b.WriteByte(' ')
		}
		b.WriteString(".\n")
	}
	path := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tinyTrainFlags train a model small enough for tests.
var tinyTrainFlags = []string{"--vocab", "300", "--dim", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2",
	"--ffn", "64", "--context", "32", "--batch", "4", "--warmup", "5", "--threads", "2", "-q"}

// TestTrainCLI trains a tiny model and runs it.
func TestTrainCLI(t *testing.T) {
	dir := t.TempDir()
	text := trainText(t, dir)
	out := filepath.Join(dir, "tiny.gguf")
	args := append([]string{"train", "--data", text, "-o", out, "--steps", "20", "--eval-every", "10"}, tinyTrainFlags...)
	stdout, stderr, ok := zhi(t, args...)
	if !ok {
		t.Fatal(stderr)
	}
	if stderr != "" {
		t.Errorf("-q run wrote to stderr: %q", stderr)
	}
	for _, want := range []string{"wrote " + out + ": ", "20 steps", "bits per byte", "tiny.csv", "tiny.svg", "tiny.ckpt"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary %q does not mention %q", stdout, want)
		}
	}
	csv, err := os.ReadFile(filepath.Join(dir, "tiny.csv"))
	if err != nil || !bytes.HasPrefix(csv, []byte("step,tokens,lr,loss,val_loss,val_bpb,tok_per_s,elapsed\n")) || bytes.Count(csv, []byte("\n")) != 21 {
		t.Errorf("CSV log: %v\n%s", err, csv)
	}
	if _, err := os.Stat(filepath.Join(dir, "tiny.svg")); err != nil {
		t.Error(err)
	}
	// The model runs, with the name of its file.
	stdout, stderr, ok = zhi(t, "next", "-m", out, "--top", "2", "The cat")
	if !ok || !strings.Contains(stdout, "prob") {
		t.Fatalf("zhi next: %s %s", stdout, stderr)
	}
	stdout, stderr, ok = zhi(t, "info", "-m", out)
	if !ok || !strings.Contains(stdout, "tiny") {
		t.Errorf("zhi info: %s %s", stdout, stderr)
	}
	// Progress lines where stderr is not a terminal.
	out2 := filepath.Join(dir, "again.gguf")
	_, stderr, ok = zhi(t, append(args[:4:4], out2, "--steps", "10", "--eval-every", "5", "--vocab", "300", "--dim", "32",
		"--layers", "1", "--heads", "4", "--ffn", "64", "--context", "32", "--batch", "4")...)
	if !ok || !strings.Contains(stderr, "step 5/10  loss ") || !strings.Contains(stderr, "bpb") || !strings.Contains(stderr, "training tokens") {
		t.Errorf("progress lines: %q", stderr)
	}
}

// TestTrainKillResume kills a run with SIGKILL after its first checkpoint,
// resumes it, and checks that it writes the model an uninterrupted run
// writes, byte for byte.
func TestTrainKillResume(t *testing.T) {
	dir := t.TempDir()
	text := trainText(t, dir)
	run := func(out string, extra ...string) []string {
		return append(append([]string{"train", "--data", text, "-o", out, "--steps", "400", "--save-every", "20", "--eval-every", "100", "--name", "tiny"},
			tinyTrainFlags...), extra...)
	}
	whole := filepath.Join(dir, "whole.gguf")
	if _, stderr, ok := zhi(t, run(whole)...); !ok {
		t.Fatal(stderr)
	}

	killed := filepath.Join(dir, "killed.gguf")
	cmd := exec.Command(binary, run(killed)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "killed.ckpt")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 30 s: %s", stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the run was not killed mid-way (%v): make it longer", err)
	}
	if _, err := os.Stat(killed); err == nil {
		t.Fatal("the killed run had already written its model")
	}
	stdout, errOut, ok := zhi(t, "train", "--resume", "-o", killed, "-q")
	if !ok {
		t.Fatal(errOut)
	}
	if !strings.Contains(stdout, "400 steps") {
		t.Errorf("resumed run: %s", stdout)
	}
	a, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(killed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the resumed run's model differs from the uninterrupted run's")
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	text := trainText(t, dir)
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("fine\nthen \xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.gguf")
	tiny := func(args ...string) []string { return append(append([]string{"train"}, tinyTrainFlags...), args...) }
	mustFail(t, "-o is required", tiny("--data", text)...)
	mustFail(t, "no data files", tiny("-o", out)...)
	mustFail(t, bad+": invalid UTF-8 at byte offset 10", tiny("--data", text+","+bad, "-o", out)...)
	mustFail(t, empty+" is empty", tiny("-o", out, text, empty)...)
	mustFail(t, "--steps or --time, not both", tiny("--data", text, "-o", out, "--steps", "5", "--time", "1m")...)
	mustFail(t, "no checkpoint "+filepath.Join(dir, "m.ckpt")+" to resume", tiny("--resume", "-o", out)...)
	mustFail(t, "kv heads", tiny("--data", text, "-o", out, "--kv-heads", "3")...)
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote the model")
	}
	// A resumed run keeps its settings; those it may change are taken.
	if _, stderr, ok := zhi(t, tiny("--data", text, "-o", out, "--steps", "4")...); !ok {
		t.Fatal(stderr)
	}
	mustFail(t, "--dim 48 differs from the checkpoint's 32", "train", "--resume", "-o", out, "--dim", "48")
	mustFail(t, "exists", tiny("--data", text, "-o", out, "--steps", "4")...)
	stdout, stderr, ok := zhi(t, append(tiny("--resume", "-o", out), "--steps", "6")...)
	if !ok || !strings.Contains(stdout, fmt.Sprintf("%d steps", 6)) {
		t.Errorf("resuming with the same flags and more steps: %s %s", stdout, stderr)
	}
}
