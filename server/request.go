package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// readBody reads a request body of at most limit bytes; a longer one is a
// 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	tooLarge := newError(http.StatusRequestEntityTooLarge, "invalid_request_error", "", "request_too_large",
		"the request body is larger than the limit of %d bytes", limit)
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge
		}
		return nil, badRequest("", "reading the request body: %v", err)
	}
	return body, nil
}

// decodeJSON unmarshals a request body into v, turning every way it can be
// wrong into a 400 that names the problem. Unknown fields are ignored, as
// OpenAI's API does.
func decodeJSON(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("", "the request body is empty: send a JSON object")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if typeErr.Field == "" {
			return badRequest("", "the request body must be a JSON object, not %s", typeErr.Value)
		}
		return badRequest(typeErr.Field, "%s: want %s, got %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	}
	if fe, ok := errors.AsType[*fieldError](err); ok {
		return badRequest(fe.field, "%s: %s", fe.field, fe.msg)
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return badRequest("", "the request body is not valid JSON: %v", err)
	}
	return badRequest("", "the request body is not valid: %v", err)
}

// jsonKind names a Go kind the way a JSON user thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer in range"
	case strings.HasPrefix(kind, "float"):
		return "a number in range"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean"
	case kind == "slice", kind == "array":
		return "an array"
	default:
		return "an object"
	}
}

// fieldError is what the flexible field types below fail with: the field
// and what is wrong with it.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// stopList is OpenAI's "stop": null, one string or an array of strings.
// Empty strings are dropped: they would stop before anything is generated.
type stopList []string

func (s *stopList) UnmarshalJSON(b []byte) error {
	const want = "want a string or an array of strings"
	text, isArray, err := stringOrArray(b, "stop", want)
	if err != nil {
		return err
	}
	var list []string
	switch {
	case isArray:
		if err := json.Unmarshal(b, &list); err != nil {
			return &fieldError{"stop", want}
		}
	case text != nil:
		list = []string{*text}
	}
	*s = (*s)[:0]
	for _, v := range list {
		if v != "" {
			*s = append(*s, v)
		}
	}
	return nil
}

// stringOrArray reads a field that OpenAI lets be null, a string or an
// array: text is the string (nil for null), isArray tells the caller to
// decode b as its array, and any other value is an error saying what the
// field wants.
func stringOrArray(b []byte, field, want string) (text *string, isArray bool, err error) {
	switch b[0] {
	case 'n':
		return nil, false, nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, false, err
		}
		return &s, false, nil
	case '[':
		return nil, true, nil
	}
	return nil, false, &fieldError{field, want}
}

// input is one prompt: a text, or token ids to use as given.
type input struct {
	text     string
	tokens   []int32
	isTokens bool
}

// inputs is a prompt or an embedding input as OpenAI accepts them: a
// string, an array of strings, an array of token ids, or an array of
// arrays of token ids (strings and id arrays may be mixed).
type inputs []input

// promptInputs is the "prompt" of a text completion.
type promptInputs inputs

func (p *promptInputs) UnmarshalJSON(b []byte) error { return (*inputs)(p).parse(b, "prompt") }

// embeddingInputs is the "input" of an embeddings request.
type embeddingInputs inputs

func (p *embeddingInputs) UnmarshalJSON(b []byte) error { return (*inputs)(p).parse(b, "input") }

// parse reads the JSON value of the request field named field.
func (in *inputs) parse(b []byte, field string) error {
	text, isArray, err := stringOrArray(b, field, "want a string, an array of strings, an array of token ids or an array of such arrays")
	if err != nil || !isArray {
		*in = nil
		if text != nil {
			*in = inputs{{text: *text}}
		}
		return err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	if len(items) == 0 {
		return &fieldError{field, "the array is empty"}
	}
	if c := items[0][0]; c == '-' || (c >= '0' && c <= '9') {
		var ids []int32
		if err := json.Unmarshal(b, &ids); err != nil {
			return &fieldError{field, "an array of token ids must hold only integers in range"}
		}
		*in = inputs{{tokens: ids, isTokens: true}}
		return nil
	}
	list := make(inputs, len(items))
	for i, item := range items {
		switch item[0] {
		case '"':
			if err := json.Unmarshal(item, &list[i].text); err != nil {
				return err
			}
		case '[':
			if err := json.Unmarshal(item, &list[i].tokens); err != nil {
				return &fieldError{fmt.Sprintf("%s[%d]", field, i), "an array of token ids must hold only integers in range"}
			}
			list[i].isTokens = true
		default:
			return &fieldError{fmt.Sprintf("%s[%d]", field, i), "want a string or an array of token ids"}
		}
	}
	*in = list
	return nil
}

// messageContent is a chat message's content: a string, null, or an array
// of parts of which only {"type":"text","text":...} are supported; their
// texts are concatenated.
type messageContent string

func (c *messageContent) UnmarshalJSON(b []byte) error {
	text, isArray, err := stringOrArray(b, "content", "want a string or an array of content parts")
	if err != nil || !isArray {
		*c = ""
		if text != nil {
			*c = messageContent(*text)
		}
		return err
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return &fieldError{"content", "want an array of {\"type\":\"text\",\"text\":...} parts"}
	}
	var sb strings.Builder
	for i, p := range parts {
		if p.Type != "text" {
			return &fieldError{fmt.Sprintf("content[%d]", i), fmt.Sprintf("content parts of type %q are not supported, only \"text\"", p.Type)}
		}
		if p.Text == nil {
			return &fieldError{fmt.Sprintf("content[%d]", i), "a text part needs a \"text\" string"}
		}
		sb.WriteString(*p.Text)
	}
	*c = messageContent(sb.String())
	return nil
}
