package model

import (
	"fmt"
	"sort"
	"strings"

	"zhi/gguf"
	"zhi/tensor"
)

// Model is a loaded network that turns tokens into logits.
type Model interface {
	// Config is the network's shape.
	Config() *Config
	// Forward runs tokens through the network at the positions following
	// those already in the session's cache, appends their keys and values to
	// the cache, and returns logits: VocabSize values for every token when all
	// is true, else for the last token only. The returned slice is reused by
	// the next call.
	Forward(s *Session, tokens []int32, all bool) ([]float32, error)
	// ForwardBatch runs several sequences at once, each continuing its own
	// cache, and returns the wanted output rows of every sequence, in order:
	// VocabSize logits or Embedding hidden values per row. A sequence's
	// results are the same whatever else is in the batch. The returned
	// slice is reused by the next call.
	ForwardBatch(s *Session, seqs []Seq, want Output) ([]float32, error)
}

// loader builds a Model of one architecture from a file and its config.
type loader func(f *gguf.File, c *Config) (Model, error)

var architectures = map[string]loader{}

// register makes an architecture loadable under its general.architecture name.
func register(arch string, l loader) { architectures[arch] = l }

// Architectures lists the supported general.architecture names, sorted.
func Architectures() []string {
	names := make([]string, 0, len(architectures))
	for n := range architectures {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load builds the model a GGUF file describes. Weights stay in the file's
// memory map; only small vectors (norms, biases) are converted to float32.
func Load(f *gguf.File) (Model, error) {
	arch, ok := f.String("general.architecture")
	if !ok {
		return nil, fmt.Errorf("model: general.architecture is missing")
	}
	l, ok := architectures[arch]
	if !ok {
		return nil, fmt.Errorf("model: architecture %q is not supported (supported: %s)", arch, strings.Join(Architectures(), ", "))
	}
	c, err := readConfig(f, arch)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := l(f, c)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", arch, err)
	}
	return m, nil
}

// weights looks tensors up by name and checks their shapes, so a loader reads
// as a list of the tensors an architecture needs.
type weights struct {
	f   *gguf.File
	err error
}

func (w *weights) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// matrix returns the tensor name as a rows×cols matrix.
func (w *weights) matrix(name string, rows, cols int) *tensor.Matrix {
	t, ok := w.f.Tensor(name)
	if !ok {
		w.fail("tensor %s is missing", name)
		return nil
	}
	if len(t.Shape) != 2 || t.Shape[0] != uint64(cols) || t.Shape[1] != uint64(rows) {
		w.fail("tensor %s has shape %v, want [%d %d]", name, t.Shape, cols, rows)
		return nil
	}
	m, err := tensor.NewMatrix(t.Type, rows, cols, w.f.TensorData(t))
	if err != nil {
		w.fail("tensor %s: %v", name, err)
		return nil
	}
	return m
}

// optionalMatrix is matrix for a tensor that may be absent.
func (w *weights) optionalMatrix(name string, rows, cols int) *tensor.Matrix {
	if _, ok := w.f.Tensor(name); !ok {
		return nil
	}
	return w.matrix(name, rows, cols)
}

// vector returns a 1-D tensor of n values as float32.
func (w *weights) vector(name string, n int) []float32 {
	t, ok := w.f.Tensor(name)
	if !ok {
		w.fail("tensor %s is missing", name)
		return nil
	}
	if t.NumElements() != uint64(n) {
		w.fail("tensor %s has shape %v, want %d values", name, t.Shape, n)
		return nil
	}
	v := make([]float32, n)
	if err := tensor.Dequantize(t.Type, w.f.TensorData(t), v); err != nil {
		w.fail("tensor %s: %v", name, err)
		return nil
	}
	return v
}

// optionalVector is vector for a tensor that may be absent.
func (w *weights) optionalVector(name string, n int) []float32 {
	if _, ok := w.f.Tensor(name); !ok {
		return nil
	}
	return w.vector(name, n)
}
