// Package train trains Llama-architecture networks in float32 on the CPU:
// a forward pass that keeps what the backward pass needs, a backward pass
// written out by hand, AdamW, and GGUF files in and out, so that a model
// trained here runs in zhi's engine as it is.
//
// The network is the one zhi's engine runs for general.architecture
// "llama": pre-norm blocks of RMSNorm, grouped-query attention with
// adjacent-pair rotary positions, and a SwiGLU MLP. Parameters keep the
// GGUF layout, a matrix of shape [ne0, ne1] being ne1 rows of ne0 values,
// so loading and saving never reorder anything.
package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"zhi/gguf"
	"zhi/tensor"
)

// Param is one tensor of the network with its gradient.
type Param struct {
	Name  string    // GGUF tensor name, such as "blk.0.attn_q.weight"
	Shape []int     // GGUF dimensions, innermost first: {cols, rows} for a matrix
	Data  []float32 // values, row-major
	Grad  []float32 // gradient of the loss, accumulated by Loss and Backward
}

// Matrix reports whether p is a 2-D weight (as opposed to a norm vector);
// weight decay applies to matrices only.
func (p *Param) Matrix() bool { return len(p.Shape) == 2 }

// mat views a matrix parameter as rows×cols.
func (p *Param) mat() mat { return rowMajor(p.Data, p.Shape[1], p.Shape[0]) }

// gradMat views the gradient of a matrix parameter as rows×cols.
func (p *Param) gradMat() mat { return rowMajor(p.Grad, p.Shape[1], p.Shape[0]) }

func newParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{Name: name, Shape: shape, Data: make([]float32, n), Grad: make([]float32, n)}
}

// Layer is one transformer block's parameters.
type Layer struct {
	AttnNorm                *Param // [dim]
	Wq, Wk, Wv, Wo          *Param // [dim, heads·hd], [dim, kv·hd] twice, [heads·hd, dim]
	FFNNorm                 *Param // [dim]
	FFNGate, FFNUp, FFNDown *Param // [dim, ffn] twice, [ffn, dim]
}

// Model is a network being trained: its parameters, their gradients and
// the scratch memory of the last forward pass. A Model is not safe for use
// by several goroutines at once.
type Model struct {
	Config Config
	Embed  *Param // token_embd: one row of dim values per token
	Norm   *Param // output_norm
	Output *Param // output, or Embed itself when the embeddings are tied
	Layers []Layer
	// Tokenizer holds the tokenizer.* metadata Save writes, so that the
	// saved file runs in the engine. Load fills it from the source file.
	Tokenizer []gguf.KV

	params   []*Param // in GGUF order, each once
	pool     *tensor.Pool
	gemmBufs []gemmBuf
	acts     *activations
}

// newModel allocates the parameters of c, zero, with GOMAXPROCS workers.
func newModel(c Config) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	d, qd, kvd := c.Dim, c.Heads*c.HeadDim(), c.KVHeads*c.HeadDim()
	m := &Model{Config: c}
	m.Embed = newParam("token_embd.weight", d, c.Vocab)
	m.Norm = newParam("output_norm.weight", d)
	m.params = []*Param{m.Embed, m.Norm}
	m.Output = m.Embed
	if !c.TiedEmbeddings {
		m.Output = newParam("output.weight", d, c.Vocab)
		m.params = append(m.params, m.Output)
	}
	for i := range c.Layers {
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s.weight", i, s) }
		l := Layer{
			AttnNorm: newParam(name("attn_norm"), d),
			Wq:       newParam(name("attn_q"), d, qd),
			Wk:       newParam(name("attn_k"), d, kvd),
			Wv:       newParam(name("attn_v"), d, kvd),
			Wo:       newParam(name("attn_output"), qd, d),
			FFNNorm:  newParam(name("ffn_norm"), d),
			FFNGate:  newParam(name("ffn_gate"), d, c.FFN),
			FFNUp:    newParam(name("ffn_up"), d, c.FFN),
			FFNDown:  newParam(name("ffn_down"), c.FFN, d),
		}
		m.Layers = append(m.Layers, l)
		m.params = append(m.params, l.AttnNorm, l.Wq, l.Wk, l.Wv, l.Wo, l.FFNNorm, l.FFNGate, l.FFNUp, l.FFNDown)
	}
	m.SetThreads(0)
	return m, nil
}

// New returns a randomly initialised model: norms at one, every matrix
// normal with standard deviation 0.02, and the projections back into the
// residual stream (attn_output, ffn_down) scaled down by 1/sqrt(2·layers)
// so that the stream's variance does not grow with depth (GPT-2's scheme).
// The same seed gives the same weights.
func New(c Config, seed uint64) (*Model, error) {
	m, err := newModel(c)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const std = 0.02
	residual := map[*Param]bool{}
	for _, l := range m.Layers {
		residual[l.Wo], residual[l.FFNDown] = true, true
	}
	for _, p := range m.params {
		if !p.Matrix() {
			for i := range p.Data {
				p.Data[i] = 1
			}
			continue
		}
		s := std
		if residual[p] {
			s /= math.Sqrt(2 * float64(c.Layers))
		}
		for i := range p.Data {
			p.Data[i] = float32(rng.NormFloat64() * s)
		}
	}
	return m, nil
}

// Params returns every parameter once, in GGUF order.
func (m *Model) Params() []*Param { return m.params }

// SetThreads sets how many goroutines compute the model; n <= 0 means
// GOMAXPROCS.
func (m *Model) SetThreads(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if m.pool != nil {
		m.pool.Close()
	}
	m.pool = tensor.NewPool(n)
	m.gemmBufs = newGemmBufs(m.pool)
	m.acts = nil
}

// errClosed is the error of computing with a closed model.
var errClosed = errors.New("train: the model is closed")

// Close stops the model's worker goroutines and frees its scratch memory.
// Its parameters stay readable; it computes again after SetThreads.
func (m *Model) Close() {
	if m.pool != nil {
		m.pool.Close()
	}
	m.pool, m.gemmBufs, m.acts = nil, nil, nil
}

// ZeroGrad sets every gradient to zero.
func (m *Model) ZeroGrad() {
	for _, p := range m.params {
		clear(p.Grad)
	}
}

// ScaleGrad multiplies every gradient by s: after accumulating the
// gradients of k batches, ScaleGrad(1/k) makes them the gradient of the
// mean loss.
func (m *Model) ScaleGrad(s float32) {
	for _, p := range m.params {
		tensor.Scale(p.Grad, s)
	}
}

// GradNorm is the L2 norm of all the gradients together.
func (m *Model) GradNorm() float32 {
	var sum float64
	for _, p := range m.params {
		for _, g := range p.Grad {
			sum += float64(g) * float64(g)
		}
	}
	return float32(math.Sqrt(sum))
}

// ClipGradNorm scales the gradients down so that their global L2 norm is at
// most maxNorm, and returns the norm they had.
func (m *Model) ClipGradNorm(maxNorm float32) float32 {
	norm := m.GradNorm()
	if norm > maxNorm && norm > 0 {
		m.ScaleGrad(maxNorm / norm)
	}
	return norm
}
