package bench

import (
	"fmt"
	"math"
	"strings"
)

// Shape is the architecture and hyperparameters of a published model,
// enough to build a network of the same size and layout with random weights.
type Shape struct {
	Name        string  // how --shape names it, such as "llama3.2-1b"
	Arch        string  // general.architecture: "llama" or "qwen2"
	SizeLabel   string  // the size llama.cpp's model description gives it, such as "1B"
	Layers      int     // transformer blocks
	Embedding   int     // width of the residual stream
	FeedForward int     // hidden width of the MLP
	Heads       int     // query heads
	KVHeads     int     // key/value heads
	Vocab       int     // tokens in the vocabulary
	Context     int     // trained context length
	RopeBase    float64 // base of the rotary frequencies
	RMSEpsilon  float64
	Tied        bool        // the output projection is token_embd (no output.weight)
	Llama3Rope  *Llama3Rope // Llama 3.1 frequency scaling, written as rope_freqs.weight; nil if none
}

// Llama3Rope is Llama 3.1's frequency-dependent RoPE scaling (rope_scaling
// of type "llama3" in the Hugging Face config).
type Llama3Rope struct {
	Factor          float64
	LowFreqFactor   float64
	HighFreqFactor  float64
	OriginalContext int
}

// llama31Rope is the scaling Llama 3.1 uses; Llama 3.2 only changes the factor.
func llama31Rope(factor float64) *Llama3Rope {
	return &Llama3Rope{Factor: factor, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}
}

// Shapes are the model shapes random models can be built in, from the
// models' published configurations (config.json on Hugging Face). "tiny"
// is a test shape with the features of Llama 3.2 (GQA, tied output,
// rope_freqs) at a size that builds and runs in milliseconds.
var Shapes = []Shape{
	{Name: "tiny", Arch: "llama", SizeLabel: "?B", Layers: 2, Embedding: 64, FeedForward: 256, Heads: 4, KVHeads: 2,
		Vocab: 512, Context: 1024, RopeBase: 500000, RMSEpsilon: 1e-5, Tied: true, Llama3Rope: llama31Rope(32)},
	{Name: "llama3.2-1b", Arch: "llama", SizeLabel: "1B", Layers: 16, Embedding: 2048, FeedForward: 8192, Heads: 32, KVHeads: 8,
		Vocab: 128256, Context: 131072, RopeBase: 500000, RMSEpsilon: 1e-5, Tied: true, Llama3Rope: llama31Rope(32)},
	{Name: "llama3.2-3b", Arch: "llama", SizeLabel: "3B", Layers: 28, Embedding: 3072, FeedForward: 8192, Heads: 24, KVHeads: 8,
		Vocab: 128256, Context: 131072, RopeBase: 500000, RMSEpsilon: 1e-5, Tied: true, Llama3Rope: llama31Rope(32)},
	{Name: "llama3.1-8b", Arch: "llama", SizeLabel: "8B", Layers: 32, Embedding: 4096, FeedForward: 14336, Heads: 32, KVHeads: 8,
		Vocab: 128256, Context: 131072, RopeBase: 500000, RMSEpsilon: 1e-5, Llama3Rope: llama31Rope(8)},
	{Name: "llama2-7b", Arch: "llama", SizeLabel: "7B", Layers: 32, Embedding: 4096, FeedForward: 11008, Heads: 32, KVHeads: 32,
		Vocab: 32000, Context: 4096, RopeBase: 10000, RMSEpsilon: 1e-5},
	{Name: "mistral-7b", Arch: "llama", SizeLabel: "7B", Layers: 32, Embedding: 4096, FeedForward: 14336, Heads: 32, KVHeads: 8,
		Vocab: 32768, Context: 32768, RopeBase: 1000000, RMSEpsilon: 1e-5},
	{Name: "tinyllama-1.1b", Arch: "llama", SizeLabel: "1B", Layers: 22, Embedding: 2048, FeedForward: 5632, Heads: 32, KVHeads: 4,
		Vocab: 32000, Context: 2048, RopeBase: 10000, RMSEpsilon: 1e-5},
	{Name: "qwen2.5-0.5b", Arch: "qwen2", SizeLabel: "0.5B", Layers: 24, Embedding: 896, FeedForward: 4864, Heads: 14, KVHeads: 2,
		Vocab: 151936, Context: 32768, RopeBase: 1000000, RMSEpsilon: 1e-6, Tied: true},
	{Name: "qwen2.5-1.5b", Arch: "qwen2", SizeLabel: "1.5B", Layers: 28, Embedding: 1536, FeedForward: 8960, Heads: 12, KVHeads: 2,
		Vocab: 151936, Context: 32768, RopeBase: 1000000, RMSEpsilon: 1e-6, Tied: true},
	{Name: "qwen2.5-7b", Arch: "qwen2", SizeLabel: "7B", Layers: 28, Embedding: 3584, FeedForward: 18944, Heads: 28, KVHeads: 4,
		Vocab: 152064, Context: 32768, RopeBase: 1000000, RMSEpsilon: 1e-6},
}

// ShapeNames lists the names of Shapes.
func ShapeNames() []string {
	names := make([]string, len(Shapes))
	for i := range Shapes {
		names[i] = Shapes[i].Name
	}
	return names
}

// LookupShape returns the shape with the given name (case-insensitive).
func LookupShape(name string) (*Shape, error) {
	for i := range Shapes {
		if strings.EqualFold(Shapes[i].Name, name) {
			return &Shapes[i], nil
		}
	}
	return nil, fmt.Errorf("unknown shape %q (known: %s)", name, strings.Join(ShapeNames(), ", "))
}

// HeadDim is the width of one attention head.
func (s *Shape) HeadDim() int { return s.Embedding / s.Heads }

// tensorSpec is one tensor of a shape: its name, its dimensions innermost
// first, and how its values are made.
type tensorSpec struct {
	name string
	dims []uint64
	fill fillKind
}

// fillKind says what values a tensor holds.
type fillKind int

const (
	fillRandom    fillKind = iota // random weights
	fillOnes                      // a norm's gain
	fillRopeFreqs                 // Llama 3.1's RoPE frequency factors
)

// tensors lists the tensors of the shape.
func (s *Shape) tensors() []tensorSpec {
	E, F, V := uint64(s.Embedding), uint64(s.FeedForward), uint64(s.Vocab)
	q, kv := uint64(s.Heads*s.HeadDim()), uint64(s.KVHeads*s.HeadDim())
	var ts []tensorSpec
	add := func(name string, fill fillKind, dims ...uint64) {
		ts = append(ts, tensorSpec{name, dims, fill})
	}
	if s.Llama3Rope != nil {
		add("rope_freqs.weight", fillRopeFreqs, uint64(s.HeadDim()/2))
	}
	add("token_embd.weight", fillRandom, E, V)
	for i := range s.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		add(p+"attn_norm.weight", fillOnes, E)
		add(p+"attn_q.weight", fillRandom, E, q)
		add(p+"attn_k.weight", fillRandom, E, kv)
		add(p+"attn_v.weight", fillRandom, E, kv)
		if s.Arch == "qwen2" {
			add(p+"attn_q.bias", fillRandom, q)
			add(p+"attn_k.bias", fillRandom, kv)
			add(p+"attn_v.bias", fillRandom, kv)
		}
		add(p+"attn_output.weight", fillRandom, q, E)
		add(p+"ffn_norm.weight", fillOnes, E)
		add(p+"ffn_gate.weight", fillRandom, E, F)
		add(p+"ffn_up.weight", fillRandom, E, F)
		add(p+"ffn_down.weight", fillRandom, F, E)
	}
	add("output_norm.weight", fillOnes, E)
	if !s.Tied {
		add("output.weight", fillRandom, E, V)
	}
	return ts
}

// Params returns the number of values in the shape's tensors, as
// llama-bench counts a model's parameters.
func (s *Shape) Params() uint64 {
	var n uint64
	for _, t := range s.tensors() {
		n += elements(t.dims)
	}
	return n
}

func elements(dims []uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

// ropeFreqs returns the frequency factors of Llama 3.1's RoPE scaling for a
// head of dim values, as llama.cpp's converter computes them: 1 for short
// wavelengths, Factor for long ones, and a smooth blend between.
func (r *Llama3Rope) ropeFreqs(dim int, base float64) []float32 {
	lowWavelen := float64(r.OriginalContext) / r.LowFreqFactor
	highWavelen := float64(r.OriginalContext) / r.HighFreqFactor
	out := make([]float32, dim/2)
	for i := range out {
		freq := 1 / math.Pow(base, float64(2*i)/float64(dim))
		wavelen := 2 * math.Pi / freq
		switch {
		case wavelen < highWavelen:
			out[i] = 1
		case wavelen > lowWavelen:
			out[i] = float32(r.Factor)
		default:
			smooth := (float64(r.OriginalContext)/wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
			out[i] = float32(1 / ((1-smooth)/r.Factor + smooth))
		}
	}
	return out
}
