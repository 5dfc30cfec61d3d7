package bench

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"zhi/engine"
	"zhi/gguf"
	"zhi/quantize"
	"zhi/tensor"
)

const (
	// poolUnits is how many distinct quantized units the rows of a matrix
	// are assembled from.
	poolUnits = 1024
	// maxUnit bounds a unit's length in values: one K-quant super-block.
	maxUnit = 256
	// chunkBytes is how much tensor data one work item generates and writes.
	chunkBytes = 4 << 20
	// weightScale is the standard deviation of random weights and biases,
	// the usual initialisation, which keeps activations of ordinary size.
	weightScale = 0.02
	// randomSeed seeds the models OpenRandom builds.
	randomSeed = 0x5eed
)

// OpenRandom builds a model of shape s and file type ft with random weights
// in a temporary file (in $TMPDIR), opens it, and removes the file: the open
// engine keeps its memory mapping, so nothing is left behind on disk once
// the engine is closed. The file needs as much free space as the model's
// size.
func OpenRandom(s *Shape, ft quantize.FileType, o engine.Options) (*engine.Engine, error) {
	tmp, err := os.CreateTemp("", "zhi-bench-*.gguf")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	path := tmp.Name()
	tmp.Close()
	defer os.Remove(path)
	if err := WriteRandomModel(path, s, ft, randomSeed, o.Threads); err != nil {
		return nil, err
	}
	return engine.Open(path, o)
}

// WriteRandomModel writes to path a GGUF model of shape s with random
// weights drawn from seed, each tensor of the type llama-quantize gives it
// in file type ft, with a synthetic vocabulary of the shape's size.
// threads <= 0 means one per CPU. On error no file is left at path.
//
// Quantizing billions of random values with the reference's algorithms
// would take many minutes, so the rows of each matrix are assembled from a
// pool of poolUnits units (runs of whole blocks) quantized from random
// values, picked at random: every block is a valid quantization of random
// data, and a matrix product, whose speed does not depend on the values,
// costs what it costs in a real model. The header is written first; the
// tensors are then generated in parallel, chunk by chunk, and written in
// place, so memory use stays a few megabytes per thread whatever the
// model's size.
func WriteRandomModel(path string, s *Shape, ft quantize.FileType, seed uint64, threads int) (err error) {
	if err := s.validate(); err != nil {
		return fmt.Errorf("bench: shape %s: %w", s.Name, err)
	}
	g, err := newGenerator(s, ft, seed)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("bench: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	offsets, err := g.writeHeader(f)
	if err != nil {
		return err
	}
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	return g.writeTensors(f, offsets, threads)
}

// validate refuses shapes the builder or the model loader cannot handle.
func (s *Shape) validate() error {
	switch {
	case s.Arch != "llama" && s.Arch != "qwen2":
		return fmt.Errorf("architecture %q is not llama or qwen2", s.Arch)
	case s.Layers <= 0 || s.Embedding <= 0 || s.FeedForward <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.Context <= 0:
		return fmt.Errorf("layers, widths, heads and context must be positive")
	case s.Heads%s.KVHeads != 0:
		return fmt.Errorf("%d heads do not divide into %d key/value heads", s.Heads, s.KVHeads)
	case s.Embedding%s.Heads != 0 || s.HeadDim()%2 != 0:
		return fmt.Errorf("embedding %d does not split into %d heads of even width", s.Embedding, s.Heads)
	case s.Vocab < minVocab:
		return fmt.Errorf("vocabulary of %d tokens is smaller than the %d the synthetic tokenizer needs", s.Vocab, minVocab)
	}
	return nil
}

// generator makes the tensors of one random model.
type generator struct {
	s       *Shape
	ft      quantize.FileType
	seed    uint64
	tensors []genTensor
	pools   map[poolKey]*unitPool
}

// genTensor is a tensor to generate: what it is, its type and its layout.
type genTensor struct {
	tensorSpec
	typ      tensor.Type
	rows     int // a vector is one row
	rowBytes int
}

func (t *genTensor) size() uint64 { return uint64(t.rows) * uint64(t.rowBytes) }

// newGenerator lays out the model: the tensors of the shape, in the order
// and with the types llama-quantize would give them when quantizing the
// model from F32 to ft (quantize.Plan).
func newGenerator(s *Shape, ft quantize.FileType, seed uint64) (*generator, error) {
	g := &generator{s: s, ft: ft, seed: seed, pools: map[poolKey]*unitPool{}}
	specs := map[string]tensorSpec{}
	m := &quantize.Model{Arch: s.Arch, Layers: s.Layers, Heads: s.Heads, KVHeads: s.KVHeads}
	for _, spec := range s.tensors() {
		specs[spec.name] = spec
		m.Tensors = append(m.Tensors, gguf.TensorInfo{Name: spec.name, Shape: spec.dims, Type: tensor.F32})
	}
	steps, err := quantize.Plan(m, ft)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	for _, step := range steps {
		spec := specs[step.Tensor.Name]
		t := genTensor{tensorSpec: spec, typ: step.Type}
		cols := int(spec.dims[0])
		var err error
		if t.rowBytes, err = t.typ.RowSize(cols); err != nil {
			return nil, fmt.Errorf("bench: tensor %s: %w", spec.name, err)
		}
		t.rows = int(elements(spec.dims) / uint64(cols))
		g.tensors = append(g.tensors, t)
		if len(spec.dims) < 2 {
			continue
		}
		k := poolKey{t.typ, unitFor(t.typ, cols)}
		if g.pools[k] == nil {
			p, err := newUnitPool(k, seed)
			if err != nil {
				return nil, err
			}
			g.pools[k] = p
		}
	}
	return g, nil
}

// writeHeader writes the GGUF header to f, sets f's size to that of the
// whole file, and returns where each tensor's data goes.
//
// The Builder is given placeholder data of the right sizes, which never
// reaches the file: the header ends where the data section starts, which is
// known from the Builder's layout (each tensor at the next multiple of the
// alignment, in order), and the rest of its output is dropped. The file's
// data section is left sparse until writeTensors fills it.
func (g *generator) writeHeader(f *os.File) ([]int64, error) {
	b := gguf.NewBuilder()
	g.s.setMetadata(b, g.ft)
	var largest uint64
	for i := range g.tensors {
		largest = max(largest, g.tensors[i].size())
	}
	placeholder := make([]byte, largest)
	offsets := make([]int64, len(g.tensors))
	var dataSize uint64
	for i := range g.tensors {
		t := &g.tensors[i]
		if err := b.AddTensor(t.name, t.typ, t.dims, placeholder[:t.size()]); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		offsets[i] = int64(dataSize)
		dataSize += alignUp(t.size(), gguf.DefaultAlignment)
	}
	total, err := b.WriteTo(io.Discard)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	header := total - int64(dataSize)
	if _, err := b.WriteTo(&prefixWriter{w: f, left: header}); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := f.Truncate(total); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	for i := range offsets {
		offsets[i] += header
	}
	return offsets, nil
}

func alignUp(n, align uint64) uint64 { return (n + align - 1) / align * align }

// prefixWriter passes on the first left bytes written to it and drops the
// rest.
type prefixWriter struct {
	w    io.Writer
	left int64
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if n := min(int64(len(b)), p.left); n > 0 {
		if _, err := p.w.Write(b[:n]); err != nil {
			return 0, err
		}
		p.left -= n
	}
	return len(b), nil
}

// chunk is a run of rows of one tensor, generated and written as a unit.
// A vector is one row.
type chunk struct {
	tensor     int
	row0, rows int
}

// writeTensors generates every tensor into its place in f, splitting the
// work into chunks that threads workers take in turn. Each chunk has its own
// random stream, so the file does not depend on the number of threads.
func (g *generator) writeTensors(f *os.File, offsets []int64, threads int) error {
	var chunks []chunk
	for i := range g.tensors {
		t := &g.tensors[i]
		per := max(1, chunkBytes/t.rowBytes)
		for r := 0; r < t.rows; r += per {
			chunks = append(chunks, chunk{i, r, min(per, t.rows-r)})
		}
	}
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for w := range threads {
		wg.Go(func() {
			var buf []byte
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= len(chunks) {
					return
				}
				c := chunks[i]
				t := &g.tensors[c.tensor]
				var err error
				if buf, err = g.fill(c, buf); err == nil {
					_, err = f.WriteAt(buf, offsets[c.tensor]+int64(c.row0)*int64(t.rowBytes))
				}
				if err != nil {
					errs[w] = fmt.Errorf("bench: tensor %s: %w", t.name, err)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// fill generates the bytes of chunk c into buf, grown as needed.
func (g *generator) fill(c chunk, buf []byte) ([]byte, error) {
	t := &g.tensors[c.tensor]
	cols := int(t.dims[0])
	n := c.rows * t.rowBytes
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	rng := rand.New(rand.NewPCG(g.seed, uint64(c.tensor)<<32|uint64(c.row0)))
	if len(t.dims) >= 2 {
		g.pools[poolKey{t.typ, unitFor(t.typ, cols)}].fillRows(buf, rng)
		return buf, nil
	}
	vals := make([]float32, cols)
	switch t.fill {
	case fillOnes:
		for i := range vals {
			vals[i] = 1
		}
	case fillRopeFreqs:
		copy(vals, g.s.Llama3Rope.ropeFreqs(g.s.HeadDim(), g.s.RopeBase))
	default:
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * weightScale)
		}
	}
	return buf, tensor.Quantize(t.typ, vals, buf)
}

// poolKey names a pool: units of one type and length.
type poolKey struct {
	typ  tensor.Type
	unit int // values per unit
}

// unitPool holds poolUnits units, each unit values of random weights
// quantized to one type.
type unitPool struct {
	unitBytes int
	data      []byte
}

// unitFor returns the unit length for rows of cols values of type t: the
// longest run of whole blocks, up to maxUnit values, that divides a row.
func unitFor(t tensor.Type, cols int) int {
	u := t.BlockSize()
	for u*2 <= maxUnit && cols%(u*2) == 0 {
		u *= 2
	}
	return u
}

func newUnitPool(k poolKey, seed uint64) (*unitPool, error) {
	// The pool's stream differs from every chunk's: a chunk's second seed
	// word has a tensor index, far below 2^31, in its upper half.
	rng := rand.New(rand.NewPCG(seed, 1<<63|uint64(k.typ)<<32|uint64(k.unit)))
	vals := make([]float32, poolUnits*k.unit)
	for i := range vals {
		vals[i] = float32(rng.NormFloat64() * weightScale)
	}
	unitBytes, err := k.typ.RowSize(k.unit)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	p := &unitPool{unitBytes: unitBytes, data: make([]byte, poolUnits*unitBytes)}
	if err := tensor.Quantize(k.typ, vals, p.data); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return p, nil
}

// fillRows fills dst with units picked at random.
func (p *unitPool) fillRows(dst []byte, rng *rand.Rand) {
	for off := 0; off < len(dst); off += p.unitBytes {
		u := rng.IntN(poolUnits) * p.unitBytes
		copy(dst[off:off+p.unitBytes], p.data[u:u+p.unitBytes])
	}
}

// setMetadata writes the shape's hyperparameters, file type and vocabulary.
func (s *Shape) setMetadata(b *gguf.Builder, ft quantize.FileType) {
	b.Set("general.architecture", gguf.String(s.Arch))
	b.Set("general.name", gguf.String("random "+s.Name))
	b.Set("general.size_label", gguf.String(s.SizeLabel))
	b.Set("general.file_type", gguf.Uint32(uint32(ft)))
	a := s.Arch + "."
	for _, kv := range []struct {
		key string
		v   int
	}{
		{"context_length", s.Context},
		{"embedding_length", s.Embedding},
		{"block_count", s.Layers},
		{"feed_forward_length", s.FeedForward},
		{"attention.head_count", s.Heads},
		{"attention.head_count_kv", s.KVHeads},
		{"rope.dimension_count", s.HeadDim()},
		{"vocab_size", s.Vocab},
	} {
		b.Set(a+kv.key, gguf.Uint32(uint32(kv.v)))
	}
	b.Set(a+"rope.freq_base", gguf.Float32(float32(s.RopeBase)))
	b.Set(a+"attention.layer_norm_rms_epsilon", gguf.Float32(float32(s.RMSEpsilon)))
	setVocab(b, s.Vocab)
}
