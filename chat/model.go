package chat

import (
	"errors"
	"strings"
	"time"

	"zhi/gguf"
	"zhi/tokenizer"
)

// TemplateKey is the GGUF metadata key of a model's chat template.
const TemplateKey = "tokenizer.chat_template"

// ForModel returns the chat template of a model: the one in its file when
// that compiles and renders a plain conversation, otherwise the built-in
// template that its vocabulary suggests. bos_token and eos_token are the
// texts of the tokenizer's BOS and EOS tokens; now is the clock (nil:
// time.Now). It fails only without a tokenizer.
func ForModel(f *gguf.File, tok *tokenizer.Tokenizer, now func() time.Time) (*Template, error) {
	if tok == nil {
		return nil, errors.New("chat: no tokenizer to choose a template for")
	}
	o := Options{Now: now}
	if id, ok := tok.BOS(); ok {
		o.BOS = tok.Text(id)
	}
	if id, ok := tok.EOS(); ok {
		o.EOS = tok.Text(id)
	}
	if f != nil {
		if source, ok := f.String(TemplateKey); ok {
			if t, err := Parse(TemplateKey, source, o); err == nil && t.renders() {
				return t, nil
			}
		}
	}
	return Builtin(guessBuiltin(f, tok), o)
}

// renders reports whether the template renders a [system, user] and a
// [user] conversation.
func (t *Template) renders() bool {
	for _, msgs := range [][]Message{
		{{"system", "You are a helpful assistant."}, {"user", "Hello!"}},
		{{"user", "Hello!"}},
	} {
		if _, err := t.Render(msgs, true); err != nil {
			return false
		}
	}
	return true
}

// guessBuiltin picks the built-in template whose special tokens the
// vocabulary has.
func guessBuiltin(f *gguf.File, tok *tokenizer.Tokenizer) string {
	has := func(text string) bool {
		ids := tok.Encode(text, false, true)
		return len(ids) == 1 && tok.Text(ids[0]) == text
	}
	switch {
	case has("<|im_start|>"):
		return "chatml"
	case has("<|start_header_id|>"):
		return "llama3"
	case has("<start_of_turn>"):
		return "gemma"
	case has("<|end|>") && has("<|user|>"):
		return "phi3"
	case has("[INST]") || mistralNamed(f):
		return "mistral"
	}
	return "llama2"
}

// mistralNamed reports whether the model's names say it is a Mistral.
func mistralNamed(f *gguf.File) bool {
	if f == nil {
		return false
	}
	for _, key := range []string{"general.name", "general.basename", "general.architecture"} {
		name, _ := f.String(key)
		name = strings.ToLower(name)
		if strings.Contains(name, "mistral") || strings.Contains(name, "mixtral") {
			return true
		}
	}
	return false
}

// StopsFor splits the template's stops for a tokenizer: a stop that is a
// single token is returned as its id, unless it is an end-of-generation
// token, which stops generation anyway; the others as texts.
func (t *Template) StopsFor(tok *tokenizer.Tokenizer) (texts []string, ids []int32) {
	for _, stop := range t.stops {
		encoded := tok.Encode(stop, false, true)
		switch {
		case len(encoded) != 1:
			texts = append(texts, stop)
		case !tok.IsEOG(encoded[0]):
			ids = append(ids, encoded[0])
		}
	}
	return texts, ids
}
