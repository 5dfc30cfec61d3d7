package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"zhi/chat"
	"zhi/internal/shared"
)

var tokenStats = regexp.MustCompile(`(?m)^\[(\d+) tokens(, [0-9.]+ tok/s)?(, stopped)?\]$`)

func readConversation(t *testing.T, path string) []chat.Message {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []chat.Message
	if err := json.Unmarshal(data, &msgs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return msgs
}

// A scripted conversation through a pipe: two turns, /save, /reset, a turn,
// /save again, end of input.
func TestChat(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.json"), filepath.Join(dir, "second.json")
	cmd := exec.Command(binary, "chat", "-m", model, "--system", "Be brief.", "-n", "8", "--temp", "0")
	cmd.Stdin = strings.NewReader("Hello\n\nHow are you?\n/save " + first + "\n/reset\n/nonsense\nAgain\n/save " + second + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	stats := tokenStats.FindAllStringSubmatch(stderr.String(), -1)
	if len(stats) != 3 {
		t.Fatalf("stderr %q: want the speed of 3 answers", stderr.String())
	}
	for _, s := range stats {
		if s[1] != "8" || s[2] == "" || s[3] != "" {
			t.Errorf("stats %q: want 8 tokens, a speed, not stopped", s[0])
		}
	}
	if !strings.Contains(stderr.String(), "unknown command /nonsense") {
		t.Errorf("stderr %q does not report the unknown command", stderr.String())
	}

	msgs := readConversation(t, first)
	roles := []string{"system", "user", "assistant", "user", "assistant"}
	if len(msgs) != len(roles) {
		t.Fatalf("saved %v, want %d messages", msgs, len(roles))
	}
	for i, m := range msgs {
		if m.Role != roles[i] {
			t.Errorf("message %d is %q's, want %q's", i, m.Role, roles[i])
		}
	}
	if msgs[0].Content != "Be brief." || msgs[1].Content != "Hello" || msgs[3].Content != "How are you?" {
		t.Errorf("saved %v", msgs)
	}
	after := readConversation(t, second)
	if len(after) != 3 || after[1].Content != "Again" || after[2].Role != "assistant" {
		t.Fatalf("saved after /reset %v, want the system prompt and one turn", after)
	}
	// Stdout holds the answers, each followed by a newline, and nothing else.
	want := msgs[2].Content + "\n" + msgs[4].Content + "\n" + after[2].Content + "\n"
	if stdout.String() != want {
		t.Errorf("stdout %q, want the answers %q", stdout.String(), want)
	}
}

// Ctrl-C stops an answer and returns to the prompt; at the prompt it quits.
func TestChatInterrupt(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	saved := filepath.Join(t.TempDir(), "chat.json")
	cmd := exec.Command(binary, "chat", "-m", model, "--ctx-size", "1024", "--seed", "1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	errLines := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			errLines <- s.Text()
		}
		close(errLines)
	}()
	output := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := stdout.Read(buf)
			if n > 0 {
				select {
				case output <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	deadline := time.After(60 * time.Second)
	waitFor := func(what string, match func(string) bool) {
		t.Helper()
		for {
			select {
			case line, ok := <-errLines:
				if !ok {
					t.Fatalf("stderr ended before %s", what)
				}
				if match(line) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s", what)
			}
		}
	}
	waitFor("banner", func(l string) bool { return strings.HasPrefix(l, "zhi: chatting with") })
	if _, err := stdin.Write([]byte("Tell me a long story\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-output:
	case <-deadline:
		t.Fatal("no answer")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitFor("stopped answer", func(l string) bool {
		s := tokenStats.FindStringSubmatch(l)
		return s != nil && s[3] != ""
	})
	// The answer stays in the conversation as far as it went.
	if _, err := stdin.Write([]byte("/save " + saved + "\n")); err != nil {
		t.Fatal(err)
	}
	waitFor("save", func(l string) bool { return strings.HasPrefix(l, "zhi: conversation saved") })
	if msgs := readConversation(t, saved); len(msgs) != 2 || msgs[1].Role != "assistant" || msgs[1].Content == "" {
		t.Errorf("saved %v, want the question and the start of an answer", msgs)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
	case <-deadline:
		t.Fatal("Ctrl-C at the prompt did not quit")
	}
}

func TestChatErrors(t *testing.T) {
	model := shared.Path(t, "reference", "tiny-llama3-q4_k_m.gguf")
	mustFail(t, "unexpected argument", "chat", "-m", model, "Hello")
	mustFail(t, "-n 0", "chat", "-m", model, "-n", "0")
	mustFail(t, "temperature", "chat", "-m", model, "--temp", "NaN")
}
