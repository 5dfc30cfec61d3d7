package train

import "fmt"

// sequence is a prompt and a continuation of it, whose probability under
// the model is what preference training compares.
type sequence struct {
	prompt       []int32 // not empty: it starts with BOS
	continuation []int32 // not empty
}

// sequenceBatch lays sequences out as one batch: row i predicts the tokens
// of seqs[i] after its first, padded with token 0 to the longest row.
// cont[i][t] is 1 where row i predicts a continuation token, 0 elsewhere.
func sequenceBatch(seqs []sequence) (inputs, targets [][]int32, cont [][]float32, err error) {
	t := 0
	for i, s := range seqs {
		if len(s.prompt) == 0 || len(s.continuation) == 0 {
			return nil, nil, nil, fmt.Errorf("train: sequence %d has an empty prompt or continuation", i)
		}
		t = max(t, len(s.prompt)+len(s.continuation)-1)
	}
	if t == 0 {
		return nil, nil, nil, fmt.Errorf("train: no sequences")
	}
	for _, s := range seqs {
		full := append(append(make([]int32, 0, t+1), s.prompt...), s.continuation...)
		in, tg, w := make([]int32, t), make([]int32, t), make([]float32, t)
		copy(in, full[:len(full)-1])
		copy(tg, full[1:])
		for j := len(s.prompt) - 1; j < len(full)-1; j++ {
			w[j] = 1
		}
		inputs, targets, cont = append(inputs, in), append(targets, tg), append(cont, w)
	}
	return inputs, targets, cont, nil
}

// sequenceLogprobs runs seqs forward and returns log p(continuation |
// prompt) of each, keeping the activations for a backward pass.
func (m *Model) sequenceLogprobs(seqs []sequence) ([]float32, [][]float32, error) {
	inputs, targets, cont, err := sequenceBatch(seqs)
	if err != nil {
		return nil, nil, err
	}
	a, err := m.forward(inputs, targets)
	if err != nil {
		return nil, nil, err
	}
	out := make([]float32, len(seqs))
	for i, row := range cont {
		var sum float64
		for j, w := range row {
			sum += float64(w) * float64(a.logp[i*a.t+j])
		}
		out[i] = float32(sum)
	}
	return out, cont, nil
}

// SequenceLogprob returns log p(continuation | prompt): the sum of the
// log-probabilities of the continuation's tokens. Neither may be empty;
// start the prompt with BOS. Gradients are left alone.
func (m *Model) SequenceLogprob(prompt, continuation []int32) (float32, error) {
	lp, _, err := m.sequenceLogprobs([]sequence{{prompt, continuation}})
	if err != nil {
		return 0, err
	}
	return lp[0], nil
}
