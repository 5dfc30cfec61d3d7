package model

import (
	"math"
	"unsafe"

	"zhi/tensor"
)

// The building blocks of a forward pass, each computed operation by operation
// the way the reference computes it on its CPU (the order of its sums, its
// fused multiply-adds, its approximations of exp, sin and cos), so that the
// logits agree to the last bit: the models amplify a single rounding that goes
// the other way, at the input of a quantized matrix product, into differences
// of several hundredths.

// rmsNorm writes x / sqrt(mean(x²) + eps) * weight for each of the n rows of
// width len(weight), as ggml_compute_forward_rms_norm_f32 and the following
// multiplication do: the squares rounded to float32 and summed in float64,
// the scale in float32, then x·scale and (x·scale)·weight each rounded.
func rmsNorm(dst, x, weight []float32, n int, eps float32) {
	d := len(weight)
	for r := 0; r < n; r++ {
		row, out := x[r*d:(r+1)*d], dst[r*d:(r+1)*d]
		var sum float64
		for _, v := range row {
			sum += float64(v * v)
		}
		scale := 1 / float32(math.Sqrt(float64(float32(sum/float64(d))+eps)))
		tensor.ScaleMul(out, row, weight, scale)
	}
}

// add does dst += src.
func add(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// addBias adds bias to each row of x.
func addBias(x, bias []float32) {
	for r := 0; r < len(x); r += len(bias) {
		add(x[r:r+len(bias)], bias)
	}
}

// swiglu writes silu(gate)·up into gate, silu(g) = g/(1+e^-g), as the
// reference's ggml_vec_swiglu_f32 does.
func swiglu(gate, up []float32) { tensor.SwiGLU(gate, up) }

// rope rotates the first dims values of every head of every row by angles
// that grow with the row's position. Pair i turns by
// pos·scale·base^(-2i/dims)/freqs[i]; the reference builds that power by
// repeated float32 multiplication from powf(base, -2/dims) (which
// math.Pow rounded to float32 matches), and so does this, to round alike,
// and takes the sine and cosine with the C library's sinf and cosf
// (sincosf). neox pairs x[i] with x[i+dims/2]; otherwise x[2i] with x[2i+1].
type rope struct {
	dims  int
	base  float32
	scale float32
	freqs []float32 // optional per-pair divisors (rope_freqs.weight)
	neox  bool
	// The angles of a position: for neox their cosines and sines;
	// otherwise (RotatePairs) cs holds each pair's cosine and sine and sc
	// its sine and cosine.
	cos, sin []float32
	cs, sc   []float32
}

// apply rotates x, n rows of heads×headDim values at positions pos0, pos0+1…
func (r *rope) apply(x []float32, n, heads, headDim, pos0 int) {
	half := r.dims / 2
	var cos, sin, cs, sc []float32
	if r.neox {
		if cap(r.cos) < half {
			r.cos, r.sin = make([]float32, half), make([]float32, half)
		}
		cos, sin = r.cos[:half], r.sin[:half]
	} else {
		if cap(r.cs) < 2*half {
			r.cs, r.sc = make([]float32, 2*half), make([]float32, 2*half)
		}
		cs, sc = r.cs[:2*half], r.sc[:2*half]
	}
	step := float32(math.Pow(float64(r.base), -2/float64(r.dims)))
	for t := 0; t < n; t++ {
		theta := float32(pos0 + t)
		for i := 0; i < half; i++ {
			a := theta
			if r.freqs != nil {
				a /= r.freqs[i]
			}
			a *= r.scale
			s, c := sincosf(a)
			if r.neox {
				cos[i], sin[i] = c, s
			} else {
				cs[2*i], cs[2*i+1] = c, s
				sc[2*i], sc[2*i+1] = s, c
			}
			theta *= step
		}
		// Each pair becomes x0·cos − x1·sin and x0·sin + x1·cos, the
		// reference's C++ compiler fusing the first product of each
		// expression into its addition, as tensor's kernels do.
		for h := 0; h < heads; h++ {
			v := x[(t*heads+h)*headDim:]
			if r.neox {
				tensor.RotateHalves(v[:half], v[half:2*half], cos, sin)
			} else {
				tensor.RotatePairs(v[:2*half], cs, sc)
			}
		}
	}
}

// softmax turns scores into probabilities in place as the reference does:
// e^(x-max) and their float64 sum as ggml_vec_soft_max_f32 computes them,
// then everything scaled by 1/sum rounded to float32.
func softmax(x []float32) {
	m := tensor.Max(x)
	tensor.Scale(x, float32(1/tensor.SoftmaxExp(x, m)))
}

// toF16 stores src as half precision into dst.
func toF16(dst []uint16, src []float32) { tensor.EncodeF16(dst, src) }

// kvPad is the multiple the reference rounds up to the number of cache cells
// an attention looks at (n_kv, 32 without flash attention); the cells past
// the sequence are masked. It decides where ggml_vec_dot_f16 stops summing in
// rounds of 64 and goes on one value at a time.
const kvPad = 32

// attention computes, for each of the n new tokens and each query head, the
// softmax-weighted sum of the cached values, with causal masking: token t at
// position pos0+t sees positions 0…pos0+t. q is n rows of heads×headDim; out
// receives the same shape.
//
// It follows the reference's attention without flash attention: the scores
// are an F16 matrix product of the keys with the queries rounded to F16, the
// probabilities are rounded to F16 and multiplied by the values as another
// F16 matrix product, each summed like the reference's kernel for the batch
// size (tinyBLAS for two or more tokens, ggml_vec_dot_f16 for one).
func attention(s *Session, c *Cache, layer int, q, out []float32, n, heads, kvHeads, headDim, pos0 int) {
	kvDim := kvHeads * headDim
	group := heads / kvHeads
	scale := 1 / float32(math.Sqrt(float64(headDim)))
	span := pos0 + n
	cells := (span + kvPad - 1) / kvPad * kvPad
	batch := n >= 2
	// Each worker's scratch: the scores, a head of dequantized values, then
	// (in the same float32 buffer viewed as halves or bytes) the F16
	// probabilities and the query in F16 or Q8_0.
	q8Head := 0
	if c.kType == tensor.Q8_0 {
		q8Head, _ = tensor.Q8_0.RowSize(headDim)
	}
	q8Width := (q8Head + 3) / 4
	width := cells + headDim + (cells+headDim+1)/2 + q8Width
	scratch := s.floats(slotAttention, s.Pool.Threads()*width)
	s.attn = attentionJob{c: c, layer: layer, q: q, out: out, scratch: scratch, heads: heads, group: group,
		headDim: headDim, kvDim: kvDim, pos0: pos0, cells: cells, width: width, q8Head: q8Head, q8Width: q8Width,
		scale: scale, batchKQ: batch && tensor.TinyBLASFits(cells, headDim), batchKQV: batch && tensor.TinyBLASFits(headDim, cells)}
	if s.attnRun == nil {
		s.attnRun = s.attn.run
	}
	// Later tokens of a batch see more positions, so the pairs go out in
	// chunks as workers free up rather than in equal shares.
	s.Pool.ForChunks(n*heads, 1, s.attnRun)
}

// attentionJob is one layer's attention for a batch, split by (token, head)
// pairs across workers.
type attentionJob struct {
	c                            *Cache
	layer                        int
	q, out, scratch              []float32
	heads, group, headDim, kvDim int
	pos0, cells, width           int
	q8Head, q8Width              int
	scale                        float32
	// batchKQ and batchKQV say whether the reference's tinyBLAS kernel
	// makes the scores and the weighted sums (DotF16Batch's order), or its
	// one-row kernel (DotF16's).
	batchKQ, batchKQV bool
}

// run computes (token, head) pairs lo…hi-1.
func (j *attentionJob) run(worker, lo, hi int) {
	c, layer, q, out, heads, group, headDim, kvDim := j.c, j.layer, j.q, j.out, j.heads, j.group, j.headDim, j.kvDim
	pos0, cells, width, q8Head, q8Width, scale := j.pos0, j.cells, j.width, j.q8Head, j.q8Width, j.scale
	w := j.scratch[worker*width : (worker+1)*width]
	scores, vrow := w[:cells], w[cells:cells+headDim]
	h16 := unsafe.Slice((*uint16)(unsafe.Pointer(&w[cells+headDim])), cells+headDim)
	probs, qh := h16[:cells], h16[cells:]
	q8 := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w[width-q8Width:]))), q8Head)
	for th := lo; th < hi; th++ {
		t, h := th/heads, th%heads
		kvOff := (h / group) * headDim
		query := q[(t*heads+h)*headDim : (t*heads+h+1)*headDim]
		seen := pos0 + t + 1
		if c.kType == tensor.Q8_0 {
			c.q8.FromFloat(query, q8)
			for j := range seen {
				scores[j] = c.q8.VecDot(headDim, c.q8Head(c.k8[layer], j, kvOff, headDim), q8) * scale
			}
		} else {
			toF16(qh, query)
			keys := c.k16[layer][kvOff:]
			if j.batchKQ {
				// The query rounded to F16, decoded once for all the keys.
				tensor.DecodeF16(vrow, qh)
				tensor.DotF16BatchRows(keys, kvDim, vrow, scale, scores[:seen])
			} else {
				for j := range seen {
					scores[j] = tensor.DotF16(keys[j*kvDim:j*kvDim+headDim], qh) * scale
				}
			}
		}
		// The cells past seen are masked: their probabilities are zero. A
		// batch's softmax and product with the values stop at the end of
		// the 16 values that hold the last cell seen, which leaves every
		// lane of their sums as the reference's longer ones leave it (they
		// only add zeros). Generation's product sums in rounds of 64 and
		// needs them all.
		live := cells
		if j.batchKQV {
			live = min(cells, (seen+15)/16*16)
		}
		for j := seen; j < live; j++ {
			scores[j] = float32(math.Inf(-1))
		}
		softmax(scores[:live])
		o := out[(t*heads+h)*headDim : (t*heads+h+1)*headDim]
		if c.vType == tensor.Q8_0 {
			clear(o)
			for j, p := range scores[:seen] {
				c.q8.ToFloat(c.q8Head(c.v8[layer], j, kvOff, headDim), vrow)
				for d, v := range vrow {
					o[d] += p * v
				}
			}
			continue
		}
		// Cells past seen hold later tokens of the batch or stale
		// values; their probabilities are zero, so they add nothing.
		toF16(probs[:live], scores[:live])
		if j.batchKQV {
			tensor.DecodeF16(scores[:live], probs[:live])
			tensor.DotF16BatchRows(c.v16[layer][kvOff*c.stride:], c.stride, scores[:live], 1, o)
			continue
		}
		for d := range o {
			o[d] = tensor.DotF16(c.valueRow(layer, kvOff+d, cells), probs)
		}
	}
}
