// Package eval measures how well a model predicts a text: its perplexity and
// bits per byte.
//
// Perplexity is computed the way the reference's llama-perplexity computes
// it, so that the numbers compare:
//
//   - The whole text is tokenized once, as plain text (special-token texts
//     such as <|eot_id|> stay text), with a BOS token in front when the
//     vocabulary asks for one.
//   - The tokens are cut into chunks of Context tokens (n_ctx); a remainder
//     shorter than a chunk is dropped. At least two chunks' worth of tokens
//     are needed.
//   - Each chunk runs as a fresh sequence. When the vocabulary adds BOS, the
//     chunk's first token is replaced by BOS for the run (but never scored).
//   - Only the second half of each chunk is scored, so that every scored
//     token has at least Context/2 tokens before it: the logits at positions
//     Context/2 .. Context-2 predict the tokens at Context/2+1 .. Context-1,
//     Context-Context/2-1 tokens per chunk.
//
// With N the number of scored tokens and nll_i = -ln p(token_i) in nats:
//
//	PPL   = exp(Σ nll_i / N)
//	PPLSD = PPL · sqrt((Σ nll_i²/N - (Σ nll_i/N)²) / (N-1))
//	BPB   = Σ nll_i / ln 2 / B
//
// PPLSD is the reference's "+/-": the standard error of the mean NLL,
// carried to PPL to first order. B is the number of bytes the scored tokens
// decode to, each token counted as the bytes of its piece; as the scored
// tokens are consecutive plain-text tokens, those are exactly the bytes of
// the stretches of the text they cover. BPB is thus the model's code length
// for those bytes in bits, per byte, and unlike PPL it does not depend on
// the tokenizer.
package eval

import (
	"fmt"
	"math"
	"unicode/utf8"

	"zhi/engine"
	"zhi/sample"
)

// DefaultContext is the chunk size the reference's llama-perplexity uses
// unless told otherwise.
const DefaultContext = 512

// minContext is the smallest chunk that scores a token: Context/2 tokens
// of context, then the one predicted.
const minContext = 3

// Options configure Perplexity.
type Options struct {
	// Context is the chunk size in tokens (the reference's n_ctx); 0 means
	// the engine's context size.
	Context int
	// MaxChunks caps how many chunks are evaluated; 0 or less means all.
	MaxChunks int
	// Progress, when set, is called after each chunk with the estimate over
	// the chunks done so far and the number of chunks that will be done.
	Progress func(sofar Result, chunks int)
}

// Result is a perplexity measurement.
type Result struct {
	PPL    float64 // perplexity: exp of the mean NLL per scored token
	PPLSD  float64 // standard error of PPL; 0 with fewer than two scored tokens or no spread
	BPB    float64 // bits per byte: NLL / ln 2 / Bytes; 0 when Bytes is 0
	NLL    float64 // sum of the negative log-likelihoods of the scored tokens, in nats
	Tokens int     // scored tokens
	Bytes  int     // bytes the scored tokens decode to
	Chunks int     // chunks evaluated
}

// Perplexity runs text through the model chunk by chunk and measures how
// well it predicts the second half of each chunk, as described in the
// package documentation. The text must be valid UTF-8: the tokenizer would
// replace bad bytes by U+FFFD, as the reference does, and the model would
// then be measured on a text other than the one given. Perplexity uses the
// engine's threads: nothing else may use the engine meanwhile.
func Perplexity(e *engine.Engine, text string, o Options) (Result, error) {
	if !utf8.ValidString(text) {
		return Result{}, fmt.Errorf("the text is not valid UTF-8 (first bad byte at offset %d)", firstInvalidByte(text))
	}
	if text == "" {
		return Result{}, fmt.Errorf("the text is empty")
	}
	n := o.Context
	if n == 0 {
		n = e.Context
	}
	if n < minContext {
		return Result{}, fmt.Errorf("the context must be at least %d tokens, not %d", minContext, n)
	}
	if n > e.Context {
		return Result{}, fmt.Errorf("a context of %d tokens does not fit the engine's %d", n, e.Context)
	}
	tokens := tokenize(e, text)
	if len(tokens) < 2*n {
		return Result{}, fmt.Errorf("need at least %d tokens for a context of %d, but the text has only %d", 2*n, n, len(tokens))
	}
	chunks := len(tokens) / n
	if o.MaxChunks > 0 {
		chunks = min(chunks, o.MaxChunks)
	}
	bos, addBOS := e.Tokenizer.BOS()
	addBOS = addBOS && e.Tokenizer.AddBOS()
	first := n / 2
	nll := make([]float64, n-1-first)
	var s sums
	chunk := make([]int32, n)
	for c := range chunks {
		start := c * n
		copy(chunk, tokens[start:start+n])
		if addBOS {
			chunk[0] = bos
		}
		rows, err := e.Logits(chunk, true)
		if err != nil {
			return Result{}, fmt.Errorf("chunk %d: %w", c+1, err)
		}
		// Position first+j predicts token first+j+1 of the chunk.
		targets := tokens[start+first+1 : start+n]
		e.Pool.For(len(nll), 1, func(_, lo, hi int) {
			for j := lo; j < hi; j++ {
				row := rows[first+j]
				nll[j] = sample.LogSumExp(row) - float64(row[targets[j]])
			}
		})
		// Summed in order, so the result does not depend on the threads.
		for j, v := range nll {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Result{}, fmt.Errorf("chunk %d: the log-likelihood of token %d is %v (broken logits?)", c+1, start+first+1+j, -v)
			}
			s.add(v, len(e.Tokenizer.Piece(targets[j])))
		}
		s.chunks++
		if o.Progress != nil {
			o.Progress(s.result(), chunks)
		}
	}
	return s.result(), nil
}

// tokenize splits the whole text as the reference's llama-perplexity does:
// BOS when the vocabulary asks for it, then the text with special-token
// texts left as text. An EOS the vocabulary may ask for is not added, as
// it would be scored as part of the last chunk.
func tokenize(e *engine.Engine, text string) []int32 {
	var tokens []int32
	if bos, ok := e.Tokenizer.BOS(); ok && e.Tokenizer.AddBOS() {
		tokens = append(tokens, bos)
	}
	return append(tokens, e.Tokenizer.Encode(text, false, false)...)
}

// firstInvalidByte returns the offset of the first byte of s that does not
// start a valid UTF-8 sequence.
func firstInvalidByte(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

// sums accumulates the scored tokens' statistics, in float64 as the
// reference does.
type sums struct {
	nll, nll2 float64
	tokens    int
	bytes     int
	chunks    int
}

func (s *sums) add(nll float64, bytes int) {
	s.nll += nll
	s.nll2 += nll * nll
	s.tokens++
	s.bytes += bytes
}

// result derives the estimates from the sums.
func (s *sums) result() Result {
	r := Result{NLL: s.nll, Tokens: s.tokens, Bytes: s.bytes, Chunks: s.chunks}
	if s.tokens == 0 {
		return r
	}
	mean := s.nll / float64(s.tokens)
	r.PPL = math.Exp(mean)
	if variance := s.nll2/float64(s.tokens) - mean*mean; variance > 0 && s.tokens > 1 {
		r.PPLSD = r.PPL * math.Sqrt(variance/float64(s.tokens-1))
	}
	if s.bytes > 0 {
		r.BPB = s.nll / math.Ln2 / float64(s.bytes)
	}
	return r
}
