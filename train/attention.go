package train

import (
	"math"

	"zhi/tensor"
)

// Causal self-attention of one head over one sequence of T positions:
//
//	S = Q·Kᵀ·scale, P = softmax(S) over the positions up to each row's own,
//	O = P·V
//
// The forward pass keeps only the log-sum-exp of each row of S; the
// backward pass recomputes P from it, so memory does not grow with T² times
// the number of heads and layers. Products skip the tiles the causal mask
// makes zero, about half of each.

// attendForward computes o from q, k and v (T×hd each) and stores each
// row's log-sum-exp in lse. s is T×T scratch.
func attendForward(o, q, k, v mat, lse []float32, scale float32, s []float32, buf *gemmBuf) {
	t := q.rows
	sm := rowMajor(s, t, t)
	gemmTri(sm, q, k.T(), false, lowerC, buf)
	for i := range t {
		row := s[i*t : (i+1)*t]
		causal := row[:i+1]
		tensor.Scale(causal, scale)
		m := causal[0]
		for _, x := range causal {
			if x > m {
				m = x
			}
		}
		sum := softmaxCausal(row, i, m)
		tensor.Scale(causal, float32(1/sum))
		lse[i] = m + float32(math.Log(sum))
	}
	gemmTri(o, sm, v, false, lowerA, buf)
}

// softmaxCausal replaces row[j] by e^(row[j]-m) for j <= i, clears the
// rest of the row, and returns the sum of the exponentials. The vectorised
// exponential works on whole registers of 16 values, so the masked values
// up to the next multiple of 16 enter it as −∞, which it maps to exactly
// zero, rather than leaving a tail to the scalar one.
func softmaxCausal(row []float32, i int, m float32) float64 {
	w := min(len(row), (i+16)&^15)
	for j := i + 1; j < w; j++ {
		row[j] = float32(math.Inf(-1))
	}
	sum := tensor.SoftmaxExp(row[:w], m)
	clear(row[i+1:])
	return sum
}

// attendBackward computes the gradients of q, k and v from that of o. dq is
// set; dk and dv are set, or added to when acc is set, since the query
// heads of a group share their keys and values. s and ds are T×T scratch.
//
// With D = rowsum(dO∘O), the gradient through the softmax is
// dS = P∘(dP − D), where dP = dO·Vᵀ.
func attendBackward(dq, dk, dv, do, q, k, v, o mat, lse []float32, scale float32, acc bool, s, ds []float32, buf *gemmBuf) {
	if do.cs != 1 || o.cs != 1 {
		panic("train: attention gradients need head views with adjacent columns")
	}
	t := q.rows
	pm, dpm := rowMajor(s, t, t), rowMajor(ds, t, t)
	gemmTri(pm, q, k.T(), false, lowerC, buf)
	for i := range t {
		tensor.Scale(s[i*t:i*t+i+1], scale)
		softmaxCausal(s[i*t:(i+1)*t], i, lse[i])
	}
	gemmTri(dv, pm.T(), do, acc, upperA, buf)
	gemmTri(dpm, do, v.T(), false, lowerC, buf)
	for i := range t {
		var d float32
		// Head views (headViews) are column blocks of row-major buffers:
		// their columns are adjacent.
		doi, oi := do.data[i*do.rs:i*do.rs+do.cols], o.data[i*o.rs:i*o.rs+do.cols]
		for j, x := range doi {
			d += x * oi[j]
		}
		p, dp := s[i*t:i*t+i+1], ds[i*t:(i+1)*t]
		for j, pj := range p {
			dp[j] = pj * (dp[j] - d) * scale
		}
		clear(dp[i+1:])
	}
	gemmTri(dq, dpm, k, false, lowerA, buf)
	gemmTri(dk, dpm.T(), q, acc, upperA, buf)
}
