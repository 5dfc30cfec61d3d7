package server

import (
	"context"
	"crypto/rand"
	"errors"
	"math"
	"net/http"
	"time"

	"zhi/engine"
	"zhi/tokenizer"
)

// envelope is the head of every completion object and chunk.
type envelope struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
}

// usage counts the tokens of a completion.
type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func usageOf(res *engine.Result) *usage {
	u := &usage{
		PromptTokens:     res.PromptTokens,
		CompletionTokens: len(res.Generated),
		TotalTokens:      res.PromptTokens + len(res.Generated),
	}
	u.PromptTokensDetails.CachedTokens = res.CachedTokens
	return u
}

// usageChunk ends a stream whose request asked for
// stream_options.include_usage.
type usageChunk struct {
	envelope
	Choices []struct{} `json:"choices"`
	Usage   *usage     `json:"usage"`
}

// format puts one API's shape on what a generation produced.
type format interface {
	// opening is a stream's first chunk, sent once the job is queued, or
	// nil for none.
	opening() any
	// chunk is the stream chunk of one generated token, or nil when it
	// has nothing to tell.
	chunk(t engine.Token) any
	// closing is a stream's last chunk, with the finish reason.
	closing(res *engine.Result) any
	// usage is the chunk after the last, with the token counts.
	usage(u *usage) any
	// whole is the response when not streaming; tokens are the generated
	// ones when log probabilities were asked for (without the TextOnly
	// one).
	whole(res *engine.Result, tokens []engine.Token) any
}

// base is what both formats need: the response head and the tokenizer
// that names tokens in log probabilities.
type base struct {
	env      envelope
	tok      *tokenizer.Tokenizer
	logprobs bool
}

// newBase starts a response: id is the prefix plus a random string.
func (s *Server) newBase(prefix, object string, logprobs bool) base {
	return base{
		env:      envelope{ID: prefix + rand.Text(), Object: object, Created: time.Now().Unix(), Model: s.opts.ModelID},
		tok:      s.engine.Tokenizer,
		logprobs: logprobs,
	}
}

func (b *base) usage(u *usage) any {
	return usageChunk{envelope: b.env, Choices: []struct{}{}, Usage: u}
}

// finishReason is OpenAI's name for why a job ended: "stop" for an
// end-of-generation token or a stop string, "length" for the token limit
// or a full context.
func finishReason(res *engine.Result) string {
	if res.Reason == engine.StopLength {
		return "length"
	}
	return "stop"
}

// logprob makes a log probability JSON can carry: -Inf (a token that
// cannot be drawn) becomes -9999, as OpenAI reports it.
func logprob(v float32) float64 {
	if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
		return -9999
	}
	return float64(v)
}

// submit queues a job, mapping the scheduler's refusals to statuses;
// param names the request field that holds the prompt.
func (s *Server) submit(ctx context.Context, req engine.Request, param string) (*engine.Job, *apiError) {
	if n := len(req.Prompt); n > s.engine.Context {
		return nil, newError(http.StatusBadRequest, "invalid_request_error", param, "context_length_exceeded",
			"the prompt has %d tokens, more than the context size of %d tokens", n, s.engine.Context)
	}
	job, err := s.sched.Submit(ctx, req)
	switch {
	case err == nil:
		return job, nil
	case errors.Is(err, engine.ErrQueueFull):
		return nil, newError(http.StatusServiceUnavailable, "server_error", "", "queue_full",
			"the server is busy: every slot is taken and the queue is full; retry later")
	case errors.Is(err, engine.ErrClosed):
		return nil, newError(http.StatusServiceUnavailable, "server_error", "", "shutting_down",
			"the server is shutting down")
	case errors.Is(err, engine.ErrInvalid):
		return nil, badRequest(param, "%v", err)
	default:
		return nil, internalError(err)
	}
}

// answer runs a generation and sends its output in format f, streamed or
// whole. A client that goes away cancels the job through the request's
// context and gets nothing more.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, g *generation, param string, f format) {
	job, e := s.submit(r.Context(), g.job, param)
	if e != nil {
		writeError(w, e)
		return
	}
	if !g.stream {
		var tokens []engine.Token
		for t := range job.Tokens() {
			if g.logprobs && t.ID != engine.TextOnly {
				tokens = append(tokens, t)
			}
		}
		res, err := job.Wait()
		if err != nil {
			if r.Context().Err() == nil {
				writeError(w, internalError(err))
			}
			return
		}
		writeJSON(w, http.StatusOK, f.whole(res, tokens))
		return
	}

	events := startEvents(w)
	if c := f.opening(); c != nil && events.send(c) != nil {
		return
	}
	for t := range job.Tokens() {
		if c := f.chunk(t); c != nil && events.send(c) != nil {
			return
		}
	}
	res, err := job.Wait()
	if err != nil {
		if r.Context().Err() == nil {
			events.send(errorBody{internalError(err)})
		}
		return
	}
	if events.send(f.closing(res)) != nil {
		return
	}
	if g.includeUsage && events.send(f.usage(usageOf(res))) != nil {
		return
	}
	events.done()
}

// eventStream writes server-sent events, each flushed at once.
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startEvents sends the headers of an event stream.
func startEvents(w http.ResponseWriter) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // keep reverse proxies from holding events back
	w.WriteHeader(http.StatusOK)
	e := &eventStream{w: w, rc: http.NewResponseController(w)}
	e.rc.Flush()
	return e
}

// send writes one "data: JSON" event; an error means the client is gone.
func (e *eventStream) send(v any) error {
	body, err := marshal(v)
	if err != nil {
		body, _ = marshal(errorBody{internalError(err)})
	}
	return e.write(body)
}

// done ends the stream as OpenAI's does.
func (e *eventStream) done() { e.write([]byte("[DONE]")) }

func (e *eventStream) write(data []byte) error {
	buf := make([]byte, 0, len(data)+8)
	buf = append(buf, "data: "...)
	buf = append(append(buf, data...), "\n\n"...)
	if _, err := e.w.Write(buf); err != nil {
		return err
	}
	return e.rc.Flush()
}

// byteValues lists bytes as numbers, as OpenAI's "bytes" fields do (Go
// would write a []byte in base64).
func byteValues(b []byte) []int {
	v := make([]int, len(b))
	for i, c := range b {
		v[i] = int(c)
	}
	return v
}
