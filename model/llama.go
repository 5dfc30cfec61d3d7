package model

import (
	"fmt"

	"zhi/gguf"
	"zhi/tensor"
)

// The Llama family: pre-norm decoder blocks of grouped-query attention with
// rotary positions and a SwiGLU MLP. Llama 2 and 3, Mistral, TinyLlama and
// Qwen2 are all this network; they differ in the knobs of family below.

func init() {
	register("llama", func(f *gguf.File, c *Config) (Model, error) {
		return loadLlama(f, c, family{})
	})
}

// family holds what sets one member of the Llama family apart.
type family struct {
	qkvBias  bool // the Q, K and V projections have biases (Qwen2)
	neoxRope bool // RoPE pairs x[i] with x[i+d/2] instead of x[2i] with x[2i+1]
}

type llama struct {
	c      *Config
	fam    family
	embed  *tensor.Matrix // token_embd: one row per token
	norm   []float32      // output_norm
	output *tensor.Matrix // output, or token_embd when tied
	rope   rope
	layers []llamaLayer
}

type llamaLayer struct {
	attnNorm       []float32
	wq, wk, wv, wo *tensor.Matrix
	bq, bk, bv     []float32
	ffnNorm        []float32
	gate, up, down *tensor.Matrix
}

func loadLlama(f *gguf.File, c *Config, fam family) (*llama, error) {
	w := &weights{f: f}
	embd, ok := f.Tensor("token_embd.weight")
	if !ok || len(embd.Shape) != 2 {
		return nil, fmt.Errorf("tensor token_embd.weight is missing or not 2-D")
	}
	if c.VocabSize == 0 {
		c.VocabSize = int(embd.Shape[1])
	}
	E, V, qDim, kvDim := c.Embedding, c.VocabSize, c.Heads*c.HeadDim, c.KVDim()
	m := &llama{c: c, fam: fam}
	m.embed = w.matrix("token_embd.weight", V, E)
	m.norm = w.vector("output_norm.weight", E)
	m.output = w.optionalMatrix("output.weight", V, E)
	if m.output == nil {
		m.output = m.embed
	}
	m.rope = rope{dims: c.RopeDim, base: c.RopeBase, scale: c.RopeScale, neox: fam.neoxRope,
		freqs: w.optionalVector("rope_freqs.weight", c.RopeDim/2)}
	m.layers = make([]llamaLayer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("blk.%d.", i)
		l := &m.layers[i]
		l.attnNorm = w.vector(p+"attn_norm.weight", E)
		l.wq = w.matrix(p+"attn_q.weight", qDim, E)
		l.wk = w.matrix(p+"attn_k.weight", kvDim, E)
		l.wv = w.matrix(p+"attn_v.weight", kvDim, E)
		l.wo = w.matrix(p+"attn_output.weight", E, qDim)
		if fam.qkvBias {
			l.bq = w.vector(p+"attn_q.bias", qDim)
			l.bk = w.vector(p+"attn_k.bias", kvDim)
			l.bv = w.vector(p+"attn_v.bias", kvDim)
		}
		l.ffnNorm = w.vector(p+"ffn_norm.weight", E)
		l.gate = w.matrix(p+"ffn_gate.weight", c.FeedForward, E)
		l.up = w.matrix(p+"ffn_up.weight", c.FeedForward, E)
		l.down = w.matrix(p+"ffn_down.weight", E, c.FeedForward)
	}
	if w.err != nil {
		return nil, w.err
	}
	return m, nil
}

func (m *llama) Config() *Config { return m.c }

// Scratch buffer slots of a session.
const (
	slotX = iota
	slotNormed
	slotQ
	slotK
	slotV
	slotAtt
	slotOut
	slotGate
	slotUp
	slotLogits
	slotAttention
)

func (m *llama) Forward(s *Session, tokens []int32, all bool) ([]float32, error) {
	s.one[0] = Seq{Cache: s.Cache, Tokens: tokens, All: all}
	return m.ForwardBatch(s, s.one[:], Logits)
}

func (m *llama) ForwardBatch(s *Session, seqs []Seq, want Output) ([]float32, error) {
	c := m.c
	n, err := s.plan(seqs, c.VocabSize)
	if err != nil {
		return nil, err
	}
	E, qDim, kvDim, F := c.Embedding, c.Heads*c.HeadDim, c.KVDim(), c.FeedForward
	x := s.floats(slotX, n*E)
	normed := s.floats(slotNormed, n*E)
	q := s.floats(slotQ, n*qDim)
	k := s.floats(slotK, n*kvDim)
	v := s.floats(slotV, n*kvDim)
	att := s.floats(slotAtt, n*qDim)
	out := s.floats(slotOut, n*E)

	// Embedding: each token's row of token_embd.
	for _, sq := range s.batch {
		for t, id := range sq.Tokens {
			m.embed.Row(int(id), x[(sq.first+t)*E:(sq.first+t+1)*E])
		}
	}

	// rows is how many positions go on through the rest of the network. The
	// reference drops the rows whose output is not wanted in the last layer,
	// right after the attention output projection, and that changes which
	// kernels (and so which roundings) the rest of the pass uses.
	rows := n
	for li := range m.layers {
		l := &m.layers[li]

		// Attention: project, rotate, cache, attend, project back, add.
		rmsNorm(normed, x, l.attnNorm, n, c.RMSEpsilon)
		s.mul(l.wq, q, normed, n, E)
		s.mul(l.wk, k, normed, n, E)
		s.mul(l.wv, v, normed, n, E)
		if m.fam.qkvBias {
			addBias(q[:n*qDim], l.bq)
			addBias(k[:n*kvDim], l.bk)
			addBias(v[:n*kvDim], l.bv)
		}
		for _, sq := range s.batch {
			f, nt, pos0 := sq.first, len(sq.Tokens), sq.Cache.Len()
			m.rope.apply(q[f*qDim:], nt, c.Heads, c.HeadDim, pos0)
			m.rope.apply(k[f*kvDim:], nt, c.KVHeads, c.HeadDim, pos0)
			sq.Cache.store(li, k[f*kvDim:], v[f*kvDim:], nt)
			attention(s, sq.Cache, li, q[f*qDim:], att[f*qDim:], nt, c.Heads, c.KVHeads, c.HeadDim, pos0)
		}
		s.mul(l.wo, out, att, n, qDim)
		if li == len(m.layers)-1 {
			rows = s.keepWanted(x, out, E)
		}
		add(x[:rows*E], out[:rows*E])

		// MLP: down(silu(gate(x)) * up(x)), added to the residual stream,
		// a slice of rows at a time (mlpSlices).
		rmsNorm(normed, x, l.ffnNorm, rows, c.RMSEpsilon)
		slices := s.mlpSlices(rows, l.gate, l.up, l.down)
		for i := range slices {
			lo, hi := sliceBounds(i, rows, slices)
			k := hi - lo
			gate, up := s.floats(slotGate, k*F), s.floats(slotUp, k*F)
			s.mul(l.gate, gate, normed[lo*E:], k, E)
			s.mul(l.up, up, normed[lo*E:], k, E)
			swiglu(gate, up)
			s.mul(l.down, out[lo*E:], gate, k, F)
			add(x[lo*E:hi*E], out[lo*E:hi*E])
		}
	}
	for _, sq := range s.batch {
		sq.Cache.n += len(sq.Tokens)
	}

	// Output: final norm, then the vocabulary projection for the rows kept.
	rmsNorm(normed, x, m.norm, rows, c.RMSEpsilon)
	if want == Hidden {
		return normed[:rows*E], nil
	}
	logits := s.floats(slotLogits, rows*c.VocabSize)
	s.mul(m.output, logits, normed, rows, E)
	return logits, nil
}
