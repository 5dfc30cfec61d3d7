package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"zhi/chat"
)

// Fine-tuning data is JSON Lines: one JSON object per line, blank lines
// ignored. A supervised example is a question and its answer, under any of
// the names common datasets use:
//
//	{"prompt": "...", "response": "..."}
//	{"question": "...", "answer": "..."}
//	{"instruction": "...", "input": "...", "output": "..."}  (Alpaca; input optional)
//	{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}, ...]}
//
// each with an optional "system"; Alpaca's input, when not empty, follows
// the instruction after a blank line. A preference example, for DPO, is
//
//	{"prompt": "...", "chosen": "...", "rejected": "..."}
//
// with an optional "system". Other keys are ignored.

// MaxLineBytes bounds one line of a JSONL file, so that a file without
// newlines cannot make the reader buffer it whole.
const MaxLineBytes = 1 << 20

// Conversation is one supervised fine-tuning example: messages ending with
// an assistant turn. Every assistant turn is an answer the model learns.
type Conversation struct {
	Messages []chat.Message
	Line     int // line of the JSONL file it came from, from 1
}

// TextPreference is one preference example as text: a prompt and a
// preferred and a dispreferred answer to it.
type TextPreference struct {
	System, Prompt, Chosen, Rejected string
	Line                             int // line of the JSONL file it came from, from 1
}

// ReadPairs reads a JSONL file of supervised examples.
func ReadPairs(path string) ([]Conversation, error) {
	return readJSONL(path, ParsePairs)
}

// ReadPreferences reads a JSONL file of preference examples.
func ReadPreferences(path string) ([]TextPreference, error) {
	return readJSONL(path, ParsePreferences)
}

func readJSONL[T any](path string, parse func(io.Reader, string) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	return parse(f, path)
}

// ParsePairs reads supervised examples from r; name (the file's name)
// prefixes errors, which give the line: "data.jsonl:7: no answer".
func ParsePairs(r io.Reader, name string) ([]Conversation, error) {
	var out []Conversation
	err := eachLine(r, name, func(line []byte, n int) error {
		var raw rawPair
		if err := decodeObject(line, &raw); err != nil {
			return err
		}
		msgs, err := raw.messages()
		if err != nil {
			return err
		}
		out = append(out, Conversation{Messages: msgs, Line: n})
		return nil
	})
	return out, err
}

// ParsePreferences reads preference examples from r, as ParsePairs reads
// supervised ones.
func ParsePreferences(r io.Reader, name string) ([]TextPreference, error) {
	var out []TextPreference
	err := eachLine(r, name, func(line []byte, n int) error {
		var raw struct {
			System                   *string
			Prompt, Chosen, Rejected *string
		}
		if err := decodeObject(line, &raw); err != nil {
			return err
		}
		p := TextPreference{Line: n}
		for _, f := range []struct {
			name string
			src  *string
			dst  *string
		}{{"prompt", raw.Prompt, &p.Prompt}, {"chosen", raw.Chosen, &p.Chosen}, {"rejected", raw.Rejected, &p.Rejected}} {
			if f.src == nil || *f.src == "" {
				return fmt.Errorf("no %q (want prompt, chosen and rejected)", f.name)
			}
			*f.dst = *f.src
		}
		if raw.System != nil {
			p.System = *raw.System
		}
		if p.Chosen == p.Rejected {
			return errors.New("chosen and rejected are the same")
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// eachLine calls fn for every non-blank line of r with its number, and
// wraps the errors with name and the line. It fails on a line longer than
// MaxLineBytes, on invalid UTF-8 and when r has no example at all.
func eachLine(r io.Reader, name string, fn func(line []byte, n int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLineBytes)
	n, examples := 0, 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			return fmt.Errorf("train: %s:%d: invalid UTF-8 at byte %d", name, n, invalidAt(line))
		}
		if err := fn(line, n); err != nil {
			return fmt.Errorf("train: %s:%d: %w", name, n, err)
		}
		examples++
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Errorf("train: %s:%d: line longer than %d bytes", name, n+1, MaxLineBytes)
	case err != nil:
		return fmt.Errorf("train: %s: %w", name, err)
	case examples == 0:
		return fmt.Errorf("train: %s: no examples", name)
	}
	return nil
}

// invalidAt is the offset of the first invalid UTF-8 sequence of b.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// decodeObject decodes one line, which must be a single JSON object.
func decodeObject(line []byte, v any) error {
	if line[0] != '{' {
		return errors.New("not a JSON object (each line must be one object)")
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	return nil
}

// rawPair is a supervised example in any of the accepted forms.
type rawPair struct {
	System                   *string
	Prompt, Question         *string
	Instruction, Input       *string
	Response, Answer, Output *string
	Messages                 []rawMessage
}

type rawMessage struct {
	Role    string
	Content *string
}

// messages turns the example into a conversation, checking that it has
// exactly one form.
func (r *rawPair) messages() ([]chat.Message, error) {
	prompt, err := oneField("prompt", map[string]*string{"prompt": r.Prompt, "question": r.Question, "instruction": r.Instruction})
	if err != nil {
		return nil, err
	}
	answer, err := oneField("answer", map[string]*string{"response": r.Response, "answer": r.Answer, "output": r.Output})
	if err != nil {
		return nil, err
	}
	var msgs []chat.Message
	if r.System != nil && *r.System != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: *r.System})
	}
	if r.Messages != nil {
		if prompt != nil || answer != nil {
			return nil, errors.New("both messages and a prompt or answer")
		}
		return checkConversation(append(msgs, toMessages(r.Messages)...), len(msgs))
	}
	switch {
	case prompt == nil:
		return nil, errors.New("no prompt (want prompt/response, question/answer, instruction/output or messages)")
	case answer == nil:
		return nil, errors.New("no answer (want prompt/response, question/answer, instruction/output or messages)")
	case r.Input != nil && r.Instruction == nil:
		return nil, errors.New(`"input" without "instruction"`)
	}
	user := *prompt
	if r.Input != nil && *r.Input != "" {
		user += "\n\n" + *r.Input
	}
	msgs = append(msgs, chat.Message{Role: "user", Content: user}, chat.Message{Role: "assistant", Content: *answer})
	return checkConversation(msgs, len(msgs)-2)
}

// oneField returns the one of the fields that is present, nil when none is,
// and an error when several are.
func oneField(what string, fields map[string]*string) (*string, error) {
	var found *string
	var names []string
	for name, v := range fields {
		if v != nil {
			found = v
			names = append(names, name)
		}
	}
	if len(names) > 1 {
		return nil, fmt.Errorf("more than one %s: %q and %q", what, min(names[0], names[1]), max(names[0], names[1]))
	}
	return found, nil
}

func toMessages(raw []rawMessage) []chat.Message {
	msgs := make([]chat.Message, len(raw))
	for i, m := range raw {
		msgs[i].Role = m.Role
		if m.Content != nil {
			msgs[i].Content = *m.Content
		}
	}
	return msgs
}

// checkConversation checks that msgs are system, user and assistant turns
// with a user turn before the first answer, that they end with an answer,
// and that every user and assistant turn has content. Errors number the
// messages from 1 as the file has them; offset is 1 when a "system" key
// was put in front of them, 0 otherwise.
func checkConversation(msgs []chat.Message, offset int) ([]chat.Message, error) {
	if len(msgs) == 0 {
		return nil, errors.New("no messages")
	}
	user := false
	for i, m := range msgs {
		n := i - offset + 1
		switch m.Role {
		case "system":
			switch {
			case i == 0:
			case i == offset:
				return nil, errors.New(`both a "system" key and a system message`)
			default:
				return nil, fmt.Errorf("message %d: a system message after the first", n)
			}
		case "user":
			user = true
		case "assistant":
			if !user {
				return nil, fmt.Errorf("message %d: an answer before any user message", n)
			}
		default:
			return nil, fmt.Errorf("message %d: role %q (want system, user or assistant)", n, m.Role)
		}
		if m.Content == "" && m.Role != "system" {
			return nil, fmt.Errorf("message %d (%s) has no content", n, m.Role)
		}
	}
	if msgs[len(msgs)-1].Role != "assistant" {
		return nil, errors.New("the last message is not the assistant's answer")
	}
	return msgs, nil
}
