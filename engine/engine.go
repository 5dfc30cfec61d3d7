// Package engine ties a model file to everything needed to use it: it opens
// the GGUF, builds the network and the tokenizer, and runs prompts through
// them to logits and generated text.
package engine

import (
	"errors"
	"fmt"
	"os"

	"zhi/gguf"
	"zhi/model"
	"zhi/tensor"
	"zhi/tokenizer"
)

// DefaultContext caps the context of models trained on longer ones, so that
// the KV cache of an 8B model with 128k context does not take 16 GiB by
// default. The caller may ask for more.
const DefaultContext = 4096

// UBatch is how many prompt tokens go through the network in one forward
// pass. The reference splits prompts into micro-batches of 512 (its default
// n_ubatch), and the batch size decides which kernels, and so which
// roundings, compute a position's logits; splitting the same way keeps long
// prompts equal to the reference's and bounds the scratch memory.
const UBatch = 512

// Options configure Open.
type Options struct {
	Threads int         // worker threads; 0 means one per CPU
	Context int         // KV cache size in tokens; 0 means min(DefaultContext, trained context)
	CacheK  tensor.Type // type the cache stores keys in: F16 (the zero value means F16) or Q8_0
	CacheV  tensor.Type // likewise for values
}

// Engine is an open model file: network, tokenizer and the threads that run
// them.
type Engine struct {
	File      *gguf.File
	Model     model.Model
	Tokenizer *tokenizer.Tokenizer
	Pool      *tensor.Pool
	Context   int
	CacheK    tensor.Type
	CacheV    tensor.Type
}

// Open loads the model at path.
func Open(path string, o Options) (*Engine, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("model file %s does not exist", path)
		}
		return nil, err
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	e, err := fromFile(f, o)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// OpenBytes loads a model held in memory, such as one built into the
// binary; name is what errors call it. The engine reads data in place.
func OpenBytes(name string, data []byte, o Options) (*Engine, error) {
	f, err := gguf.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	e, err := fromFile(f, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return e, nil
}

func fromFile(f *gguf.File, o Options) (*Engine, error) {
	m, err := model.Load(f)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() != m.Config().VocabSize {
		return nil, fmt.Errorf("tokenizer has %d tokens but the model's vocabulary has %d", tok.VocabSize(), m.Config().VocabSize)
	}
	ctx := o.Context
	if ctx <= 0 {
		ctx = min(DefaultContext, m.Config().ContextLength)
	}
	e := &Engine{File: f, Model: m, Tokenizer: tok, Context: ctx, CacheK: o.CacheK, CacheV: o.CacheV}
	if e.CacheK == tensor.F32 {
		e.CacheK = tensor.F16
	}
	if e.CacheV == tensor.F32 {
		e.CacheV = tensor.F16
	}
	if err := model.CheckCacheTypes(m, e.CacheK, e.CacheV); err != nil {
		return nil, err
	}
	e.Pool = tensor.NewPool(o.Threads)
	return e, nil
}

// Close releases the file and the worker threads.
func (e *Engine) Close() error {
	e.Pool.Close()
	return e.File.Close()
}

// NewSession starts an empty sequence with the engine's context size.
func (e *Engine) NewSession() (*model.Session, error) {
	return model.NewSessionCache(e.Model, e.Context, e.CacheK, e.CacheV, e.Pool)
}

// Tokenize turns text into ids, adding BOS/EOS as the model's metadata asks
// when addSpecial is set; special-token text such as <|eot_id|> becomes its
// token, as in the reference's command-line tools.
func (e *Engine) Tokenize(text string, addSpecial bool) []int32 {
	return e.Tokenizer.Encode(text, addSpecial, true)
}

// checkPrompt refuses prompts that cannot be run.
func (e *Engine) checkPrompt(tokens []int32) error {
	if len(tokens) == 0 {
		return fmt.Errorf("the prompt is empty")
	}
	if len(tokens) > e.Context {
		return fmt.Errorf("the prompt has %d tokens, more than the context size of %d", len(tokens), e.Context)
	}
	vocab := e.Model.Config().VocabSize
	for _, id := range tokens {
		if id < 0 || int(id) >= vocab {
			return fmt.Errorf("token id %d is outside the vocabulary (0..%d)", id, vocab-1)
		}
	}
	return nil
}

// Logits runs the prompt in one batch and returns the logits after each
// token when all is set, else after the last one only: one row of
// VocabSize values per position.
func (e *Engine) Logits(tokens []int32, all bool) ([][]float32, error) {
	if err := e.checkPrompt(tokens); err != nil {
		return nil, err
	}
	s, err := e.NewSession()
	if err != nil {
		return nil, err
	}
	var rows [][]float32
	err = e.prefill(s, tokens, all, func(flat []float32) {
		vocab := e.Model.Config().VocabSize
		for i := 0; i < len(flat); i += vocab {
			rows = append(rows, append([]float32(nil), flat[i:i+vocab]...))
		}
	})
	return rows, err
}

// prefill runs a prompt through the session in micro-batches of UBatch
// tokens, passing each batch's logits to use: every position's when all is
// set, else only the last batch's last position.
func (e *Engine) prefill(s *model.Session, tokens []int32, all bool, use func(logits []float32)) error {
	for start := 0; start < len(tokens); start += UBatch {
		end := min(start+UBatch, len(tokens))
		logits, err := e.Model.Forward(s, tokens[start:end], all)
		if err != nil {
			return err
		}
		if all || end == len(tokens) {
			use(logits)
		}
	}
	return nil
}
