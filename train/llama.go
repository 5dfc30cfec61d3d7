package train

import (
	"fmt"
	"math"
)

// The forward and backward passes of the Llama network over a batch of B
// sequences of T tokens, all starting at position 0. Activations are rows
// of N = B·T tokens, row b·T+t holding sequence b at position t.

// layerActs is what the forward pass of one block keeps for the backward.
type layerActs struct {
	x        []float32 // [N,dim] input of the block
	rinv1    []float32 // [N] 1/rms of x
	xn1      []float32 // [N,dim] attention input, normalised
	q, k, v  []float32 // [N,qd], [N,kvd], [N,kvd], after RoPE
	lse      []float32 // [B,heads,T] log-sum-exp of the attention rows
	att      []float32 // [N,qd] attention output, before Wo
	xmid     []float32 // [N,dim] x plus the attention's contribution
	rinv2    []float32 // [N]
	xn2      []float32 // [N,dim] MLP input, normalised
	gate, up []float32 // [N,ffn] MLP projections, before SwiGLU
}

// activations is the forward pass's record and the backward pass's scratch.
// Its buffers grow to the largest batch seen and are resliced to each
// batch's size, so that batches of varying shape (as in fine-tuning) do not
// reallocate them; every buffer is written before it is read.
type activations struct {
	b, t       int
	tokens     []int32 // [N]
	targets    []int32 // [N]
	layers     []layerActs
	xf         []float32 // [N,dim] output of the last block
	rinvF      []float32 // [N]
	xnF        []float32 // [N,dim] normalised, input of the output projection
	probs      []float32 // [N,vocab] logits, then probabilities, then their gradient
	logp       []float32 // [N] log-probability of each target
	backwardOK bool      // probs hold the probabilities of the last forward
	rope       rope
	h          []float32   // [N,ffn] SwiGLU output, recomputed in the backward pass
	dx, dxn    []float32   // [N,dim]
	dq, dk, dv []float32   // [N,qd], [N,kvd], [N,kvd]
	datt       []float32   // [N,qd]
	dgate, dup []float32   // [N,ffn]
	normGrad   [][]float32 // [worker][dim] partial norm weight gradients
	scores     [][]float32 // [worker][T·T] attention probabilities
	dscores    [][]float32 // [worker][T·T] and their gradient
}

// perToken lists a's float buffers that hold a row per token, with the
// widths of their rows.
func (a *activations) perToken(c Config) []sized {
	d, qd, kvd, f := c.Dim, c.Heads*c.HeadDim(), c.KVHeads*c.HeadDim(), c.FFN
	bufs := []sized{
		{&a.xf, d}, {&a.rinvF, 1}, {&a.xnF, d}, {&a.probs, c.Vocab}, {&a.logp, 1}, {&a.h, f},
		{&a.dx, d}, {&a.dxn, d}, {&a.dq, qd}, {&a.dk, kvd}, {&a.dv, kvd}, {&a.datt, qd}, {&a.dgate, f}, {&a.dup, f},
	}
	for i := range a.layers {
		la := &a.layers[i]
		bufs = append(bufs, []sized{
			{&la.x, d}, {&la.rinv1, 1}, {&la.xn1, d}, {&la.q, qd}, {&la.k, kvd}, {&la.v, kvd},
			{&la.lse, c.Heads}, {&la.att, qd}, {&la.xmid, d}, {&la.rinv2, 1}, {&la.xn2, d},
			{&la.gate, f}, {&la.up, f},
		}...)
	}
	return bufs
}

// sized is a buffer and its size per row.
type sized struct {
	buf   *[]float32
	width int
}

// fit makes buf hold n values, reusing its memory when it has room.
func fit[T any](buf *[]T, n int) {
	if cap(*buf) >= n {
		*buf = (*buf)[:n]
		return
	}
	*buf = nil // let the old buffer go before allocating the new one
	*buf = make([]T, n)
}

// activations returns m's activations sized for b sequences of t tokens.
func (m *Model) activations(b, t int) *activations {
	c := m.Config
	a := m.acts
	if a == nil {
		a = &activations{layers: make([]layerActs, c.Layers)}
		m.acts = a
	}
	a.b, a.t = b, t
	n := b * t
	for _, s := range a.perToken(c) {
		fit(s.buf, n*s.width)
	}
	fit(&a.tokens, n)
	fit(&a.targets, n)
	if len(a.rope.cos) < t*c.HeadDim()/2 {
		a.rope = newRope(t, c.HeadDim(), c.RopeBase)
	}
	workers := m.pool.Threads()
	for _, bufs := range []*[][]float32{&a.normGrad, &a.scores, &a.dscores} {
		fit(bufs, workers)
	}
	for w := range workers {
		fit(&a.normGrad[w], c.Dim)
		fit(&a.scores[w], t*t)
		fit(&a.dscores[w], t*t)
	}
	return a
}

// forward runs the batch through the network. With targets it leaves in
// a.logp the log-probability of each target and in a.probs the softmax of
// each row, ready for backward; without, a.probs holds the logits.
func (m *Model) forward(inputs, targets [][]int32) (*activations, error) {
	if m.pool == nil {
		return nil, errClosed
	}
	b, t, err := m.checkTokens(inputs, targets)
	if err != nil {
		return nil, err
	}
	c := m.Config
	a := m.activations(b, t)
	n, d, hd := b*t, c.Dim, c.HeadDim()
	qd, kvd := c.Heads*hd, c.KVHeads*hd
	for i := range inputs {
		copy(a.tokens[i*t:], inputs[i])
		if targets != nil {
			copy(a.targets[i*t:], targets[i])
		}
	}
	a.backwardOK = false

	// Token embeddings.
	x := a.layers[0].x
	for i, tok := range a.tokens {
		copy(x[i*d:(i+1)*d], m.Embed.Data[int(tok)*d:])
	}

	for l := range m.Layers {
		w, la := &m.Layers[l], &a.layers[l]
		next := a.xf
		if l+1 < len(m.Layers) {
			next = a.layers[l+1].x
		}

		// Attention: norm, projections, rotary positions.
		m.rows(n, func(lo, hi int) {
			rmsNorm(la.xn1[lo*d:hi*d], la.rinv1[lo:hi], la.x[lo*d:hi*d], w.AttnNorm.Data, c.NormEps)
		})
		xn1 := rowMajor(la.xn1, n, d)
		m.matmul(rowMajor(la.q, n, qd), xn1, w.Wq.mat().T(), false)
		m.matmul(rowMajor(la.k, n, kvd), xn1, w.Wk.mat().T(), false)
		m.matmul(rowMajor(la.v, n, kvd), xn1, w.Wv.mat().T(), false)
		m.rows(n, func(lo, hi int) {
			a.rope.rotate(la.q[lo*qd:], lo, hi-lo, qd, t, false)
			a.rope.rotate(la.k[lo*kvd:], lo, hi-lo, kvd, t, false)
		})

		// Causal attention of every head of every sequence.
		m.eachGroup(a, func(worker int, hv headViews) {
			attendForward(hv.att(la), hv.q(la), hv.k(la), hv.v(la), hv.lse(la), hv.scale,
				a.scores[worker], &m.gemmBufs[worker])
		})

		// Output projection and residual.
		m.matmul(rowMajor(la.xmid, n, d), rowMajor(la.att, n, qd), w.Wo.mat().T(), false)
		m.rows(n, func(lo, hi int) { add(la.xmid[lo*d:hi*d], la.x[lo*d:hi*d]) })

		// MLP: norm, gate and up, SwiGLU, down, residual.
		m.rows(n, func(lo, hi int) {
			rmsNorm(la.xn2[lo*d:hi*d], la.rinv2[lo:hi], la.xmid[lo*d:hi*d], w.FFNNorm.Data, c.NormEps)
		})
		xn2 := rowMajor(la.xn2, n, d)
		m.matmul(rowMajor(la.gate, n, c.FFN), xn2, w.FFNGate.mat().T(), false)
		m.matmul(rowMajor(la.up, n, c.FFN), xn2, w.FFNUp.mat().T(), false)
		m.rows(n, func(lo, hi int) {
			swiglu(a.h[lo*c.FFN:hi*c.FFN], la.gate[lo*c.FFN:hi*c.FFN], la.up[lo*c.FFN:hi*c.FFN])
		})
		m.matmul(rowMajor(next, n, d), rowMajor(a.h, n, c.FFN), w.FFNDown.mat().T(), false)
		m.rows(n, func(lo, hi int) { add(next[lo*d:hi*d], la.xmid[lo*d:hi*d]) })
	}

	// Final norm, logits, and the log-probability of each target.
	m.rows(n, func(lo, hi int) {
		rmsNorm(a.xnF[lo*d:hi*d], a.rinvF[lo:hi], a.xf[lo*d:hi*d], m.Norm.Data, c.NormEps)
	})
	m.matmul(rowMajor(a.probs, n, c.Vocab), rowMajor(a.xnF, n, d), m.Output.mat().T(), false)
	if targets != nil {
		m.rows(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				a.logp[i] = softmaxCrossEntropy(a.probs[i*c.Vocab:(i+1)*c.Vocab], a.targets[i])
			}
		})
		a.backwardOK = true
	}
	return a, nil
}

// backward adds to the gradients that of L = −Σ weights[i]·logp[i] over the
// rows of the last forward pass, which it consumes.
func (m *Model) backward(weights []float32) error {
	a := m.acts
	if a == nil || !a.backwardOK {
		return fmt.Errorf("train: backward without a forward pass with targets")
	}
	a.backwardOK = false
	c := m.Config
	n, d, t, hd := a.b*a.t, c.Dim, a.t, c.HeadDim()
	qd, kvd := c.Heads*hd, c.KVHeads*hd

	// Logits: dz = w·(p − onehot), then the output projection and norm.
	m.rows(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			crossEntropyBackward(a.probs[i*c.Vocab:(i+1)*c.Vocab], a.targets[i], weights[i])
		}
	})
	dz := rowMajor(a.probs, n, c.Vocab)
	m.matmul(m.Output.gradMat(), dz.T(), rowMajor(a.xnF, n, d), true)
	m.matmul(rowMajor(a.dxn, n, d), dz, m.Output.mat(), false)
	clear(a.dx)
	m.normBackward(a, a.dx, m.Norm, a.dxn, a.xf, a.rinvF)

	// a.dx is now the gradient of the residual stream; each block adds its
	// branches' contributions to it on the way down.
	for l := len(m.Layers) - 1; l >= 0; l-- {
		w, la := &m.Layers[l], &a.layers[l]
		dx := rowMajor(a.dx, n, d)

		// MLP.
		m.rows(n, func(lo, hi int) {
			swiglu(a.h[lo*c.FFN:hi*c.FFN], la.gate[lo*c.FFN:hi*c.FFN], la.up[lo*c.FFN:hi*c.FFN])
		})
		m.matmul(w.FFNDown.gradMat(), dx.T(), rowMajor(a.h, n, c.FFN), true)
		dh := rowMajor(a.h, n, c.FFN) // h is no longer needed: its gradient replaces it
		m.matmul(dh, dx, w.FFNDown.mat(), false)
		m.rows(n, func(lo, hi int) {
			f := c.FFN
			swigluBackward(a.dgate[lo*f:hi*f], a.dup[lo*f:hi*f], a.h[lo*f:hi*f], la.gate[lo*f:hi*f], la.up[lo*f:hi*f])
		})
		dgate, dup, xn2 := rowMajor(a.dgate, n, c.FFN), rowMajor(a.dup, n, c.FFN), rowMajor(la.xn2, n, d)
		m.matmul(w.FFNGate.gradMat(), dgate.T(), xn2, true)
		m.matmul(w.FFNUp.gradMat(), dup.T(), xn2, true)
		m.matmul(rowMajor(a.dxn, n, d), dgate, w.FFNGate.mat(), false)
		m.matmul(rowMajor(a.dxn, n, d), dup, w.FFNUp.mat(), true)
		m.normBackward(a, a.dx, w.FFNNorm, a.dxn, la.xmid, la.rinv2)

		// Attention output projection.
		m.matmul(w.Wo.gradMat(), dx.T(), rowMajor(la.att, n, qd), true)
		m.matmul(rowMajor(a.datt, n, qd), dx, w.Wo.mat(), false)

		// Attention, head by head; the heads of a group share dk and dv.
		m.eachGroup(a, func(worker int, hv headViews) {
			first := hv.head%(c.Heads/c.KVHeads) == 0
			attendBackward(hv.dq(a), hv.dk(a), hv.dv(a), hv.datt(a), hv.q(la), hv.k(la), hv.v(la), hv.att(la),
				hv.lse(la), hv.scale, !first, a.scores[worker], a.dscores[worker], &m.gemmBufs[worker])
		})
		m.rows(n, func(lo, hi int) {
			a.rope.rotate(a.dq[lo*qd:], lo, hi-lo, qd, t, true)
			a.rope.rotate(a.dk[lo*kvd:], lo, hi-lo, kvd, t, true)
		})

		// Q, K and V projections and the attention norm.
		dq, dk, dv, xn1 := rowMajor(a.dq, n, qd), rowMajor(a.dk, n, kvd), rowMajor(a.dv, n, kvd), rowMajor(la.xn1, n, d)
		m.matmul(w.Wq.gradMat(), dq.T(), xn1, true)
		m.matmul(w.Wk.gradMat(), dk.T(), xn1, true)
		m.matmul(w.Wv.gradMat(), dv.T(), xn1, true)
		m.matmul(rowMajor(a.dxn, n, d), dq, w.Wq.mat(), false)
		m.matmul(rowMajor(a.dxn, n, d), dk, w.Wk.mat(), true)
		m.matmul(rowMajor(a.dxn, n, d), dv, w.Wv.mat(), true)
		m.normBackward(a, a.dx, w.AttnNorm, a.dxn, la.x, la.rinv1)
	}

	// Token embeddings: each row's gradient goes to its token's row.
	for i, tok := range a.tokens {
		add(m.Embed.Grad[int(tok)*d:(int(tok)+1)*d], a.dx[i*d:(i+1)*d])
	}
	return nil
}

// normBackward adds the gradient of an RMSNorm's input to dx and that of its
// weight to p.Grad, the rows split over the workers, each summing its
// share of the weight gradient apart.
func (m *Model) normBackward(a *activations, dx []float32, p *Param, dy, x, rinv []float32) {
	d := len(p.Data)
	for _, g := range a.normGrad {
		clear(g)
	}
	m.pool.For(len(rinv), 16, func(worker, lo, hi int) {
		rmsNormBackward(dx[lo*d:hi*d], a.normGrad[worker], dy[lo*d:hi*d], x[lo*d:hi*d], rinv[lo:hi], p.Data)
	})
	for _, g := range a.normGrad {
		add(p.Grad, g)
	}
}

// headViews locates one head of one sequence in the activation buffers.
type headViews struct {
	seq, head, kvHead int
	t, hd, qd, kvd    int
	lseOff            int
	scale             float32
}

// qcol is the head's T×hd block of a buffer of query-shaped rows.
func (h headViews) qcol(buf []float32) mat {
	return mat{buf[h.seq*h.t*h.qd+h.head*h.hd:], h.t, h.hd, h.qd, 1}
}

// kvcol is the head's T×hd block of a buffer of key-shaped rows.
func (h headViews) kvcol(buf []float32) mat {
	return mat{buf[h.seq*h.t*h.kvd+h.kvHead*h.hd:], h.t, h.hd, h.kvd, 1}
}

func (h headViews) q(la *layerActs) mat         { return h.qcol(la.q) }
func (h headViews) att(la *layerActs) mat       { return h.qcol(la.att) }
func (h headViews) k(la *layerActs) mat         { return h.kvcol(la.k) }
func (h headViews) v(la *layerActs) mat         { return h.kvcol(la.v) }
func (h headViews) lse(la *layerActs) []float32 { return la.lse[h.lseOff : h.lseOff+h.t] }
func (h headViews) dq(a *activations) mat       { return h.qcol(a.dq) }
func (h headViews) datt(a *activations) mat     { return h.qcol(a.datt) }
func (h headViews) dk(a *activations) mat       { return h.kvcol(a.dk) }
func (h headViews) dv(a *activations) mat       { return h.kvcol(a.dv) }

// eachGroup calls fn for every head of every sequence, split over the
// workers by sequence and kv head, so that the query heads sharing a kv
// head run in order on one worker.
func (m *Model) eachGroup(a *activations, fn func(worker int, hv headViews)) {
	c := m.Config
	hd := c.HeadDim()
	group := c.Heads / c.KVHeads
	m.pool.For(a.b*c.KVHeads, 1, func(worker, lo, hi int) {
		for i := lo; i < hi; i++ {
			seq, g := i/c.KVHeads, i%c.KVHeads
			for h := g * group; h < (g+1)*group; h++ {
				hv := headViews{
					seq: seq, head: h, kvHead: g, t: a.t, hd: hd, qd: c.Heads * hd, kvd: c.KVHeads * hd,
					lseOff: (seq*c.Heads + h) * a.t, scale: float32(1 / math.Sqrt(float64(hd))),
				}
				fn(worker, hv)
			}
		}
	})
}

// rows splits n rows over the workers.
func (m *Model) rows(n int, fn func(lo, hi int)) {
	m.pool.For(n, 16, func(_, lo, hi int) { fn(lo, hi) })
}

// add adds src to dst.
func add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// checkTokens checks that inputs (and targets, when given) are B rows of
// T valid token ids, T at most the context, and returns B and T.
func (m *Model) checkTokens(inputs, targets [][]int32) (b, t int, err error) {
	if len(inputs) == 0 || len(inputs[0]) == 0 {
		return 0, 0, fmt.Errorf("train: empty batch")
	}
	b, t = len(inputs), len(inputs[0])
	if t > m.Config.Context {
		return 0, 0, fmt.Errorf("train: sequences of %d tokens exceed the context of %d", t, m.Config.Context)
	}
	if targets != nil && len(targets) != b {
		return 0, 0, fmt.Errorf("train: %d target rows for %d input rows", len(targets), b)
	}
	check := func(what string, rows [][]int32) error {
		for i, row := range rows {
			if len(row) != t {
				return fmt.Errorf("train: %s row %d has %d tokens, row 0 has %d", what, i, len(row), t)
			}
			for j, tok := range row {
				if tok < 0 || int(tok) >= m.Config.Vocab {
					return fmt.Errorf("train: %s[%d][%d] = %d is outside the vocabulary of %d", what, i, j, tok, m.Config.Vocab)
				}
			}
		}
		return nil
	}
	if err := check("inputs", inputs); err != nil {
		return 0, 0, err
	}
	if targets != nil {
		if err := check("targets", targets); err != nil {
			return 0, 0, err
		}
	}
	return b, t, nil
}
