package train

import (
	"fmt"
	"math"
)

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter), as
// PyTorch's torch.optim.AdamW computes it. Weight decay applies to the
// matrices only, not to the norm vectors.
type AdamW struct {
	Beta1, Beta2 float32 // decay rates of the moment estimates
	Eps          float32 // added to the root of the second moment
	WeightDecay  float32 // fraction of a matrix removed per unit of learning rate

	step int         // steps taken
	m, v [][]float32 // first and second moments, one per parameter
}

// NewAdamW returns an optimizer with the settings common for small language
// models: betas 0.9 and 0.95, eps 1e-8, weight decay 0.1.
func NewAdamW() *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
}

// Steps is the number of steps taken.
func (o *AdamW) Steps() int { return o.step }

// Step updates every parameter of model from its gradient with learning
// rate lr. It does not clear the gradients.
func (o *AdamW) Step(model *Model, lr float32) error {
	if model.pool == nil {
		return errClosed
	}
	params := model.Params()
	if o.m == nil {
		for _, p := range params {
			o.m = append(o.m, make([]float32, len(p.Data)))
			o.v = append(o.v, make([]float32, len(p.Data)))
		}
	}
	if len(o.m) != len(params) {
		return fmt.Errorf("train: optimizer state is for %d parameters, the model has %d", len(o.m), len(params))
	}
	o.step++
	b1, b2 := o.Beta1, o.Beta2
	// PyTorch's order of operations: the step size carries the first
	// bias correction, the denominator the root of the second.
	bc1 := 1 - math.Pow(float64(b1), float64(o.step))
	bc2 := 1 - math.Pow(float64(b2), float64(o.step))
	stepSize := float32(float64(lr) / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	for i, p := range params {
		if len(o.m[i]) != len(p.Data) {
			return fmt.Errorf("train: optimizer state of %s has %d values, the parameter %d", p.Name, len(o.m[i]), len(p.Data))
		}
		decay := float32(1)
		if p.Matrix() {
			decay = 1 - lr*o.WeightDecay
		}
		m, v := o.m[i], o.v[i]
		model.rows(len(p.Data), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				g := p.Grad[j]
				m[j] = b1*m[j] + (1-b1)*g
				v[j] = b2*v[j] + (1-b2)*g*g
				denom := float32(math.Sqrt(float64(v[j])))/bc2Sqrt + o.Eps
				p.Data[j] = p.Data[j]*decay - stepSize*m[j]/denom
			}
		})
	}
	return nil
}

// CosineLR is the learning rate at step (from 0) of a schedule that rises
// linearly from maxLR/warmup to maxLR over the first warmup steps, then
// falls along half a cosine to minLR at step total, and stays there.
func CosineLR(step, warmup, total int, maxLR, minLR float32) float32 {
	if step < warmup {
		return maxLR * float32(step+1) / float32(warmup)
	}
	if step >= total || total <= warmup {
		return minLR
	}
	progress := float64(step-warmup) / float64(total-warmup)
	return minLR + (maxLR-minLR)*float32(0.5*(1+math.Cos(math.Pi*progress)))
}
