package train

import (
	"fmt"
	"math"
	"slices"
)

// Batch is B sequences of T tokens and the token to predict after each.
type Batch struct {
	Inputs  [][]int32 // B rows of T token ids, each from position 0
	Targets [][]int32 // B rows of T token ids: Targets[b][t] follows Inputs[b][:t+1]
	// Mask weighs each position's loss, B rows of T non-negative weights;
	// nil weighs every position 1. A 0/1 mask restricts the loss to some
	// positions, such as the answer of a supervised fine-tuning example.
	Mask [][]float32
}

// Loss runs the batch forward and backward: it returns the mean
// cross-entropy (natural log) over the positions, weighted by the mask, and
// adds its gradient to every parameter's Grad.
func (m *Model) Loss(b Batch) (float32, error) {
	loss, weights, err := m.lossOf(b)
	if err != nil {
		return 0, err
	}
	return loss, m.backward(weights)
}

// EvalLoss is Loss without the backward pass: gradients are left alone.
func (m *Model) EvalLoss(b Batch) (float32, error) {
	loss, _, err := m.lossOf(b)
	return loss, err
}

// lossOf runs the batch forward and returns its weighted mean loss and the
// weights of the positions.
func (m *Model) lossOf(b Batch) (float32, []float32, error) {
	weights, err := m.maskWeights(b)
	if err != nil {
		return 0, nil, err
	}
	a, err := m.forward(b.Inputs, b.Targets)
	if err != nil {
		return 0, nil, err
	}
	return weightedNLL(a.logp, weights), weights, nil
}

// maskWeights returns the weight of each position's loss in the mean: the
// mask divided by its sum.
func (m *Model) maskWeights(b Batch) ([]float32, error) {
	if len(b.Inputs) == 0 || len(b.Targets) != len(b.Inputs) {
		return nil, fmt.Errorf("train: batch of %d input rows and %d target rows", len(b.Inputs), len(b.Targets))
	}
	t := len(b.Inputs[0])
	weights := make([]float32, len(b.Inputs)*t)
	if b.Mask == nil {
		for i := range weights {
			weights[i] = 1 / float32(len(weights))
		}
		return weights, nil
	}
	if len(b.Mask) != len(b.Inputs) {
		return nil, fmt.Errorf("train: %d mask rows for %d input rows", len(b.Mask), len(b.Inputs))
	}
	var sum float64
	for i, row := range b.Mask {
		if len(row) != t {
			return nil, fmt.Errorf("train: mask row %d has %d values, want %d", i, len(row), t)
		}
		for j, w := range row {
			if !(w >= 0) || math.IsInf(float64(w), 0) {
				return nil, fmt.Errorf("train: mask[%d][%d] = %g is not a non-negative weight", i, j, w)
			}
			sum += float64(w)
		}
	}
	if sum == 0 {
		return nil, fmt.Errorf("train: the mask selects no position")
	}
	for i, row := range b.Mask {
		for j, w := range row {
			weights[i*t+j] = float32(float64(w) / sum)
		}
	}
	return weights, nil
}

// weightedNLL is −Σ weights·logp, summed in float64.
func weightedNLL(logp, weights []float32) float32 {
	var sum float64
	for i, w := range weights {
		sum -= float64(w) * float64(logp[i])
	}
	return float32(sum)
}

// TokenLogprobs runs the batch forward and returns log p(Targets[b][t]) at
// every position. It keeps the pass's activations, so that Backward can
// follow with a loss built from the log-probabilities, as DPO's is.
func (m *Model) TokenLogprobs(inputs, targets [][]int32) ([][]float32, error) {
	if targets == nil {
		return nil, fmt.Errorf("train: TokenLogprobs needs targets")
	}
	a, err := m.forward(inputs, targets)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, a.b)
	for i := range out {
		out[i] = append([]float32(nil), a.logp[i*a.t:(i+1)*a.t]...)
	}
	return out, nil
}

// Backward adds to the gradients the gradient of −Σ weights[b][t]·logp[b][t]
// for the log-probabilities of the last TokenLogprobs, whose activations it
// consumes. Weights may be negative.
func (m *Model) Backward(weights [][]float32) error {
	a := m.acts
	if a == nil || !a.backwardOK {
		return fmt.Errorf("train: Backward needs a TokenLogprobs first")
	}
	if len(weights) != a.b {
		return fmt.Errorf("train: %d weight rows for a batch of %d", len(weights), a.b)
	}
	for i, row := range weights {
		if len(row) != a.t {
			return fmt.Errorf("train: weight row %d has %d values, want %d", i, len(row), a.t)
		}
	}
	return m.backward(slices.Concat(weights...))
}

// Logits runs one sequence forward from position 0 and returns the logits
// after each token, Vocab values per position.
func (m *Model) Logits(tokens []int32) ([]float32, error) {
	a, err := m.forward([][]int32{tokens}, nil)
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), a.probs[:len(tokens)*m.Config.Vocab]...), nil
}
