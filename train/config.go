package train

import (
	"fmt"
	"math"
)

// Config is the shape of a Llama network as training sees it: the subset of
// the architecture zhi can train (every head dimension rotated, no rope
// scaling, no biases).
type Config struct {
	Dim            int     // width of the residual stream (llama.embedding_length)
	Layers         int     // transformer blocks
	Heads          int     // query heads
	KVHeads        int     // key/value heads; Heads must be a multiple
	FFN            int     // hidden width of the SwiGLU MLP
	Vocab          int     // tokens
	Context        int     // longest sequence the model is trained on
	RopeBase       float32 // base of the rotary frequencies, 10000 for Llama 2
	NormEps        float32 // RMSNorm epsilon
	TiedEmbeddings bool    // the output projection is token_embd (no output.weight)
}

// HeadDim is the width of one attention head.
func (c Config) HeadDim() int { return c.Dim / c.Heads }

// maxDim bounds every dimension so that sizes computed from them fit an int
// with room to spare, and maxParams the size of the network, so that a bad
// config cannot ask for absurd allocations.
const (
	maxDim    = 1 << 20
	maxParams = 1 << 32
)

// NumParams is the number of trained values of a network of this shape.
func (c Config) NumParams() int { return int(c.numParams()) }

// numParams counts in float64, which cannot overflow on a bad config.
func (c Config) numParams() float64 {
	d, qd, kvd := float64(c.Dim), float64(c.Heads*c.HeadDim()), float64(c.KVHeads*c.HeadDim())
	perLayer := 2*d + 2*d*qd + 2*d*kvd + 3*d*float64(c.FFN)
	embed := float64(c.Vocab) * d
	if !c.TiedEmbeddings {
		embed *= 2
	}
	return embed + d + float64(c.Layers)*perLayer
}

// Validate reports a shape that training cannot handle.
func (c Config) Validate() error {
	for _, d := range []struct {
		name string
		v    int
	}{{"dim", c.Dim}, {"layers", c.Layers}, {"heads", c.Heads}, {"kv heads", c.KVHeads},
		{"ffn", c.FFN}, {"vocab", c.Vocab}, {"context", c.Context}} {
		if d.v <= 0 || d.v > maxDim {
			return fmt.Errorf("train: config %s = %d is out of range", d.name, d.v)
		}
	}
	if c.Dim%c.Heads != 0 || c.HeadDim()%2 != 0 {
		return fmt.Errorf("train: dim %d does not split into %d heads of even width", c.Dim, c.Heads)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("train: %d heads do not group over %d kv heads", c.Heads, c.KVHeads)
	}
	if n := c.numParams(); n > maxParams {
		return fmt.Errorf("train: config has %.3g parameters, more than %d", n, maxParams)
	}
	for _, v := range []float32{c.RopeBase, c.NormEps} {
		if !(v > 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("train: rope base %g and norm eps %g must be positive and finite", c.RopeBase, c.NormEps)
		}
	}
	return nil
}
