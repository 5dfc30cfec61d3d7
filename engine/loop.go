package engine

import (
	"math"
	"slices"
	"strings"
	"time"

	"zhi/model"
	"zhi/sample"
	"zhi/tokenizer"
)

// TextOnly is the ID of the Token a job sends last when text was held back
// until the end (an unfinished UTF-8 character, or the start of a stop
// string that never completed): it carries that text and no token.
const TextOnly = -1

// slot is a KV cache and the tokens it holds, kept after a request ends
// for the next request that starts the same way.
type slot struct {
	cache  *model.Cache
	tokens []int32 // the tokens whose keys and values cache holds
	busy   bool
	used   uint64 // when it was last taken, for least-recently-used choice
}

// run is a job in progress in a slot.
type run struct {
	job     *Job
	slot    *slot
	pending []int32  // prompt tokens still to compute
	chunk   int      // how many prompt tokens this step computes
	next    [1]int32 // the token to compute next, once the prompt is done
	sampler *sample.Sampler
	history []int32
	stream  *tokenizer.Stream
	stops   *stopMatcher
	text    strings.Builder
	res     Result
	started time.Time
	firstAt time.Time
}

// loop admits queued jobs into free slots and computes batches until the
// scheduler is closed and every job is done.
func (s *Scheduler) run() {
	defer s.loop.Done()
	sess := &model.Session{Pool: s.e.Pool}
	var clock uint64
	for {
		for s.admit(sess, &clock) {
		}
		s.dropCancelled()
		if len(s.active) == 0 {
			s.mu.Lock()
			done := s.closing && len(s.queue) == 0
			s.mu.Unlock()
			if done {
				return
			}
			<-s.wake
			continue
		}
		s.step(sess)
	}
}

// admit starts the next queued job in a free slot, if both exist, and
// reports whether it did.
func (s *Scheduler) admit(sess *model.Session, clock *uint64) bool {
	var free []*slot
	for _, sl := range s.slots {
		if !sl.busy {
			free = append(free, sl)
		}
	}
	if len(free) == 0 {
		return false
	}
	var j *Job
	select {
	case j = <-s.queue:
	default:
		return false
	}
	s.mu.Lock()
	s.stats.Queued--
	s.mu.Unlock()
	if err := j.ctx.Err(); err != nil {
		s.fail(j, err)
		return true
	}
	// The free slot holding the longest start of the prompt, or else the
	// one unused for longest.
	sl, reuse := free[0], -1
	for _, f := range free {
		n := commonPrefix(f.tokens, j.req.Prompt)
		if n > reuse || (n == reuse && f.used < sl.used) {
			sl, reuse = f, n
		}
	}
	// At least the last prompt token is computed again, for its logits.
	reuse = min(reuse, len(j.req.Prompt)-1)
	if j.req.Embed {
		reuse = 0
	}
	*clock++
	sl.busy, sl.used = true, *clock
	sl.cache.Truncate(reuse)
	sl.tokens = sl.tokens[:reuse]
	r := &run{
		job:     j,
		slot:    sl,
		pending: j.req.Prompt[reuse:],
		sampler: sample.New(j.req.Sampling),
		history: append(make([]int32, 0, len(j.req.Prompt)+64), j.req.Prompt...),
		stream:  s.e.Tokenizer.NewStream(),
		stops:   newStopMatcher(j.req.Stop),
		started: time.Now(),
	}
	r.res = Result{Reason: StopLength, PromptTokens: len(j.req.Prompt), CachedTokens: reuse}
	if j.req.Embed {
		s.embed(sess, r)
		return true
	}
	s.mu.Lock()
	s.active = append(s.active, r)
	s.mu.Unlock()
	return true
}

// commonPrefix is the number of leading tokens a and b share.
func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// dropCancelled ends the runs whose callers went away.
func (s *Scheduler) dropCancelled() {
	for _, r := range slices.Clone(s.active) {
		if err := r.job.ctx.Err(); err != nil {
			s.finish(r, err)
		}
	}
}

// step computes one batch: the next token of every generating run and a
// prompt chunk of as many prompt-computing runs as fit in UBatch tokens (at
// least one). A run's chunks are cut at the same places whatever else is
// running, so its numbers do not depend on its neighbours.
func (s *Scheduler) step(sess *model.Session) {
	var seqs []model.Seq
	var in []*run
	prompt := 0
	for _, r := range s.active {
		if len(r.pending) == 0 {
			seqs = append(seqs, model.Seq{Cache: r.slot.cache, Tokens: r.next[:]})
			in = append(in, r)
			continue
		}
		n := min(len(r.pending), UBatch)
		if prompt > 0 && prompt+n > UBatch {
			continue
		}
		prompt += n
		r.chunk = n
		seqs = append(seqs, model.Seq{Cache: r.slot.cache, Tokens: r.pending[:n]})
		in = append(in, r)
	}
	start := time.Now()
	logits, err := s.e.Model.ForwardBatch(sess, seqs, model.Logits)
	s.mu.Lock()
	s.stats.Busy += time.Since(start)
	s.stats.PromptTokens += uint64(prompt)
	s.mu.Unlock()
	if err != nil {
		for _, r := range in {
			s.finish(r, err)
		}
		return
	}
	vocab := s.e.Model.Config().VocabSize
	for i, r := range in {
		if len(r.pending) > 0 {
			r.slot.tokens = append(r.slot.tokens, r.pending[:r.chunk]...)
			r.pending = r.pending[r.chunk:]
			if len(r.pending) > 0 {
				continue
			}
		} else {
			r.slot.tokens = append(r.slot.tokens, r.next[0])
		}
		s.sample(r, logits[i*vocab:(i+1)*vocab])
	}
}

// sample picks a run's next token from its logits and sends it, or ends the
// run.
func (s *Scheduler) sample(r *run, logits []float32) {
	if r.firstAt.IsZero() {
		r.firstAt = time.Now()
	}
	tok := Token{ID: r.sampler.Sample(logits, r.history)}
	if req := &r.job.req; req.Logprobs || req.TopLogprobs > 0 {
		lse := sample.LogSumExp(logits)
		tok.Logprob = logprob(logits[tok.ID], lse)
		for _, c := range sample.Top(logits, req.TopLogprobs) {
			tok.Top = append(tok.Top, Alternative{ID: c.ID, Piece: s.e.Tokenizer.Piece(c.ID), Logprob: logprob(c.Logit, lse)})
		}
	}
	if s.e.Tokenizer.IsEOG(tok.ID) || r.job.req.isStopToken(tok.ID) {
		r.res.Reason = StopEOG
		s.finish(r, nil)
		return
	}
	r.res.Generated = append(r.res.Generated, tok.ID)
	r.history = append(r.history, tok.ID)
	s.mu.Lock()
	s.stats.GeneratedTokens++
	s.mu.Unlock()
	// Control tokens stay out of the text, as in the reference's output.
	var piece string
	if !s.e.Tokenizer.IsControl(tok.ID) {
		piece = r.stream.Add(tok.ID)
	}
	ready, hit := r.stops.feed(piece)
	r.text.WriteString(ready)
	tok.Text = ready
	r.job.tokens <- tok
	switch {
	case hit:
		r.res.Reason = StopString
	case len(r.res.Generated) == r.job.req.MaxTokens, r.slot.cache.Len() == r.slot.cache.Size():
		r.res.Reason = StopLength
	default:
		r.next[0] = tok.ID
		return
	}
	s.finish(r, nil)
}

// logprob is a logit's natural-log probability given the log of the sum of
// the exponentials of all logits.
func logprob(logit float32, lse float64) float32 {
	lp := float64(logit) - lse
	if math.IsNaN(lp) {
		return float32(math.Inf(-1))
	}
	return float32(lp)
}

// embed computes an embedding job at once: the prompt's final hidden states,
// averaged over its tokens and scaled to unit length.
func (s *Scheduler) embed(sess *model.Session, r *run) {
	dim := s.e.Model.Config().Embedding
	sum := make([]float64, dim)
	start := time.Now()
	for len(r.pending) > 0 {
		n := min(len(r.pending), UBatch)
		hidden, err := s.e.Model.ForwardBatch(sess, []model.Seq{{Cache: r.slot.cache, Tokens: r.pending[:n], All: true}}, model.Hidden)
		if err != nil {
			s.finish(r, err)
			return
		}
		for t := range n {
			for d, v := range hidden[t*dim : (t+1)*dim] {
				sum[d] += float64(v)
			}
		}
		r.slot.tokens = append(r.slot.tokens, r.pending[:n]...)
		r.pending = r.pending[n:]
	}
	var norm float64
	for _, v := range sum {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	r.res.Embedding = make([]float32, dim)
	for d, v := range sum {
		if norm > 0 {
			r.res.Embedding[d] = float32(v / norm)
		}
	}
	s.mu.Lock()
	s.stats.Busy += time.Since(start)
	s.stats.PromptTokens += uint64(len(r.job.req.Prompt))
	s.mu.Unlock()
	s.finish(r, nil)
}

// finish ends a run: err is nil when it completed, else why it stopped.
// Its slot keeps the tokens it computed.
func (s *Scheduler) finish(r *run, err error) {
	if err == nil && r.res.Reason != StopString && !r.job.req.Embed {
		ready, _ := r.stops.feed(r.stream.Flush())
		if tail := ready + r.stops.flush(); tail != "" {
			r.text.WriteString(tail)
			r.job.tokens <- Token{ID: TextOnly, Text: tail}
		}
	}
	now := time.Now()
	if r.firstAt.IsZero() {
		r.firstAt = now
	}
	r.res.Text = r.text.String()
	r.res.PromptTime, r.res.GenTime = r.firstAt.Sub(r.started), now.Sub(r.firstAt)
	r.slot.busy = false
	s.mu.Lock()
	for i, a := range s.active {
		if a == r {
			s.active = append(s.active[:i], s.active[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if err != nil {
		s.fail(r.job, err)
		return
	}
	res := r.res
	s.complete(r.job, &res, nil)
}

// fail ends a job with an error.
func (s *Scheduler) fail(j *Job, err error) { s.complete(j, nil, err) }

// complete hands a job its outcome and counts it.
func (s *Scheduler) complete(j *Job, res *Result, err error) {
	j.res, j.err = res, err
	close(j.tokens)
	close(j.done)
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
}
