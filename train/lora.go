package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"zhi/gguf"
	"zhi/tensor"
)

// LoRA (Hu et al., 2021) fine-tunes a matrix W of out×in by a low-rank
// update: W + s·B·A, A being r×in, B out×r and s = alpha/r, with W frozen
// and only A and B trained. A starts small and random, B at zero, so that
// training starts from the model as it is.
//
// The model's backward pass computes the gradient of every weight, so the
// adapter trains through it: while attached, each adapted matrix holds
// W + s·B·A, and after a backward pass the chain rule turns its gradient
// dW into dA = s·Bᵀ·dW and dB = s·dW·Aᵀ. That costs a copy of each adapted
// matrix (to keep W) and a product of r·out·in per matrix and step on top
// of full fine-tuning's forward and backward, but no optimizer state for
// the frozen weights, which is most of full fine-tuning's memory.

// LoRAConfig chooses the matrices a LoRA adapts and its size.
type LoRAConfig struct {
	Rank  int     // r
	Alpha float32 // the update is scaled by Alpha/Rank
	// Targets names the adapted matrices of every layer, from LoRATargets.
	Targets []string
}

// loraTarget is a matrix of a layer that a LoRA can adapt.
type loraTarget struct {
	name  string
	param func(*Layer) *Param
}

// loraTargets are the matrices a LoRA can adapt, in GGUF order.
var loraTargets = []loraTarget{
	{"q", func(l *Layer) *Param { return l.Wq }},
	{"k", func(l *Layer) *Param { return l.Wk }},
	{"v", func(l *Layer) *Param { return l.Wv }},
	{"o", func(l *Layer) *Param { return l.Wo }},
	{"gate", func(l *Layer) *Param { return l.FFNGate }},
	{"up", func(l *Layer) *Param { return l.FFNUp }},
	{"down", func(l *Layer) *Param { return l.FFNDown }},
}

// LoRATargets lists the names of the matrices a LoRA can adapt: the
// attention's q, k, v and o projections and the MLP's gate, up and down.
func LoRATargets() []string {
	names := make([]string, len(loraTargets))
	for i, t := range loraTargets {
		names[i] = t.name
	}
	return names
}

// LoRA is a low-rank adapter attached to a model.
type LoRA struct {
	Config  LoRAConfig
	model   *Model
	adapted []adapted
	params  []*Param // A and B of each adapted matrix
}

// adapted is one matrix with its adapter.
type adapted struct {
	w    *Param    // the model's matrix, holding base + s·B·A
	base []float32 // its own weights
	a, b *Param    // A: GGUF shape {in, r}; B: {r, out}, as llama.cpp's adapters
}

// NewLoRA attaches an adapter to the target matrices of every layer of m,
// A drawn from seed. Until Detach, m computes with the adapted weights.
func NewLoRA(m *Model, c LoRAConfig, seed uint64) (*LoRA, error) {
	if !(c.Alpha > 0) || math.IsInf(float64(c.Alpha), 0) {
		return nil, fmt.Errorf("train: lora alpha %g must be positive", c.Alpha)
	}
	if len(c.Targets) == 0 {
		return nil, errors.New("train: lora has no target matrices")
	}
	var picked []int // indices into loraTargets, so that A and B follow the model's order
	for _, name := range c.Targets {
		i := slices.IndexFunc(loraTargets, func(t loraTarget) bool { return t.name == name })
		if i < 0 {
			return nil, fmt.Errorf("train: unknown lora target %q (targets: %s)", name, strings.Join(LoRATargets(), ", "))
		}
		if slices.Contains(picked, i) {
			return nil, fmt.Errorf("train: lora target %q given twice", name)
		}
		picked = append(picked, i)
	}
	slices.Sort(picked)
	l := &LoRA{Config: c, model: m}
	l.Config.Targets = slices.Clone(c.Targets)
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	for i := range m.Layers {
		for _, t := range picked {
			w := loraTargets[t].param(&m.Layers[i])
			in, out := w.Shape[0], w.Shape[1]
			if c.Rank <= 0 || c.Rank > min(in, out) {
				return nil, fmt.Errorf("train: lora rank %d is not between 1 and %d", c.Rank, min(in, out))
			}
			ad := adapted{
				w:    w,
				base: slices.Clone(w.Data),
				a:    newParam(w.Name+".lora_a", in, c.Rank),
				b:    newParam(w.Name+".lora_b", c.Rank, out),
			}
			// PyTorch's default for a linear layer (PEFT's for A):
			// uniform within ±1/sqrt(in).
			bound := 1 / math.Sqrt(float64(in))
			for j := range ad.a.Data {
				ad.a.Data[j] = float32((2*rng.Float64() - 1) * bound)
			}
			l.adapted = append(l.adapted, ad)
			l.params = append(l.params, ad.a, ad.b)
		}
	}
	return l, nil
}

// Scale is alpha/rank, the factor of B·A.
func (l *LoRA) Scale() float32 { return l.Config.Alpha / float32(l.Config.Rank) }

// Params returns A and B of every adapted matrix, in the model's order.
func (l *LoRA) Params() []*Param { return l.params }

// NumParams is the number of trained values.
func (l *LoRA) NumParams() int {
	n := 0
	for _, p := range l.params {
		n += len(p.Data)
	}
	return n
}

// Detach restores the model's own weights. The model keeps the adapted
// ones (the merged model) unless Detach is called.
func (l *LoRA) Detach() {
	for _, ad := range l.adapted {
		copy(ad.w.Data, ad.base)
	}
}

// trainable returns a model view holding only the adapter's parameters, on
// the model's workers, for the optimizer and gradient clipping; it cannot
// run forward.
func (l *LoRA) trainable() *Model {
	m := l.model
	return &Model{Config: m.Config, params: l.params, pool: m.pool, gemmBufs: m.gemmBufs}
}

// sync sets every adapted matrix to base + s·B·A.
func (l *LoRA) sync() {
	for _, ad := range l.adapted {
		copy(ad.w.Data, ad.base)
		l.model.addLowRank(ad.w, ad.a, ad.b, l.Scale())
	}
}

// addLowRank adds s·B·A to w.
func (m *Model) addLowRank(w, a, b *Param, s float32) {
	sb := slices.Clone(b.Data)
	tensor.Scale(sb, s)
	r := a.Shape[1]
	m.matmul(w.mat(), rowMajor(sb, w.Shape[1], r), a.mat(), true)
}

// backward sets the gradients of A and B from those of the adapted
// matrices: dA = s·Bᵀ·dW, dB = s·dW·Aᵀ.
func (l *LoRA) backward() {
	m, s := l.model, l.Scale()
	for _, ad := range l.adapted {
		dw := ad.w.gradMat()
		m.matmul(ad.a.gradMat(), ad.b.mat().T(), dw, false)
		m.matmul(ad.b.gradMat(), dw, ad.a.mat().T(), false)
		tensor.Scale(ad.a.Grad, s)
		tensor.Scale(ad.b.Grad, s)
	}
}

// Adapter files are those of llama.cpp (convert_lora_to_gguf.py, loaded by
// llama_adapter_lora_init): general.type "adapter", adapter.type "lora",
// adapter.lora.alpha, and for each adapted matrix NAME a pair of tensors
// NAME.lora_a of shape {in, r} and NAME.lora_b of shape {r, out}, the
// update being (alpha/r)·B·A.
const (
	adapterTypeKey  = "general.type"
	adapterKindKey  = "adapter.type"
	adapterAlphaKey = "adapter.lora.alpha"
	loraASuffix     = ".lora_a"
	loraBSuffix     = ".lora_b"
)

// SaveAdapter writes the adapter as a llama.cpp LoRA adapter GGUF file,
// in float32; name goes to general.name.
func (l *LoRA) SaveAdapter(path, name string) error {
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("llama"))
	b.Set(adapterTypeKey, gguf.String("adapter"))
	if name != "" {
		b.Set("general.name", gguf.String(name))
	}
	b.Set("general.file_type", gguf.Uint32(fileTypes[tensor.F32]))
	b.Set(adapterKindKey, gguf.String("lora"))
	b.Set(adapterAlphaKey, gguf.Float32(l.Config.Alpha))
	for _, p := range l.params {
		data := make([]byte, 4*len(p.Data))
		if err := tensor.Quantize(tensor.F32, p.Data, data); err != nil {
			return fmt.Errorf("train: %s: %w", p.Name, err)
		}
		if err := b.AddTensor(p.Name, tensor.F32, []uint64{uint64(p.Shape[0]), uint64(p.Shape[1])}, data); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	if err := b.WriteFile(path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// ApplyAdapter merges a llama.cpp LoRA adapter file into the model's
// weights, at the adapter's own scale: alpha/r, or 1 when the file gives
// no alpha (as llama.cpp does). Nothing changes when the file is refused.
func (m *Model) ApplyAdapter(path string) error {
	f, err := gguf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := m.applyAdapter(f); err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	return nil
}

func (m *Model) applyAdapter(f *gguf.File) error {
	if m.pool == nil {
		return errClosed
	}
	for _, kv := range []struct{ key, want string }{
		{adapterTypeKey, "adapter"}, {adapterKindKey, "lora"}, {"general.architecture", "llama"},
	} {
		if v, _ := f.String(kv.key); v != kv.want {
			return fmt.Errorf("%s is %q, want %q: not a LoRA adapter of a llama model", kv.key, v, kv.want)
		}
	}
	alpha := 0.0
	if v, ok := f.Lookup(adapterAlphaKey); ok {
		a, ok := v.AsFloat()
		if !ok || math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("%s is %v, not a number", adapterAlphaKey, v)
		}
		alpha = a
	}
	byName := map[string]*Param{}
	for _, p := range m.params {
		byName[p.Name] = p
	}
	type pair struct{ a, b *gguf.TensorInfo }
	pairs := map[string]*pair{}
	var order []string
	for i := range f.Tensors {
		t := &f.Tensors[i]
		base, isA := strings.CutSuffix(t.Name, loraASuffix)
		if !isA {
			var isB bool
			if base, isB = strings.CutSuffix(t.Name, loraBSuffix); !isB {
				if strings.HasSuffix(t.Name, "_norm.weight") {
					continue // llama.cpp ignores adapted norms too
				}
				return fmt.Errorf("tensor %s is neither a lora_a nor a lora_b", t.Name)
			}
		}
		pr := pairs[base]
		if pr == nil {
			pr = &pair{}
			pairs[base] = pr
			order = append(order, base)
		}
		if isA {
			pr.a = t
		} else {
			pr.b = t
		}
	}
	if len(order) == 0 {
		return errors.New("the adapter has no tensors")
	}
	// Read and check every pair before changing any weight.
	type update struct {
		w, a, b *Param
		scale   float32
	}
	var updates []update
	for _, name := range order {
		pr := pairs[name]
		w := byName[name]
		switch {
		case pr.a == nil || pr.b == nil:
			return fmt.Errorf("%s has no lora_a or no lora_b", name)
		case w == nil || !w.Matrix() || w == m.Embed:
			return fmt.Errorf("%s is not a matrix of the model that an adapter can change", name)
		case len(pr.a.Shape) != 2 || len(pr.b.Shape) != 2:
			return fmt.Errorf("%s: lora_a and lora_b must be matrices", name)
		}
		in, out, r := uint64(w.Shape[0]), uint64(w.Shape[1]), pr.a.Shape[1]
		if pr.a.Shape[0] != in || pr.b.Shape[1] != out || pr.b.Shape[0] != r || r == 0 || r > min(in, out) {
			return fmt.Errorf("%s of shape %v: lora_a has shape %v and lora_b %v", name, w.Shape, pr.a.Shape, pr.b.Shape)
		}
		u := update{w: w, a: newParam(pr.a.Name, int(in), int(r)), b: newParam(pr.b.Name, int(r), int(out)), scale: 1}
		for _, t := range []struct {
			info *gguf.TensorInfo
			p    *Param
		}{{pr.a, u.a}, {pr.b, u.b}} {
			if err := tensor.Dequantize(t.info.Type, f.TensorData(t.info), t.p.Data); err != nil {
				return fmt.Errorf("tensor %s: %w", t.info.Name, err)
			}
		}
		if alpha != 0 {
			u.scale = float32(alpha / float64(r))
		}
		updates = append(updates, u)
	}
	for _, u := range updates {
		m.addLowRank(u.w, u.a, u.b, u.scale)
	}
	return nil
}
