package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"zhi/model"
	"zhi/sample"
)

// Errors of Submit, for callers that map them to statuses.
var (
	ErrQueueFull = errors.New("the request queue is full")
	ErrClosed    = errors.New("the scheduler is shutting down")
	// ErrInvalid wraps every reason a request cannot be run at all: an empty
	// prompt, one longer than the context, a token id outside the
	// vocabulary, sampling parameters out of range.
	ErrInvalid = errors.New("invalid request")
)

// invalid is a request error that reads as its reason and matches ErrInvalid.
type invalid struct{ err error }

func (e invalid) Error() string        { return e.err.Error() }
func (e invalid) Unwrap() error        { return e.err }
func (e invalid) Is(target error) bool { return target == ErrInvalid }

// SchedulerOptions configure NewScheduler.
type SchedulerOptions struct {
	// Slots is how many sequences are computed together, each with its own
	// KV cache of Engine.Context tokens; 0 means 1.
	Slots int
	// Queue is how many requests may wait for a free slot before Submit
	// refuses more with ErrQueueFull; 0 means 4 per slot.
	Queue int
}

// Request is one piece of work for the scheduler: a prompt to continue, or
// to embed.
type Request struct {
	Prompt    []int32
	MaxTokens int           // stop after this many new tokens; <= 0 means until the context is full
	Sampling  sample.Params // how each token is chosen
	Stop      []string      // stop when the text produces one of these; it is not included
	// Logprobs asks for each generated token's Logprob; TopLogprobs for
	// that many of the most probable tokens besides (and implies Logprobs).
	// Both cost a pass over the vocabulary per token, so they are off by
	// default.
	Logprobs    bool
	TopLogprobs int
	// StopTokens end generation like the vocabulary's end-of-generation
	// tokens do, such as a chat template's end-of-turn marker.
	StopTokens []int32
	// Embed asks for an embedding of the prompt (Result.Embedding) instead
	// of generated tokens.
	Embed bool
}

// isStopToken reports whether id is one of the request's StopTokens.
func (r *Request) isStopToken(id int32) bool { return slices.Contains(r.StopTokens, id) }

// Token is one generated token, as the job streams it.
type Token struct {
	ID int32
	// Text is the text this token completes: whole UTF-8 characters, with
	// anything that may still become a stop string held back until it
	// cannot. It may be empty, and the last token may release text held
	// back for earlier ones.
	Text string
	// Logprob is the natural logarithm of the token's probability under
	// the model's distribution: the softmax of the raw logits, before any
	// sampling parameter (when the request asked for log probabilities).
	Logprob float32
	// Top lists the Request.TopLogprobs most probable tokens at this step,
	// most probable first.
	Top []Alternative
}

// Alternative is one candidate token of a step with its log probability.
type Alternative struct {
	ID      int32
	Piece   []byte // the token's bytes, which may be part of a UTF-8 character
	Logprob float32
}

// Result is what a job produced once it is done.
type Result struct {
	Text         string    // the generated text, cut before a stop string
	Generated    []int32   // generated ids, the end-of-generation token excluded
	Reason       string    // one of the Stop constants
	PromptTokens int       // tokens in the prompt
	CachedTokens int       // prompt tokens whose keys and values a slot already held
	Embedding    []float32 // for Embed requests: unit length
	PromptTime   time.Duration
	GenTime      time.Duration
}

// Stats are the scheduler's counters since it started, for monitoring.
type Stats struct {
	Slots, Active, Queued int
	Requests              uint64 // requests finished, successfully or not
	PromptTokens          uint64 // prompt tokens computed (not those reused)
	GeneratedTokens       uint64
	Busy                  time.Duration // time spent computing
}

// Job is a submitted request. Its tokens arrive on Tokens as they are
// generated; Wait returns the result once the channel is closed.
type Job struct {
	req    Request
	ctx    context.Context
	tokens chan Token
	done   chan struct{}
	res    *Result
	err    error
}

// Tokens is the stream of generated tokens, closed when the job ends. It has
// room for every token the job may produce, so a slow reader never holds up
// other jobs.
func (j *Job) Tokens() <-chan Token { return j.tokens }

// Wait blocks until the job is done and returns its result, or why it
// failed: the error of its context when that was cancelled first.
func (j *Job) Wait() (*Result, error) {
	<-j.done
	return j.res, j.err
}

// Scheduler runs many requests on one engine at once: each active request
// holds a slot (a KV cache), and every step computes one batch holding the
// next token of each generating request together with prompt chunks of
// those just admitted (continuous batching). A slot keeps its tokens after
// its request ends, so a request that starts with the same tokens (the next
// turn of a chat, a shared system prompt) computes only what differs.
//
// The scheduler owns the engine's worker pool while it runs: use the
// engine only through it.
type Scheduler struct {
	e     *Engine
	queue chan *Job
	wake  chan struct{}
	loop  sync.WaitGroup

	mu      sync.Mutex
	closing bool
	stats   Stats
	slots   []*slot
	active  []*run
}

// NewScheduler starts a scheduler on e.
func NewScheduler(e *Engine, o SchedulerOptions) (*Scheduler, error) {
	if o.Slots < 0 || o.Queue < 0 {
		return nil, fmt.Errorf("slots (%d) and queue (%d) must not be negative", o.Slots, o.Queue)
	}
	slots := max(o.Slots, 1)
	queue := o.Queue
	if queue == 0 {
		queue = 4 * slots
	}
	s := &Scheduler{
		e:     e,
		queue: make(chan *Job, queue),
		wake:  make(chan struct{}, 1),
	}
	s.stats.Slots = slots
	for range slots {
		c, err := model.NewCache(e.Model, e.Context, e.CacheK, e.CacheV)
		if err != nil {
			return nil, err
		}
		s.slots = append(s.slots, &slot{cache: c})
	}
	s.loop.Add(1)
	go s.run()
	return s, nil
}

// Submit queues a request. It fails at once with an error wrapping
// ErrInvalid, ErrQueueFull or ErrClosed; otherwise the job runs until it
// ends or ctx is cancelled.
func (s *Scheduler) Submit(ctx context.Context, r Request) (*Job, error) {
	if err := s.e.checkPrompt(r.Prompt); err != nil {
		return nil, invalid{err}
	}
	if err := r.Sampling.Validate(); err != nil {
		return nil, invalid{err}
	}
	if r.TopLogprobs < 0 {
		return nil, invalid{fmt.Errorf("top logprobs %d must not be negative", r.TopLogprobs)}
	}
	room := s.e.Context - len(r.Prompt)
	if r.MaxTokens > 0 {
		room = min(room, r.MaxTokens)
	}
	// Room for every token (the last one sampled never enters the cache)
	// and a TextOnly one.
	j := &Job{req: r, ctx: ctx, tokens: make(chan Token, room+2), done: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, ErrClosed
	}
	select {
	case s.queue <- j:
	default:
		return nil, ErrQueueFull
	}
	s.stats.Queued++
	s.poke()
	return j, nil
}

// Stats returns a snapshot of the counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Active = len(s.active)
	return st
}

// Close stops taking requests, lets those queued and in flight finish, and
// returns when they have.
func (s *Scheduler) Close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.poke()
	s.loop.Wait()
}

// poke wakes the loop if it is waiting for work.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
