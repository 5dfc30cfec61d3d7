package train

import (
	"math"

	"zhi/tensor"
)

// The layers of the network other than matrix products, each a forward
// function and its backward. A backward function takes the gradient of the
// loss with respect to the layer's output (dy) and adds the gradients with
// respect to the layer's parameters to theirs (dw). Functions work on a
// range of rows, so that callers can split them over workers.

// rmsNorm sets each row of y to x/rms(x)·w, rms(x) = sqrt(mean(x²) + eps),
// rows being len(w) wide, and keeps 1/rms of each row in rinv for the
// backward pass.
func rmsNorm(y, rinv, x, w []float32, eps float32) {
	d := len(w)
	for r := range rinv {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		var ss float64
		for _, v := range xr {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
		rinv[r] = inv
		for i, v := range xr {
			yr[i] = v * inv * w[i]
		}
	}
}

// rmsNormBackward adds the gradient with respect to x to dx and that with
// respect to w to dw. With g = dy·w and r = 1/rms(x):
//
//	dx = r·g − x·r³·(g·x)/d
//	dw = dy·x·r
func rmsNormBackward(dx, dw, dy, x, rinv, w []float32) {
	d := len(w)
	for r, inv := range rinv {
		xr, dyr, dxr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		var gx float64
		for i, v := range xr {
			gx += float64(dyr[i]*w[i]) * float64(v)
			dw[i] += dyr[i] * v * inv
		}
		c := float32(gx) * inv * inv * inv / float32(d)
		for i, v := range xr {
			dxr[i] += inv*dyr[i]*w[i] - v*c
		}
	}
}

// rope holds the rotations of rotary position embedding for the positions
// of a sequence: pair i of a head at position p turns by p·base^(−2i/hd).
// Pairs are adjacent values (x[2i], x[2i+1]), as GGUF's llama layout has
// them.
type rope struct {
	cos, sin []float32 // [position][hd/2]
	half     int
}

func newRope(positions, headDim int, base float32) rope {
	half := headDim / 2
	r := rope{cos: make([]float32, positions*half), sin: make([]float32, positions*half), half: half}
	for p := range positions {
		for i := range half {
			theta := float64(p) * math.Pow(float64(base), -2*float64(i)/float64(headDim))
			r.cos[p*half+i] = float32(math.Cos(theta))
			r.sin[p*half+i] = float32(math.Sin(theta))
		}
	}
	return r
}

// rotate applies the rotations to rows of heads·hd values, row r being at
// position (first+r) mod seqLen. inverse turns the other way, which is
// the backward pass: a rotation's gradient is the gradient rotated back.
func (r rope) rotate(x []float32, first, rows, width, seqLen int, inverse bool) {
	for row := range rows {
		pos := (first + row) % seqLen
		cos, sin := r.cos[pos*r.half:(pos+1)*r.half], r.sin[pos*r.half:(pos+1)*r.half]
		xr := x[row*width : (row+1)*width]
		for h := 0; h < width; h += 2 * r.half {
			head := xr[h : h+2*r.half]
			for i := range r.half {
				c, s := cos[i], sin[i]
				if inverse {
					s = -s
				}
				a, b := head[2*i], head[2*i+1]
				head[2*i] = a*c - b*s
				head[2*i+1] = a*s + b*c
			}
		}
	}
}

// swiglu sets h = silu(gate)·up, silu(g) = g·σ(g).
func swiglu(h, gate, up []float32) {
	copy(h, gate)
	tensor.SwiGLU(h[:len(gate)], up)
}

// swigluBackward sets dgate and dup from dh. With s = σ(g):
//
//	dup   = dh·g·s
//	dgate = dh·up·s·(1 + g·(1−s))
func swigluBackward(dgate, dup, dh, gate, up []float32) {
	// e^(−g) comes from the tensor package's vectorised exponential,
	// computed in place in dgate.
	for i, g := range gate {
		dgate[i] = -g
	}
	tensor.SoftmaxExp(dgate[:len(gate)], 0)
	for i, g := range gate {
		s := 1 / (1 + dgate[i])
		dup[i] = dh[i] * g * s
		dgate[i] = dh[i] * up[i] * s * (1 + g*(1-s))
	}
}

// softmaxCrossEntropy turns a row of logits into probabilities in place and
// returns the log-probability of target.
func softmaxCrossEntropy(row []float32, target int32) float32 {
	zt := row[target]
	m := row[0]
	for _, v := range row {
		if v > m { // not max(m, v), whose care for NaN and −0 costs a branch more per value
			m = v
		}
	}
	sum := tensor.SoftmaxExp(row, m)
	tensor.Scale(row, float32(1/sum))
	return zt - m - float32(math.Log(sum))
}

// crossEntropyBackward turns a row of probabilities into the gradient of
// −weight·log p(target) with respect to the logits: weight·(p − onehot).
func crossEntropyBackward(row []float32, target int32, weight float32) {
	row[target] -= 1
	tensor.Scale(row, weight)
}
