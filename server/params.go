package server

import (
	"math"
	"math/rand/v2"

	"zhi/engine"
	"zhi/sample"
)

// Limits on request fields, as OpenAI's API sets them.
const (
	maxStops       = 4
	maxTopLogprobs = 20
)

// genParams are the request fields chat and text completions share. Those
// absent keep llama.cpp's defaults (sample.Defaults: temperature 0.8,
// top_k 40, top_p 0.95, min_p 0.05), which suit local models better than
// OpenAI's temperature 1 with no filtering.
type genParams struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N                   *int     `json:"n"`
	MaxTokens           *int     `json:"max_tokens"`
	MaxCompletionTokens *int     `json:"max_completion_tokens"`
	Stop                stopList `json:"stop"`
	Temperature         *float32 `json:"temperature"`
	TopP                *float32 `json:"top_p"`
	TopK                *int     `json:"top_k"`
	MinP                *float32 `json:"min_p"`
	RepeatPenalty       *float32 `json:"repeat_penalty"`
	RepeatLastN         *int     `json:"repeat_last_n"`
	PresencePenalty     *float32 `json:"presence_penalty"`
	FrequencyPenalty    *float32 `json:"frequency_penalty"`
	// Seed makes sampling repeatable; absent or -1 (llama.cpp's "random")
	// draws a new one.
	Seed *int64 `json:"seed"`
}

// generation is a parsed chat or text completion request: how to answer
// it and the scheduler request, all but its prompt.
type generation struct {
	model        string
	stream       bool
	includeUsage bool // a final stream chunk with the usage
	logprobs     bool // report the log probability of each token
	job          engine.Request
}

// generation checks the shared fields and turns them into a generation.
func (p *genParams) generation() (*generation, *apiError) {
	g := &generation{model: p.Model, stream: p.Stream}
	if p.StreamOptions != nil {
		if !p.Stream {
			return nil, badRequest("stream_options", "stream_options is only allowed with stream: true")
		}
		g.includeUsage = p.StreamOptions.IncludeUsage
	}
	if p.N != nil && *p.N != 1 {
		return nil, badRequest("n", "n is %d: only one choice per request is supported", *p.N)
	}
	if len(p.Stop) > maxStops {
		return nil, badRequest("stop", "stop has %d sequences: at most %d are allowed", len(p.Stop), maxStops)
	}
	g.job.Stop = p.Stop
	maxName, maxTokens := "max_tokens", p.MaxTokens
	if p.MaxCompletionTokens != nil {
		maxName, maxTokens = "max_completion_tokens", p.MaxCompletionTokens
	}
	if maxTokens != nil {
		if *maxTokens < 1 {
			return nil, badRequest(maxName, "%s is %d: it must be at least 1", maxName, *maxTokens)
		}
		g.job.MaxTokens = *maxTokens
	}

	s := sample.Defaults(rand.Uint64())
	if p.Seed != nil && *p.Seed != -1 {
		s.Seed = uint64(*p.Seed)
	}
	checks := []struct {
		name      string
		v         *float32
		dst       *float32
		low, high float64
	}{
		{"temperature", p.Temperature, &s.Temperature, 0, math.Inf(1)},
		{"top_p", p.TopP, &s.TopP, 0, 1},
		{"min_p", p.MinP, &s.MinP, 0, 1},
		{"repeat_penalty", p.RepeatPenalty, &s.RepeatPenalty, 0, math.Inf(1)},
		{"presence_penalty", p.PresencePenalty, &s.PresencePenalty, -2, 2},
		{"frequency_penalty", p.FrequencyPenalty, &s.FrequencyPenalty, -2, 2},
	}
	for _, c := range checks {
		if c.v == nil {
			continue
		}
		if v := float64(*c.v); v < c.low || v > c.high {
			if math.IsInf(c.high, 1) {
				return nil, badRequest(c.name, "%s is %v: it must be at least %v", c.name, v, c.low)
			}
			return nil, badRequest(c.name, "%s is %v: it must be between %v and %v", c.name, v, c.low, c.high)
		}
		*c.dst = *c.v
	}
	if p.TopK != nil {
		if *p.TopK < 0 {
			return nil, badRequest("top_k", "top_k is %d: it must not be negative (0 turns it off)", *p.TopK)
		}
		s.TopK = *p.TopK
	}
	if p.RepeatLastN != nil {
		if *p.RepeatLastN < -1 {
			return nil, badRequest("repeat_last_n", "repeat_last_n is %d: it must be at least -1 (all tokens)", *p.RepeatLastN)
		}
		s.RepeatLastN = *p.RepeatLastN
	}
	g.job.Sampling = s
	return g, nil
}

// setLogprobs asks for log probabilities with top alternatives each;
// param names the field for the error.
func (g *generation) setLogprobs(param string, top int) *apiError {
	if top < 0 || top > maxTopLogprobs {
		return badRequest(param, "%s is %d: it must be between 0 and %d", param, top, maxTopLogprobs)
	}
	g.logprobs = true
	g.job.Logprobs, g.job.TopLogprobs = true, top
	return nil
}
