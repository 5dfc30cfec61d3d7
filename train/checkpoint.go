package train

import (
	"fmt"
	"strings"

	"zhi/gguf"
	"zhi/model"
	"zhi/tensor"
)

// Load reads a llama-architecture GGUF file into a Model, converting every
// tensor to float32 (any type zhi can dequantize is accepted). The file's
// tokenizer metadata is kept for Save.
func Load(path string) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := fromFile(f)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return m, nil
}

func fromFile(f *gguf.File) (_ *Model, err error) {
	// The engine's loader reads and checks the hyperparameters; the
	// weights it maps are not used.
	net, err := model.Load(f)
	if err != nil {
		return nil, err
	}
	mc := net.Config()
	if mc.Arch != "llama" {
		return nil, fmt.Errorf("architecture %q cannot be trained (only llama)", mc.Arch)
	}
	if mc.RopeDim != mc.HeadDim || mc.RopeScale != 1 || mc.HeadDim*mc.Heads != mc.Embedding {
		return nil, fmt.Errorf("partial or scaled rotary embeddings and heads wider than dim/heads cannot be trained")
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		return nil, fmt.Errorf("rope_freqs (Llama 3.1 rope scaling) cannot be trained")
	}
	_, hasOutput := f.Tensor("output.weight")
	c := Config{
		Dim: mc.Embedding, Layers: mc.Layers, Heads: mc.Heads, KVHeads: mc.KVHeads, FFN: mc.FeedForward,
		Vocab: mc.VocabSize, Context: mc.ContextLength, RopeBase: mc.RopeBase, NormEps: mc.RMSEpsilon,
		TiedEmbeddings: !hasOutput,
	}
	m, err := newModel(c)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	for _, p := range m.params {
		info, ok := f.Tensor(p.Name)
		if !ok {
			return nil, fmt.Errorf("tensor %s is missing", p.Name)
		}
		if !sameShape(info.Shape, p.Shape) {
			return nil, fmt.Errorf("tensor %s has shape %v, want %v", p.Name, info.Shape, p.Shape)
		}
		if err := tensor.Dequantize(info.Type, f.TensorData(info), p.Data); err != nil {
			return nil, fmt.Errorf("tensor %s: %w", p.Name, err)
		}
	}
	m.Tokenizer = TokenizerMetadata(f)
	return m, nil
}

func sameShape(file []uint64, want []int) bool {
	if len(file) != len(want) {
		return false
	}
	for i, d := range file {
		if d != uint64(want[i]) {
			return false
		}
	}
	return true
}

// TokenizerMetadata returns the tokenizer.* metadata of f, to give a new
// model the tokenizer of an existing file.
func TokenizerMetadata(f *gguf.File) []gguf.KV {
	var kvs []gguf.KV
	for _, kv := range f.Metadata {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			kvs = append(kvs, kv)
		}
	}
	return kvs
}

// SaveOptions configure Save.
type SaveOptions struct {
	// Type is that of the matrices: tensor.F32 (the zero value), F16 or
	// BF16. Norm vectors are always F32, as llama.cpp's converter keeps
	// them.
	Type tensor.Type
	// Name goes to general.name.
	Name string
	// Metadata is written after the model's own keys and its Tokenizer,
	// replacing keys of the same name.
	Metadata []gguf.KV
}

// fileTypes maps the matrix type to general.file_type (llama_ftype).
var fileTypes = map[tensor.Type]uint32{tensor.F32: 0, tensor.F16: 1, tensor.BF16: 32}

// Save writes the model as a GGUF file with the metadata of the llama
// architecture, which zhi's engine and llama.cpp load. Without tokenizer
// metadata (m.Tokenizer or o.Metadata) the file holds the network only.
func (m *Model) Save(path string, o SaveOptions) error {
	b, err := m.builder(o)
	if err != nil {
		return err
	}
	if err := b.WriteFile(path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// builder lays the model out as a GGUF file.
func (m *Model) builder(o SaveOptions) (*gguf.Builder, error) {
	ftype, ok := fileTypes[o.Type]
	if !ok {
		return nil, fmt.Errorf("train: cannot save matrices as %s (F32, F16 or BF16)", o.Type)
	}
	c := m.Config
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("llama"))
	if o.Name != "" {
		b.Set("general.name", gguf.String(o.Name))
	}
	b.Set("general.file_type", gguf.Uint32(ftype))
	for _, kv := range []struct {
		key string
		v   int
	}{
		{"context_length", c.Context}, {"embedding_length", c.Dim}, {"block_count", c.Layers},
		{"feed_forward_length", c.FFN}, {"attention.head_count", c.Heads},
		{"attention.head_count_kv", c.KVHeads}, {"rope.dimension_count", c.HeadDim()}, {"vocab_size", c.Vocab},
	} {
		b.Set("llama."+kv.key, gguf.Uint32(uint32(kv.v)))
	}
	b.Set("llama.rope.freq_base", gguf.Float32(c.RopeBase))
	b.Set("llama.attention.layer_norm_rms_epsilon", gguf.Float32(c.NormEps))
	for _, kv := range append(append([]gguf.KV(nil), m.Tokenizer...), o.Metadata...) {
		b.Set(kv.Key, kv.Value)
	}
	for _, p := range m.params {
		typ := o.Type
		if !p.Matrix() {
			typ = tensor.F32
		}
		size, err := typ.RowSize(len(p.Data))
		if err != nil {
			return nil, fmt.Errorf("train: %s: %w", p.Name, err)
		}
		data := make([]byte, size)
		if err := tensor.Quantize(typ, p.Data, data); err != nil {
			return nil, fmt.Errorf("train: %s: %w", p.Name, err)
		}
		shape := make([]uint64, len(p.Shape))
		for i, d := range p.Shape {
			shape[i] = uint64(d)
		}
		if err := b.AddTensor(p.Name, typ, shape, data); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	return b, nil
}
