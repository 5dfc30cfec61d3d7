package server

import (
	"encoding/json"
	"net/http"

	"zhi/chat"
	"zhi/engine"
)

// chatRequest is the body of POST /v1/chat/completions.
type chatRequest struct {
	genParams
	Messages []struct {
		Role    string         `json:"role"`
		Content messageContent `json:"content"`
	} `json:"messages"`
	Logprobs       bool              `json:"logprobs"`
	TopLogprobs    *int              `json:"top_logprobs"`
	Tools          []json.RawMessage `json:"tools"`
	ResponseFormat *struct {
		Type string `json:"type"`
	} `json:"response_format"`
}

// parseChat reads and checks a chat completion request.
func parseChat(body []byte) (*generation, []chat.Message, *apiError) {
	var req chatRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, nil, e
	}
	g, e := req.generation()
	if e != nil {
		return nil, nil, e
	}
	if len(req.Messages) == 0 {
		return nil, nil, badRequest("messages", "messages is empty: give at least one message")
	}
	if len(req.Tools) > 0 {
		return nil, nil, badRequest("tools", "tools are not supported")
	}
	if f := req.ResponseFormat; f != nil && f.Type != "text" {
		return nil, nil, badRequest("response_format", "response_format %q is not supported, only \"text\"", f.Type)
	}
	if req.TopLogprobs != nil && !req.Logprobs {
		return nil, nil, badRequest("top_logprobs", "top_logprobs needs logprobs: true")
	}
	if req.Logprobs {
		top := 0
		if req.TopLogprobs != nil {
			top = *req.TopLogprobs
		}
		if e := g.setLogprobs("top_logprobs", top); e != nil {
			return nil, nil, e
		}
	}
	msgs := make([]chat.Message, len(req.Messages))
	for i, m := range req.Messages {
		if m.Role == "" {
			return nil, nil, badRequest("messages", "messages[%d] has no role", i)
		}
		// OpenAI's newer name for the system role; templates know only
		// the old one.
		if m.Role == "developer" {
			m.Role = "system"
		}
		msgs[i] = chat.Message{Role: m.Role, Content: string(m.Content)}
	}
	return g, msgs, nil
}

// chatCompletions answers POST /v1/chat/completions.
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	body, e := readBody(w, r, s.opts.MaxBody)
	if e != nil {
		writeError(w, e)
		return
	}
	g, msgs, e := parseChat(body)
	if e == nil {
		e = s.checkModel(g.model)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	text, err := s.tmpl.Render(msgs, true)
	if err != nil {
		writeError(w, badRequest("messages", "the chat template cannot render these messages: %v", err))
		return
	}
	// The template leaves BOS out; tokenizing adds it.
	g.job.Prompt = s.tokens(input{text: text})
	g.job.Stop = append(g.job.Stop, s.stopTexts...)
	g.job.StopTokens = s.stopTokens
	object := "chat.completion"
	if g.stream {
		object = "chat.completion.chunk"
	}
	s.answer(w, r, g, "messages", &chatFormat{s.newBase("chatcmpl-", object, g.logprobs)})
}

// chatCompletion is the response without streaming.
type chatCompletion struct {
	envelope
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage"`
}

type chatChoice struct {
	Index   int `json:"index"`
	Message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"message"`
	Logprobs     *chatLogprobs `json:"logprobs"`
	FinishReason string        `json:"finish_reason"`
}

// chatChunk is one streamed event.
type chatChunk struct {
	envelope
	Choices []chatChunkChoice `json:"choices"`
}

type chatChunkChoice struct {
	Index int `json:"index"`
	Delta struct {
		Role    string  `json:"role,omitempty"`
		Content *string `json:"content,omitempty"`
	} `json:"delta"`
	Logprobs     *chatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

// chatLogprobs are the chat API's log probabilities: one entry per token.
type chatLogprobs struct {
	Content []chatTokenLogprob `json:"content"`
}

type chatTokenLogprob struct {
	chatTopLogprob
	TopLogprobs []chatTopLogprob `json:"top_logprobs"`
}

type chatTopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// chatFormat shapes output as the chat completions API does.
type chatFormat struct{ base }

func (f *chatFormat) opening() any {
	c := f.newChunk()
	empty := ""
	c.Choices[0].Delta.Role = "assistant"
	c.Choices[0].Delta.Content = &empty
	return c
}

func (f *chatFormat) chunk(t engine.Token) any {
	if t.Text == "" && !f.logprobs {
		return nil
	}
	c := f.newChunk()
	c.Choices[0].Delta.Content = &t.Text
	if t.ID != engine.TextOnly {
		c.Choices[0].Logprobs = f.logprobsOf([]engine.Token{t})
	}
	return c
}

func (f *chatFormat) closing(res *engine.Result) any {
	c := f.newChunk()
	reason := finishReason(res)
	c.Choices[0].FinishReason = &reason
	return c
}

func (f *chatFormat) whole(res *engine.Result, tokens []engine.Token) any {
	c := chatCompletion{envelope: f.env, Choices: make([]chatChoice, 1), Usage: usageOf(res)}
	c.Choices[0].Message.Role = "assistant"
	c.Choices[0].Message.Content = res.Text
	c.Choices[0].Logprobs = f.logprobsOf(tokens)
	c.Choices[0].FinishReason = finishReason(res)
	return c
}

func (f *chatFormat) newChunk() *chatChunk {
	return &chatChunk{envelope: f.env, Choices: make([]chatChunkChoice, 1)}
}

// logprobsOf is nil unless log probabilities were asked for.
func (f *chatFormat) logprobsOf(tokens []engine.Token) *chatLogprobs {
	if !f.logprobs {
		return nil
	}
	lp := &chatLogprobs{Content: make([]chatTokenLogprob, len(tokens))}
	for i, t := range tokens {
		e := &lp.Content[i]
		e.chatTopLogprob = chatTop(f.tok.Piece(t.ID), t.Logprob)
		e.TopLogprobs = make([]chatTopLogprob, len(t.Top))
		for j, a := range t.Top {
			e.TopLogprobs[j] = chatTop(a.Piece, a.Logprob)
		}
	}
	return lp
}

func chatTop(piece []byte, lp float32) chatTopLogprob {
	return chatTopLogprob{Token: string(piece), Logprob: logprob(lp), Bytes: byteValues(piece)}
}
