package sample

import (
	"math"
	"math/rand/v2"
	"slices"
)

// pcgStream is the fixed second half of the PCG seed, so that Params.Seed
// alone determines the stream.
const pcgStream = 0x7a68692d73616d70 // "zhi-samp"

// Sampler draws tokens according to its Params. It keeps scratch buffers,
// so after the first call Sample allocates nothing while the vocabulary size
// stays the same. A Sampler is not safe for concurrent use.
type Sampler struct {
	p   Params
	rng rand.PCG

	cands     []Candidate // candidates still in the running
	weights   []float64   // unnormalized probabilities of cands
	penalized []float32   // logits after the penalty stage
	counts    []int32     // per token id: occurrences in the penalty window; all zero between calls
	seen      []int32     // ids with a nonzero count, to apply and reset them
}

// New returns a Sampler for p, seeded with p.Seed. Call p.Validate first:
// New replaces parameters that Validate rejects with greedy decoding.
func New(p Params) *Sampler {
	if p.Validate() != nil {
		p = Params{Seed: p.Seed}
	}
	s := &Sampler{p: p}
	s.rng.Seed(p.Seed, pcgStream)
	return s
}

// Sample returns the next token for logits, given history, the prompt and
// the tokens generated so far (the penalties look at its last RepeatLastN
// entries; ids outside the vocabulary are ignored). Logits is not modified.
// With Temperature <= 0 the result is the arg-max of the penalized logits,
// the first on ties. Sample returns -1 only when logits is empty.
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	if len(logits) == 0 {
		return -1
	}
	if s.p.penalizes() && len(history) > 0 {
		logits = s.penalize(logits, history)
	}
	if s.p.Temperature <= 0 {
		return Argmax(logits)
	}
	return s.draw(s.filter(logits))
}

// penalize returns a copy of logits with llama.cpp's penalties applied to
// every token that occurs in the window: a repeat penalty that pushes the
// logit towards -Inf (divide if positive, multiply otherwise), then
// count*frequency + presence subtracted.
func (s *Sampler) penalize(logits []float32, history []int32) []float32 {
	if n := s.p.RepeatLastN; n > 0 && n < len(history) {
		history = history[len(history)-n:]
	}
	if len(s.counts) < len(logits) {
		s.counts = make([]int32, len(logits))
		// Never more distinct ids than counts, so seen never grows.
		s.seen = make([]int32, 0, len(logits))
	}
	s.penalized = append(s.penalized[:0], logits...)
	out := s.penalized

	seen := s.seen[:0]
	for _, id := range history {
		if id < 0 || int(id) >= len(out) {
			continue
		}
		if s.counts[id] == 0 {
			seen = append(seen, id)
		}
		s.counts[id]++
	}
	repeat := s.p.RepeatPenalty
	if repeat == 0 {
		repeat = 1
	}
	for _, id := range seen {
		count := s.counts[id]
		s.counts[id] = 0
		v := out[id]
		if v <= 0 {
			v *= repeat
		} else {
			v /= repeat
		}
		out[id] = v - (float32(count)*s.p.FrequencyPenalty + s.p.PresencePenalty)
	}
	s.seen = seen
	return out
}

// filter applies top-k, top-p, min-p and temperature, in that order, and
// returns the surviving candidates with their logits divided by the
// temperature. At least one candidate always survives.
func (s *Sampler) filter(logits []float32) []Candidate {
	var c []Candidate
	sorted := false
	if k := s.p.TopK; k > 0 && k < len(logits) {
		s.cands = slices.Grow(s.cands[:0], k)[:k]
		c = selectBest(s.cands, logits)
		sorted = true
	} else {
		s.cands = slices.Grow(s.cands[:0], len(logits))[:len(logits)]
		c = s.cands
		for i, v := range logits {
			c[i] = Candidate{ID: int32(i), Logit: clean(v)}
		}
	}
	if p := s.p.TopP; p > 0 && p < 1 {
		if !sorted {
			// Only reached with top-k off; a full sort of a large
			// vocabulary costs milliseconds, which that choice accepts.
			slices.SortFunc(c, compareBest)
		}
		c = s.topP(c, p)
	}
	if p := s.p.MinP; p > 0 {
		c = minP(c, p)
	}
	if t := s.p.Temperature; t != 1 {
		for i := range c {
			c[i].Logit /= t
		}
	}
	return c
}

// topP keeps the shortest prefix of c, which is sorted best first, whose
// softmax probability mass reaches p; at least one candidate.
func (s *Sampler) topP(c []Candidate, p float32) []Candidate {
	w, total := s.weigh(c)
	target := float64(p) * total
	var mass float64
	for i, x := range w {
		mass += x
		if mass >= target {
			return c[:i+1]
		}
	}
	return c
}

// minP keeps, in order, the candidates whose probability is at least p times
// the largest one: logit >= max + ln p. The best candidate always stays
// because p <= 1.
func minP(c []Candidate, p float32) []Candidate {
	floor := float64(peak(c)) + math.Log(float64(p))
	kept := c[:0]
	for _, x := range c {
		if float64(x.Logit) >= floor {
			kept = append(kept, x)
		}
	}
	return kept
}

// draw picks one candidate with probability proportional to exp(logit).
func (s *Sampler) draw(c []Candidate) int32 {
	w, total := s.weigh(c)
	target := total * s.uniform()
	var mass float64
	chosen := 0
	for i, x := range w {
		if x == 0 {
			continue
		}
		// Falling off the end (target rounded up to total) leaves the
		// last candidate with a nonzero weight chosen.
		chosen = i
		mass += x
		if mass > target {
			break
		}
	}
	return c[chosen].ID
}

// weigh returns exp(logit - max) for every candidate, in s.weights, and
// their sum. Candidates at the max weigh exactly 1 even when the max is
// infinite, so the sum is always at least 1.
func (s *Sampler) weigh(c []Candidate) ([]float64, float64) {
	top := peak(c)
	s.weights = slices.Grow(s.weights[:0], len(c))[:len(c)]
	w := s.weights
	var total float64
	for i, x := range c {
		if x.Logit == top {
			w[i] = 1
		} else {
			w[i] = math.Exp(float64(x.Logit) - float64(top))
		}
		total += w[i]
	}
	return w, total
}

// uniform returns a float64 in [0, 1) built from the top 53 bits of the
// PCG output, which is fully specified, so draws match on every platform.
func (s *Sampler) uniform() float64 {
	return float64(s.rng.Uint64()>>11) * 0x1p-53
}

// peak returns the largest logit among c, which must not be empty.
func peak(c []Candidate) float32 {
	top := c[0].Logit
	for _, x := range c[1:] {
		top = max(top, x.Logit)
	}
	return top
}
