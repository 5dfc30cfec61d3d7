// Package chat turns a conversation into the prompt text a chat model was
// trained on, by rendering the model's chat template: the Jinja program in
// its GGUF metadata (tokenizer.chat_template), or a built-in one.
//
// Rendering follows the reference engine: the template sees messages (a
// list of {role, content}), bos_token, eos_token, add_generation_prompt,
// strftime_now(format) and datetime; a template that cannot render system
// messages gets them merged into the next user message; and one leading
// BOS text is removed from the result, since the tokenizer adds BOS
// itself.
//
// Templates come from model files, so they are untrusted programs. The
// Jinja library has no limits of its own, so Parse inserts guards into
// each template (see instrument) that bound its loops, recursion, ranges
// and slices, and refuse cyclic, too deeply nested or too large values.
// They cannot see inside one library operation: "x" * 10**10 still asks
// for ten gigabytes, and an operation on megabytes of text, repeated in a
// loop, is slow.
package chat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ardanlabs/jinja"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Options configure a template.
type Options struct {
	BOS, EOS string           // texts of the model's BOS/EOS tokens, given to the template as bos_token/eos_token
	Now      func() time.Time // clock for strftime_now() and the `datetime` variable; nil means time.Now
}

// Template is a compiled chat template. It is safe for concurrent Render.
type Template struct {
	name   string
	jinja  *jinja.Template
	opts   Options
	system bool     // the template renders system messages itself
	stops  []string // its end-of-turn markers
}

// Parse compiles a Jinja chat template. It also renders a few probe
// conversations to learn whether the template renders system messages and
// how it ends a turn.
func Parse(name, source string, o Options) (t *Template, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	guarded, err := instrument(source)
	if err != nil {
		return nil, fmt.Errorf("chat: template %s: %w", name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("chat: template %s: the Jinja library failed: %v", name, r)
		}
	}()
	compiled, err := jinja.Compile(guarded)
	if err != nil {
		return nil, fmt.Errorf("chat: template %s: %w", name, err)
	}
	t = &Template{name: name, jinja: compiled, opts: o}
	t.system = t.rendersSystem()
	t.stops = t.endOfTurn()
	return t, nil
}

// Name returns the template's name.
func (t *Template) Name() string { return t.name }

// Stops returns the template's own end-of-turn markers, such as
// "<|eot_id|>" or "<|im_end|>": text a model ends its answer with.
func (t *Template) Stops() []string { return append([]string(nil), t.stops...) }

// Render returns the prompt for a conversation; with addGenerationPrompt it
// ends with the start of an assistant turn. A leading BOS text is removed.
func (t *Template) Render(msgs []Message, addGenerationPrompt bool) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("chat: no messages to render")
	}
	for i, m := range msgs {
		if m.Role == "" {
			return "", fmt.Errorf("chat: message %d has no role", i)
		}
		if !utf8.ValidString(m.Role) || !utf8.ValidString(m.Content) {
			return "", fmt.Errorf("chat: message %d is not valid UTF-8", i)
		}
	}
	if !t.system {
		msgs = mergeSystem(msgs)
	}
	out, err := t.render(msgs, addGenerationPrompt, maxWork)
	if err != nil {
		return "", fmt.Errorf("chat: template %s: %w", t.name, err)
	}
	if t.opts.BOS != "" {
		out = strings.TrimPrefix(out, t.opts.BOS)
	}
	return out, nil
}

// render runs the template on msgs as they are, allowing that much work.
func (t *Template) render(msgs []Message, addGenerationPrompt bool, work int) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("the Jinja library failed: %v", r)
		}
	}()
	g := &guard{limit: work}
	out, err = t.jinja.RenderValues(t.variables(msgs, addGenerationPrompt, g))
	if g.err != nil {
		return "", g.err // the library may have dropped it
	}
	if err == nil && len(out) > maxOutputBytes {
		return "", fmt.Errorf("rendered %d bytes, more than %d", len(out), maxOutputBytes)
	}
	return out, err
}

// variables returns what a rendering of msgs sees: the conversation, the
// special tokens, the clock and the guards g.
func (t *Template) variables(msgs []Message, addGenerationPrompt bool, g *guard) map[string]jinja.Value {
	list := make([]jinja.Value, len(msgs))
	for i, m := range msgs {
		v := jinja.NewDict()
		v.AsDict().Set("role", jinja.NewString(m.Role))
		v.AsDict().Set("content", jinja.NewString(m.Content))
		list[i] = v
	}
	now := t.opts.Now()
	vars := map[string]jinja.Value{
		"messages":              jinja.NewList(list),
		"bos_token":             jinja.NewString(t.opts.BOS),
		"eos_token":             jinja.NewString(t.opts.EOS),
		"add_generation_prompt": jinja.NewBool(addGenerationPrompt),
		"datetime":              jinja.NewString(strftime("%b %d %Y %H:%M:%S GMT", now)),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			if len(args) != 1 || !args[0].IsString() {
				return jinja.None(), errors.New("strftime_now takes one format string")
			}
			return jinja.NewString(strftime(args[0].AsString(), now)), nil
		}),
	}
	g.values(vars)
	return vars
}

// mergeSystem moves system messages into the next user message, as
// "system\nuser", for templates that cannot render them; a system message
// followed by another role, or by nothing, becomes a user message. This is
// what the reference engine does.
func mergeSystem(msgs []Message) []Message {
	var out []Message
	pending := ""
	for _, m := range msgs {
		switch {
		case m.Role == "system":
			if pending != "" {
				pending += "\n"
			}
			pending += m.Content
			continue
		case pending != "" && m.Role == "user":
			if m.Content != "" {
				pending += "\n" + m.Content
			}
			m.Content, pending = pending, ""
		case pending != "":
			out, pending = append(out, Message{Role: "user", Content: pending}), ""
		}
		out = append(out, m)
	}
	if pending != "" {
		out = append(out, Message{Role: "user", Content: pending})
	}
	return out
}

// Probe texts: unlikely to occur in a template, and left alone by the
// trimming and capitalising that some templates apply.
const (
	systemNeedle    = "SYSTEMNEEDLE7c1f"
	assistantNeedle = "ASSISTANTNEEDLE7c1f"
)

// rendersSystem reports whether the template renders a system message, the
// way the reference engine finds out: the message's text must appear.
func (t *Template) rendersSystem() bool {
	out, err := t.render([]Message{{"system", systemNeedle}, {"user", "Hey"}}, false, probeWork)
	return err == nil && strings.Contains(out, systemNeedle)
}

// marker is a special-token-like text: "<|eot_id|>", "</s>", "<end_of_turn>".
var marker = regexp.MustCompile(`^<[^<>\s]{1,62}>`)

// endOfTurn returns the marker the template puts right after an assistant
// message, if any.
func (t *Template) endOfTurn() []string {
	out, err := t.render([]Message{{"user", "Hi"}, {"assistant", assistantNeedle}, {"user", "Bye"}}, false, probeWork)
	if err != nil {
		return nil
	}
	_, after, ok := strings.Cut(out, assistantNeedle)
	if !ok {
		return nil
	}
	if m := marker.FindString(strings.TrimLeft(after, " \t\n")); m != "" {
		return []string{m}
	}
	return nil
}
