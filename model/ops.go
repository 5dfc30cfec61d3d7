package model

import (
	"math"
	"unsafe"

	"zhi/tensor"
)

// The building blocks of a forward pass, each computed the way the reference
// computes it (accumulating in float64 where it does), so that logits agree to
// the last digits that float32 can hold.

// rmsNorm writes x / sqrt(mean(x²) + eps) * weight for each of the n rows of
// width len(weight).
func rmsNorm(dst, x, weight []float32, n int, eps float32) {
	d := len(weight)
	for r := 0; r < n; r++ {
		row, out := x[r*d:(r+1)*d], dst[r*d:(r+1)*d]
		var sum float64
		for _, v := range row {
			sum += float64(v * v)
		}
		scale := 1 / float32(math.Sqrt(float64(float32(sum/float64(d))+eps)))
		for i, v := range row {
			out[i] = v * scale * weight[i]
		}
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

// swiglu writes silu(gate) * up into gate.
func swiglu(gate, up []float32) {
	w := 8
	if isa512 {
		w = 16
	}
	F := len(gate)
	_ = F
	for i, g := range gate {
		gate[i] = g / (1 + expf(-g)) * up[i]
	}
	_ = w
}

// rope rotates the first dims values of every head of every row by angles
// that grow with the row's position. Pair i turns by
// pos·scale·base^(-2i/dims)/freqs[i]; the reference builds that power by
// repeated float32 multiplication, and so does this, to round alike.
// neox pairs x[i] with x[i+dims/2]; otherwise x[2i] with x[2i+1].
type rope struct {
	dims  int
	base  float32
	scale float32
	freqs []float32 // optional per-pair divisors (rope_freqs.weight)
	neox  bool
	cos   []float32
	sin   []float32
}

// apply rotates x, n rows of heads×headDim values at positions pos0, pos0+1…
func (r *rope) apply(x []float32, n, heads, headDim, pos0 int) {
	half := r.dims / 2
	if cap(r.cos) < half {
		r.cos, r.sin = make([]float32, half), make([]float32, half)
	}
	cos, sin := r.cos[:half], r.sin[:half]
	step := float32(math.Pow(float64(r.base), -2/float64(r.dims)))
	for t := 0; t < n; t++ {
		theta := float32(pos0 + t)
		for i := 0; i < half; i++ {
			a := theta
			if r.freqs != nil {
				a /= r.freqs[i]
			}
			a *= r.scale
			sin[i], cos[i] = sincosf(a)
			theta *= step
		}
		for h := 0; h < heads; h++ {
			v := x[(t*heads+h)*headDim:]
			for i := 0; i < half; i++ {
				j, k := 2*i, 2*i+1
				if r.neox {
					j, k = i, i+half
				}
				x0, x1 := v[j], v[k]
				v[j] = x0*cos[i] - x1*sin[i]
				v[k] = x0*sin[i] + x1*cos[i]
			}
		}
	}
}

// softmax turns scores into probabilities in place, summing in float64.
func softmax(x []float32) {
	m := float32(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	w := 8
	if isa512 {
		w = 16
	}
	var sum float64
	i := 0
	for ; i+w <= len(x); i += w {
		var lanes [16]float32
		for l := 0; l < w; l++ {
			x[i+l] = expf(x[i+l] - m)
			lanes[l] = x[i+l]
		}
		if isa512 {
			var t [8]float32
			for l := 0; l < 8; l++ {
				t[l] = lanes[l] + lanes[l+8]
			}
			u0, u1, u2, u3 := t[0]+t[4], t[1]+t[5], t[2]+t[6], t[3]+t[7]
			sum += float64((u0 + u2) + (u1 + u3))
		} else {
			a0, a1, a2, a3 := lanes[0]+lanes[4], lanes[1]+lanes[5], lanes[2]+lanes[6], lanes[3]+lanes[7]
			sum += float64((a0 + a2) + (a1 + a3))
		}
	}
	for ; i < len(x); i++ {
		e := float32(math.Exp(float64(x[i] - m)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// roundF16 rounds every value to the nearest half-precision number, as the
// reference does to an operand it multiplies by an F16 tensor.
func roundF16(x []float32) {
	for i, v := range x {
		x[i] = tensor.F16ToF32(tensor.F32ToF16(v))
	}
}

// toF16 stores src as half precision into dst.
func toF16(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = tensor.F32ToF16(v)
	}
}

// kvPad is the multiple the reference rounds the number of cache cells an
// attention looks at up to (n_kv); the cells past the sequence are masked.
const kvPad = 256

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
func attention(s *Session, layer int, q, out []float32, n, heads, kvHeads, headDim, pos0 int) {
	c := s.Cache
	kCache, vCache := c.k[layer], c.v[layer]
	kvDim := kvHeads * headDim
	group := heads / kvHeads
	scale := 1 / float32(math.Sqrt(float64(headDim)))
	span := pos0 + n
	nKV := (span + kvPad - 1) / kvPad * kvPad
	// Cells past the last position add exact zeros to every lane of every
	// sum, so only as many as make whole rounds of the widest kernel count.
	cells := min(nKV, (span+63)/64*64)
	batch := n >= 2
	dotKQ, dotKQV := tensor.DotF16, tensor.DotF16
	if batch && tensor.BatchF16OK(nKV, headDim) {
		dotKQ = tensor.DotF16Batch
	}
	if batch && tensor.BatchF16OK(headDim, nKV) {
		dotKQV = tensor.DotF16Batch
	}
	width := cells + (2*cells+headDim+1)/2
	scratch := s.floats(slotAttention, s.Pool.Threads()*width)
	s.Pool.For(n*heads, 1, func(worker, lo, hi int) {
		w := scratch[worker*width : (worker+1)*width]
		scores := w[:cells]
		h16 := unsafe.Slice((*uint16)(unsafe.Pointer(&w[cells])), 2*cells+headDim)
		probs, vcol, qh := h16[:cells], h16[cells:2*cells], h16[2*cells:]
		for th := lo; th < hi; th++ {
			t, h := th/heads, th%heads
			kvOff := (h / group) * headDim
			toF16(qh, q[(t*heads+h)*headDim:(t*heads+h+1)*headDim])
			seen := pos0 + t + 1
			for j := range seen {
				scores[j] = dotKQ(kCache[j*kvDim+kvOff:j*kvDim+kvOff+headDim], qh) * scale
			}
			for j := seen; j < cells; j++ {
				scores[j] = float32(math.Inf(-1))
			}
			softmax(scores)
			toF16(probs, scores)
			o := out[(t*heads+h)*headDim : (t*heads+h+1)*headDim]
			clear(vcol[seen:])
			for d := range o {
				for j := range seen {
					vcol[j] = vCache[j*kvDim+kvOff+d]
				}
				o[d] = dotKQV(vcol, probs)
			}
		}
	})
}
