package server

import (
	"net/http"

	"zhi/engine"
)

// completionRequest is the body of POST /v1/completions.
type completionRequest struct {
	genParams
	Prompt promptInputs `json:"prompt"`
	// Logprobs is how many alternatives to report with each token's log
	// probability (0: the token's alone); null or absent: none.
	Logprobs *int `json:"logprobs"`
	Echo     bool `json:"echo"`
	BestOf   *int `json:"best_of"`
}

// parseCompletion reads and checks a text completion request.
func parseCompletion(body []byte) (*generation, input, *apiError) {
	var req completionRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, input{}, e
	}
	g, e := req.generation()
	if e != nil {
		return nil, input{}, e
	}
	switch {
	case len(req.Prompt) == 0:
		return nil, input{}, badRequest("prompt", "prompt is missing")
	case len(req.Prompt) > 1:
		return nil, input{}, badRequest("prompt", "prompt holds %d prompts: only one per request is supported", len(req.Prompt))
	case req.Echo:
		return nil, input{}, badRequest("echo", "echo is not supported")
	case req.BestOf != nil && *req.BestOf != 1:
		return nil, input{}, badRequest("best_of", "best_of is %d: only 1 is supported", *req.BestOf)
	}
	if req.Logprobs != nil {
		if e := g.setLogprobs("logprobs", *req.Logprobs); e != nil {
			return nil, input{}, e
		}
	}
	return g, req.Prompt[0], nil
}

// completions answers POST /v1/completions.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	body, e := readBody(w, r, s.opts.MaxBody)
	if e != nil {
		writeError(w, e)
		return
	}
	g, prompt, e := parseCompletion(body)
	if e == nil {
		e = s.checkModel(g.model)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	g.job.Prompt = s.tokens(prompt)
	s.answer(w, r, g, "prompt", &textFormat{base: s.newBase("cmpl-", "text_completion", g.logprobs)})
}

// tokens returns the ids of a prompt given as text or as ids. Text gets
// the special tokens the model asks for (BOS), and special-token text in it
// becomes those tokens, as in the reference's server.
func (s *Server) tokens(in input) []int32 {
	if in.isTokens {
		return in.tokens
	}
	return s.engine.Tokenizer.Encode(in.text, true, true)
}

// textCompletion is both the response and a streamed chunk: OpenAI uses
// one shape for the two.
type textCompletion struct {
	envelope
	Choices []textChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
}

type textChoice struct {
	Text         string        `json:"text"`
	Index        int           `json:"index"`
	Logprobs     *textLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

// textLogprobs are the legacy completions API's log probabilities, one
// entry per token in each list. Offsets are in bytes of the generated text.
type textLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

// textFormat shapes output as the completions API does.
type textFormat struct {
	base
	offset int // where the next token starts in the generated text
}

func (f *textFormat) opening() any { return nil }

func (f *textFormat) chunk(t engine.Token) any {
	if t.Text == "" && !f.logprobs {
		return nil
	}
	var lp *textLogprobs
	if t.ID != engine.TextOnly {
		lp = f.logprobsOf([]engine.Token{t})
	}
	return f.completion(t.Text, lp, nil)
}

func (f *textFormat) closing(res *engine.Result) any {
	reason := finishReason(res)
	return f.completion("", nil, &reason)
}

func (f *textFormat) whole(res *engine.Result, tokens []engine.Token) any {
	reason := finishReason(res)
	c := f.completion(res.Text, f.logprobsOf(tokens), &reason)
	c.Usage = usageOf(res)
	return c
}

func (f *textFormat) completion(text string, lp *textLogprobs, reason *string) *textCompletion {
	return &textCompletion{
		envelope: f.env,
		Choices:  []textChoice{{Text: text, Logprobs: lp, FinishReason: reason}},
	}
}

// logprobsOf is nil unless log probabilities were asked for; it advances
// the text offset past the tokens.
func (f *textFormat) logprobsOf(tokens []engine.Token) *textLogprobs {
	if !f.logprobs {
		return nil
	}
	lp := &textLogprobs{
		Tokens:        make([]string, len(tokens)),
		TokenLogprobs: make([]float64, len(tokens)),
		TopLogprobs:   make([]map[string]float64, len(tokens)),
		TextOffset:    make([]int, len(tokens)),
	}
	for i, t := range tokens {
		piece := f.tok.Piece(t.ID)
		lp.Tokens[i] = string(piece)
		lp.TokenLogprobs[i] = logprob(t.Logprob)
		lp.TextOffset[i] = f.offset
		f.offset += len(piece)
		top := make(map[string]float64, len(t.Top))
		for _, a := range t.Top {
			// Two tokens may spell the same text; the likelier, listed
			// first, keeps the entry.
			if _, ok := top[string(a.Piece)]; !ok {
				top[string(a.Piece)] = logprob(a.Logprob)
			}
		}
		lp.TopLogprobs[i] = top
	}
	return lp
}
