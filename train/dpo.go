package train

import (
	"fmt"
	"math"
	"slices"

	"zhi/tensor"
)

// Direct Preference Optimization (Rafailov et al., 2023) trains a policy to
// prefer one continuation of a prompt over another, relative to a frozen
// reference model:
//
//	loss = −log σ(β·((π_c − ref_c) − (π_r − ref_r)))
//
// π and ref being log p(continuation | prompt) under the policy and the
// reference, c the chosen continuation and r the rejected one.

// Preference is a prompt with a preferred and a dispreferred continuation.
type Preference struct {
	Prompt, Chosen, Rejected []int32
}

// PairLogprobs are log p(chosen | prompt) and log p(rejected | prompt).
type PairLogprobs struct {
	Chosen, Rejected float32
}

// DPOResult reports a DPO step.
type DPOResult struct {
	Loss    float32        // mean over the pairs
	Policy  []PairLogprobs // the policy's log-probabilities of each pair
	Margins []float32      // β·((π_c − ref_c) − (π_r − ref_r)) of each pair; > 0 when the policy prefers the chosen one
}

// pairSequences flattens pairs into chosen, rejected, chosen, … sequences.
func pairSequences(pairs []Preference) []sequence {
	seqs := make([]sequence, 0, 2*len(pairs))
	for _, p := range pairs {
		seqs = append(seqs, sequence{p.Prompt, p.Chosen}, sequence{p.Prompt, p.Rejected})
	}
	return seqs
}

// PairLogprobs runs the pairs forward and returns their log-probabilities,
// as the reference model of DPO needs them. Gradients are left alone.
func (m *Model) PairLogprobs(pairs []Preference) ([]PairLogprobs, error) {
	lp, _, err := m.sequenceLogprobs(pairSequences(pairs))
	if err != nil {
		return nil, err
	}
	out := make([]PairLogprobs, len(pairs))
	for i := range out {
		out[i] = PairLogprobs{lp[2*i], lp[2*i+1]}
	}
	return out, nil
}

// DPOLoss runs the pairs through policy as one batch, returns the mean DPO
// loss given the reference's log-probabilities ref (from PairLogprobs of
// the reference model), and adds its gradient to the policy's gradients.
func DPOLoss(policy *Model, pairs []Preference, ref []PairLogprobs, beta float32) (DPOResult, error) {
	if len(pairs) == 0 || len(ref) != len(pairs) {
		return DPOResult{}, fmt.Errorf("train: dpo: %d pairs and %d reference log-probabilities", len(pairs), len(ref))
	}
	if !(beta > 0) || math.IsInf(float64(beta), 0) {
		return DPOResult{}, fmt.Errorf("train: dpo: beta %g must be positive", beta)
	}
	lp, cont, err := policy.sequenceLogprobs(pairSequences(pairs))
	if err != nil {
		return DPOResult{}, fmt.Errorf("train: dpo: %w", err)
	}
	res := DPOResult{Policy: make([]PairLogprobs, len(pairs)), Margins: make([]float32, len(pairs))}
	n := float64(len(pairs))
	var loss float64
	for i := range pairs {
		res.Policy[i] = PairLogprobs{lp[2*i], lp[2*i+1]}
		z := float64(beta) * (float64(lp[2*i]-ref[i].Chosen) - float64(lp[2*i+1]-ref[i].Rejected))
		res.Margins[i] = float32(z)
		loss += softplus(-z) / n // −log σ(z)
		// dloss/dπ_c = −β·σ(−z)/n and dloss/dπ_r = +β·σ(−z)/n; backward
		// takes the weights w of −Σ w·logp, so w = −dloss/dπ.
		g := float32(float64(beta) * sigmoid(-z) / n)
		tensor.Scale(cont[2*i], g)
		tensor.Scale(cont[2*i+1], -g)
	}
	res.Loss = float32(loss)
	if err := policy.backward(slices.Concat(cont...)); err != nil {
		return DPOResult{}, err
	}
	return res, nil
}

// softplus is log(1 + e^x), without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
