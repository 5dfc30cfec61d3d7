package sample

import (
	"cmp"
	"math"
	"slices"
)

// Candidate is one token with its logit and probability.
type Candidate struct {
	ID    int32
	Logit float32
	Prob  float32
}

// Argmax returns the index of the largest logit, the first one on ties.
// It returns -1 for an empty slice and 0 when every entry is NaN or -Inf.
func Argmax(logits []float32) int32 {
	if len(logits) == 0 {
		return -1
	}
	best, bestLogit := 0, clean(logits[0])
	for i, v := range logits {
		// A NaN fails the comparison, so it never takes the lead.
		if v > bestLogit {
			best, bestLogit = i, v
		}
	}
	return int32(best)
}

// LogSumExp returns log(sum(exp(logits))) computed stably (float64
// accumulation). It is -Inf for an empty slice and +Inf if any logit is +Inf.
func LogSumExp(logits []float32) float64 {
	peak := math.Inf(-1)
	for _, v := range logits {
		peak = max(peak, float64(clean(v)))
	}
	if math.IsInf(peak, 0) {
		return peak
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(clean(v)) - peak)
	}
	return peak + math.Log(sum)
}

// Top returns the k highest logits as candidates with softmax probabilities
// over the whole vocabulary, highest first (ties: lower id first). It returns
// fewer than k candidates only when there are fewer logits, and nil for k <= 0.
func Top(logits []float32, k int) []Candidate {
	k = min(k, len(logits))
	if k <= 0 {
		return nil
	}
	best := selectBest(make([]Candidate, k), logits)
	lse := LogSumExp(logits)
	for i := range best {
		best[i].Prob = float32(math.Exp(float64(best[i].Logit) - lse))
	}
	return best
}

// selectBest fills dst with the len(dst) best tokens of logits, best first,
// in O(n log k): dst is kept as a heap whose root is the worst token kept so
// far, so most tokens cost one comparison. len(dst) must be in [1, len(logits)].
func selectBest(dst []Candidate, logits []float32) []Candidate {
	for i := range dst {
		dst[i] = Candidate{ID: int32(i), Logit: clean(logits[i])}
	}
	for i := len(dst)/2 - 1; i >= 0; i-- {
		siftDown(dst, i)
	}
	for i := len(dst); i < len(logits); i++ {
		// Every id kept so far is lower than i, so token i beats the worst
		// kept one exactly when its logit is strictly greater (ties go to
		// the lower id). A NaN fails the comparison and is never kept.
		if v := logits[i]; v > dst[0].Logit {
			dst[0] = Candidate{ID: int32(i), Logit: v}
			siftDown(dst, 0)
		}
	}
	slices.SortFunc(dst, compareBest)
	return dst
}

// siftDown restores the heap property (every parent ranks below its
// children) for the subtree rooted at i.
func siftDown(h []Candidate, i int) {
	for {
		worst := i
		for _, child := range [2]int{2*i + 1, 2*i + 2} {
			if child < len(h) && compareBest(h[child], h[worst]) > 0 {
				worst = child
			}
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

// compareBest orders candidates best first: higher logit, then lower id.
// Logits must not be NaN (see clean).
func compareBest(a, b Candidate) int {
	if c := cmp.Compare(b.Logit, a.Logit); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// clean maps NaN to -Inf, the package's rule for broken logits, so that
// orderings stay total.
func clean(v float32) float32 {
	if v != v {
		return float32(math.Inf(-1))
	}
	return v
}
