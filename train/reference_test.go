package train

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"zhi/internal/shared"
)

// The PyTorch reference (../shared/reference/train): losses, gradients and
// AdamW steps of tiny-train-f32.gguf computed by autograd.

type refGrads map[string][]float32

type trainReference struct {
	Pretrain struct {
		Inputs, Targets [][]int32
		Loss            float32
		Grads           refGrads
	}
	AdamW struct {
		LR                   float32
		Betas                [2]float32
		Eps                  float32
		WeightDecay          float32 `json:"weight_decay"`
		Steps                int
		LossesBeforeEachStep []float32 `json:"losses_before_each_step"`
		ParamsAfter          refGrads  `json:"params_after"`
	} `json:"adamw"`
	SFT struct {
		Inputs, Targets [][]int32
		Mask            [][]float32
		Loss            float32
		Grads           refGrads
	} `json:"sft"`
	DPO struct {
		Beta                     float32
		Prompt, Chosen, Rejected []int32
		Loss                     float32
		PolicyLogp               PairLogprobs `json:"policy_logp"`
		Grads                    refGrads
	} `json:"dpo"`
}

var (
	refOnce sync.Once
	refData *trainReference
	refErr  error
)

// loadReference returns the reference data and a fresh copy of the model
// it was computed from.
func loadReference(t *testing.T) (*trainReference, *Model) {
	t.Helper()
	path := shared.Path(t, "reference", "train", "train-reference.json")
	refOnce.Do(func() {
		data, err := os.ReadFile(path)
		if err != nil {
			refErr = err
			return
		}
		refData = new(trainReference)
		refErr = json.Unmarshal(data, refData)
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	m, err := Load(shared.Path(t, "reference", "train", "tiny-train-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return refData, m
}

// checkTensors compares every parameter's values (grad or data) with
// want, relative to the largest magnitude of want's tensor.
func checkTensors(t *testing.T, m *Model, want refGrads, grad bool, tol float64) {
	t.Helper()
	if len(want) != len(m.Params()) {
		t.Errorf("reference has %d tensors, the model %d", len(want), len(m.Params()))
	}
	for _, p := range m.Params() {
		w, ok := want[p.Name]
		got := p.Data
		if grad {
			got = p.Grad
		}
		if !ok || len(w) != len(got) {
			t.Errorf("%s: reference has %d values, the model %d", p.Name, len(w), len(got))
			continue
		}
		var scale, worst float64
		worstAt := 0
		for i := range w {
			scale = max(scale, math.Abs(float64(w[i])))
		}
		for i := range w {
			if d := math.Abs(float64(got[i]) - float64(w[i])); d > worst {
				worst, worstAt = d, i
			}
		}
		if worst > tol*scale {
			t.Errorf("%s: [%d] = %g, want %g (error %.2g of the largest %.3g)", p.Name, worstAt, got[worstAt], w[worstAt], worst/scale, scale)
		}
	}
}

func checkLoss(t *testing.T, what string, got, want float32) {
	t.Helper()
	if math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("%s loss %.7f, want %.7f", what, got, want)
	}
}

func TestReferencePretrain(t *testing.T) {
	ref, m := loadReference(t)
	loss, err := m.Loss(Batch{Inputs: ref.Pretrain.Inputs, Targets: ref.Pretrain.Targets})
	if err != nil {
		t.Fatal(err)
	}
	checkLoss(t, "pretrain", loss, ref.Pretrain.Loss)
	checkTensors(t, m, ref.Pretrain.Grads, true, 1e-4)
}

func TestReferenceSFT(t *testing.T) {
	ref, m := loadReference(t)
	loss, err := m.Loss(Batch{Inputs: ref.SFT.Inputs, Targets: ref.SFT.Targets, Mask: ref.SFT.Mask})
	if err != nil {
		t.Fatal(err)
	}
	checkLoss(t, "sft", loss, ref.SFT.Loss)
	checkTensors(t, m, ref.SFT.Grads, true, 1e-4)
}

func TestReferenceAdamW(t *testing.T) {
	ref, m := loadReference(t)
	r := ref.AdamW
	opt := &AdamW{Beta1: r.Betas[0], Beta2: r.Betas[1], Eps: r.Eps, WeightDecay: r.WeightDecay}
	b := Batch{Inputs: ref.Pretrain.Inputs, Targets: ref.Pretrain.Targets}
	for step := range r.Steps {
		m.ZeroGrad()
		loss, err := m.Loss(b)
		if err != nil {
			t.Fatal(err)
		}
		checkLoss(t, "before step", loss, r.LossesBeforeEachStep[step])
		if err := opt.Step(m, r.LR); err != nil {
			t.Fatal(err)
		}
	}
	// Adam moves each value by about lr a step whatever the size of its
	// gradient, so a value whose gradient is at the level of float32
	// rounding noise (a few 1e-8) moves by an amount that is noise too.
	// Values must agree within 1% of lr, all but a few within 10%.
	for _, p := range m.Params() {
		want := r.ParamsAfter[p.Name]
		if len(want) != len(p.Data) {
			t.Fatalf("%s: reference has %d values, the model %d", p.Name, len(want), len(p.Data))
		}
		off := 0
		for i, w := range want {
			d := math.Abs(float64(p.Data[i] - w))
			if d > 0.1*float64(r.LR) {
				t.Errorf("%s[%d] = %g, want %g", p.Name, i, p.Data[i], w)
			}
			if d > 0.01*float64(r.LR) {
				off++
			}
		}
		if off > len(want)/1000 {
			t.Errorf("%s: %d of %d values differ by more than lr/100", p.Name, off, len(want))
		}
	}
}

func TestReferenceDPO(t *testing.T) {
	ref, m := loadReference(t)
	r := ref.DPO
	pairs := []Preference{{Prompt: r.Prompt, Chosen: r.Chosen, Rejected: r.Rejected}}
	refLogp, err := m.PairLogprobs(pairs) // the reference model is the policy before training
	if err != nil {
		t.Fatal(err)
	}
	res, err := DPOLoss(m, pairs, refLogp, r.Beta)
	if err != nil {
		t.Fatal(err)
	}
	checkLoss(t, "dpo", res.Loss, r.Loss)
	for _, c := range []struct {
		what      string
		got, want float32
	}{{"chosen", res.Policy[0].Chosen, r.PolicyLogp.Chosen}, {"rejected", res.Policy[0].Rejected, r.PolicyLogp.Rejected}} {
		if math.Abs(float64(c.got-c.want)) > 1e-4 {
			t.Errorf("policy log p(%s) = %g, want %g", c.what, c.got, c.want)
		}
	}
	checkTensors(t, m, r.Grads, true, 1e-4)
}
