// Package model holds the transformer architectures zhi runs: their
// hyperparameters read from GGUF metadata, their weights, the KV cache, and
// one forward pass per architecture family.
package model

import (
	"fmt"
	"math"

	"zhi/gguf"
)

// Config is the shape of a network, read from its GGUF metadata.
type Config struct {
	Arch          string  // general.architecture
	ContextLength int     // tokens the model was trained on
	Embedding     int     // width of the residual stream
	Layers        int     // transformer blocks
	FeedForward   int     // hidden width of the MLP
	Heads         int     // query heads
	KVHeads       int     // key/value heads (< Heads for GQA, 1 for MQA)
	HeadDim       int     // width of one head
	RopeDim       int     // leading dimensions of a head that RoPE rotates
	RopeBase      float32 // base of the rotary frequencies
	RopeScale     float32 // positions are multiplied by this (linear RoPE scaling); 1 when unscaled
	RMSEpsilon    float32 // added to the mean square before the root
	VocabSize     int
}

// KVDim is the width of the keys (and of the values) of one token in one layer.
func (c *Config) KVDim() int { return c.KVHeads * c.HeadDim }

// readConfig reads the hyperparameters every decoder-only architecture of the
// Llama family shares, under the architecture's key prefix.
func readConfig(f *gguf.File, arch string) (*Config, error) {
	c := &Config{Arch: arch, RopeBase: 10000, RopeScale: 1}
	need := func(key string, dst *int) error {
		v, ok := f.Uint(arch + "." + key)
		if !ok {
			return fmt.Errorf("metadata key %s.%s is missing or not a non-negative integer", arch, key)
		}
		if v == 0 || v > 1<<24 {
			return fmt.Errorf("metadata key %s.%s = %d is out of range", arch, key, v)
		}
		*dst = int(v)
		return nil
	}
	for _, k := range []struct {
		key string
		dst *int
	}{
		{"context_length", &c.ContextLength},
		{"embedding_length", &c.Embedding},
		{"block_count", &c.Layers},
		{"feed_forward_length", &c.FeedForward},
		{"attention.head_count", &c.Heads},
	} {
		if err := need(k.key, k.dst); err != nil {
			return nil, err
		}
	}
	c.KVHeads = c.Heads
	if _, ok := f.Lookup(arch + ".attention.head_count_kv"); ok {
		if err := need("attention.head_count_kv", &c.KVHeads); err != nil {
			return nil, err
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("%d attention heads do not divide into %d key/value heads", c.Heads, c.KVHeads)
	}
	c.HeadDim = c.Embedding / c.Heads
	if _, ok := f.Lookup(arch + ".attention.key_length"); ok {
		if err := need("attention.key_length", &c.HeadDim); err != nil {
			return nil, err
		}
	}
	if v, ok := f.Uint(arch + ".attention.value_length"); ok && int(v) != c.HeadDim {
		return nil, fmt.Errorf("value length %d differs from key length %d, which %s does not support", v, c.HeadDim, arch)
	}
	c.RopeDim = c.HeadDim
	if _, ok := f.Lookup(arch + ".rope.dimension_count"); ok {
		if err := need("rope.dimension_count", &c.RopeDim); err != nil {
			return nil, err
		}
	}
	if c.RopeDim > c.HeadDim || c.RopeDim%2 != 0 {
		return nil, fmt.Errorf("rope dimension %d does not fit head size %d", c.RopeDim, c.HeadDim)
	}
	eps, ok := f.Float(arch + ".attention.layer_norm_rms_epsilon")
	if !ok {
		return nil, fmt.Errorf("metadata key %s.attention.layer_norm_rms_epsilon is missing", arch)
	}
	c.RMSEpsilon = float32(eps)
	if v, ok := f.Float(arch + ".rope.freq_base"); ok {
		c.RopeBase = float32(v)
	}
	if err := readRopeScaling(f, arch, c); err != nil {
		return nil, err
	}
	if v, ok := f.Uint(arch + ".vocab_size"); ok {
		c.VocabSize = int(v)
	}
	for _, v := range []float32{c.RMSEpsilon, c.RopeBase, c.RopeScale} {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%s: rms epsilon %g, rope base %g and rope scale %g must be positive", arch, c.RMSEpsilon, c.RopeBase, c.RopeScale)
		}
	}
	return c, nil
}

// readRopeScaling understands linear position interpolation. Llama 3.1's
// frequency-dependent scaling comes as the rope_freqs.weight tensor instead,
// and needs nothing here.
func readRopeScaling(f *gguf.File, arch string, c *Config) error {
	typ, _ := f.String(arch + ".rope.scaling.type")
	factor, hasFactor := f.Float(arch + ".rope.scaling.factor")
	switch typ {
	case "", "none":
		if v, ok := f.Float(arch + ".rope.freq_scale"); ok {
			c.RopeScale = float32(v)
		}
	case "linear":
		if hasFactor && factor != 0 {
			c.RopeScale = float32(1 / factor)
		}
	default:
		return fmt.Errorf("rope scaling %q is not supported (only linear)", typ)
	}
	return nil
}
