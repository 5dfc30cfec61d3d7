package train

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zhi/chat"
)

func TestParsePairsForms(t *testing.T) {
	data := `{"prompt": "What is 2+2?", "response": "4"}

{"question": "Capital of France?", "answer": "Paris", "id": 17}
{"instruction": "Translate", "input": "chat", "output": "cat", "system": "Be brief."}
{"instruction": "Say hi", "input": "", "output": "hi"}
{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}
{"system": "Sys", "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}` + "\r\n"
	got, err := ParsePairs(strings.NewReader(data), "d.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	u := func(s string) chat.Message { return chat.Message{Role: "user", Content: s} }
	a := func(s string) chat.Message { return chat.Message{Role: "assistant", Content: s} }
	s := func(s string) chat.Message { return chat.Message{Role: "system", Content: s} }
	want := []Conversation{
		{[]chat.Message{u("What is 2+2?"), a("4")}, 1},
		{[]chat.Message{u("Capital of France?"), a("Paris")}, 3},
		{[]chat.Message{s("Be brief."), u("Translate\n\nchat"), a("cat")}, 4},
		{[]chat.Message{u("Say hi"), a("hi")}, 5},
		{[]chat.Message{s("S"), u("a"), a("b"), u("c"), a("d")}, 6},
		{[]chat.Message{s("Sys"), u("x"), a("y")}, 7},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParsePreferences(t *testing.T) {
	data := `{"prompt": "p", "chosen": "good", "rejected": "bad"}
{"system": "s", "prompt": "q", "chosen": "yes", "rejected": "no"}`
	got, err := ParsePreferences(strings.NewReader(data), "p.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := []TextPreference{{"", "p", "good", "bad", 1}, {"s", "q", "yes", "no", 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for data, msg := range map[string]string{
		`{"prompt": "p", "chosen": "a"}`:                       `p.jsonl:1: no "rejected"`,
		`{"prompt": "", "chosen": "a", "rejected": "b"}`:       `p.jsonl:1: no "prompt"`,
		`{"prompt": "p", "chosen": "a", "rejected": "a"}`:      "p.jsonl:1: chosen and rejected are the same",
		"\n" + `{"prompt": "p", "chosen": 1, "rejected": "a"}`: "p.jsonl:2: bad JSON",
	} {
		if _, err := ParsePreferences(strings.NewReader(data), "p.jsonl"); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", data, err, msg)
		}
	}
}

// TestParsePairsErrors checks that each kind of bad input is refused with
// the file and line of the problem.
func TestParsePairsErrors(t *testing.T) {
	ok := `{"prompt": "p", "response": "r"}` + "\n"
	for _, c := range []struct{ data, want string }{
		{"", "d.jsonl: no examples"},
		{"\n  \n", "d.jsonl: no examples"},
		{ok + `{"prompt": "p", "response": "r"`, "d.jsonl:2: bad JSON"},
		{ok + `["prompt"]`, "d.jsonl:2: not a JSON object"},
		{ok + `{"prompt": "p", "response": "r"} {}`, "d.jsonl:2: bad JSON: invalid character '{' after top-level value"},
		{ok + `{"prompt": "p", "response": "r"}]`, "d.jsonl:2: bad JSON: invalid character ']' after top-level value"},
		{ok + ok + "{\"prompt\": \"p\xff\", \"response\": \"r\"}", "d.jsonl:3: invalid UTF-8 at byte 13"},
		{`{"prompt": "p"}`, "d.jsonl:1: no answer"},
		{`{"response": "r"}`, "d.jsonl:1: no prompt"},
		{`{"prompt": "p", "question": "q", "response": "r"}`, `more than one prompt: "prompt" and "question"`},
		{`{"prompt": "p", "response": "r", "answer": "a"}`, `more than one answer: "answer" and "response"`},
		{`{"prompt": "p", "response": ""}`, "message 2 (assistant) has no content"},
		{`{"prompt": 3, "response": "r"}`, "d.jsonl:1: bad JSON"},
		{`{"question": "p", "input": "i", "answer": "r"}`, `"input" without "instruction"`},
		{`{"messages": [{"role": "user", "content": "a"}]}`, "last message is not the assistant's"},
		{`{"messages": []}`, "no messages"},
		{`{"messages": [{"role": "assistant", "content": "a"}]}`, "message 1: an answer before any user message"},
		{`{"system": "s", "messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "a"}]}`, "message 1 (user) has no content"},
		{`{"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]}`, `message 2: role "tool"`},
		{`{"messages": [{"content": "a"}]}`, `role ""`},
		{`{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}, {"role": "assistant", "content": "c"}]}`, "message 2: a system message after the first"},
		{`{"system": "s", "messages": [{"role": "system", "content": "b"}, {"role": "user", "content": "a"}, {"role": "assistant", "content": "c"}]}`, `both a "system" key and a system message`},
		{`{"messages": [{"role": "user", "content": ["a"]}]}`, "bad JSON"},
		{`{"prompt": "p", "response": "r", "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "c"}]}`, "both messages and a prompt"},
		{ok + "{" + strings.Repeat(" ", MaxLineBytes) + "}\n" + ok, "d.jsonl:2: line longer than 1048576 bytes"},
	} {
		_, err := ParsePairs(strings.NewReader(c.data), "d.jsonl")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.80q: error %v, want %q", c.data, err, c.want)
		}
	}
}

func TestReadPairsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pairs.jsonl")
	if err := os.WriteFile(path, []byte(`{"prompt": "p", "response": "r"}`+"\n"+`{"prompt": "p"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPairs(path); err == nil || !strings.Contains(err.Error(), path+":2: no answer") {
		t.Errorf("error %v does not name %s:2", err, path)
	}
	if _, err := ReadPreferences(filepath.Join(t.TempDir(), "missing.jsonl")); err == nil {
		t.Error("a missing file was read")
	}
}

// FuzzParsePairs checks that any input gives examples that are well-formed
// conversations, or an error, never a panic.
func FuzzParsePairs(f *testing.F) {
	for _, s := range []string{
		`{"prompt": "What is 2+2?", "response": "4"}`,
		`{"instruction": "a", "input": "b", "output": "c", "system": "s"}`,
		`{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}` + "\n\n" + `{"question": "q", "answer": "a"}`,
		`{"messages": null, "prompt": "\ud800", "answer": "\u0000"}`,
		"{\"prompt\": \"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		convs, err := ParsePairs(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if len(convs) == 0 {
			t.Fatal("no examples and no error")
		}
		for _, c := range convs {
			if _, err := checkConversation(c.Messages, 0); err != nil {
				t.Fatalf("line %d: accepted a bad conversation: %v", c.Line, err)
			}
		}
	})
}

// FuzzParsePreferences checks preference parsing as FuzzParsePairs does.
func FuzzParsePreferences(f *testing.F) {
	for _, s := range []string{
		`{"prompt": "p", "chosen": "good", "rejected": "bad"}`,
		`{"system": "s", "prompt": "p", "chosen": "a", "rejected": "b"}` + "\n" + `{"prompt": 1}`,
		`{"prompt": "p", "chosen": "a", "rejected": "a"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		prefs, err := ParsePreferences(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, p := range prefs {
			if p.Prompt == "" || p.Chosen == "" || p.Rejected == "" || p.Chosen == p.Rejected {
				t.Fatalf("line %d: accepted %+v", p.Line, p)
			}
		}
	})
}
