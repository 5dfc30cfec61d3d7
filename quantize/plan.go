package quantize

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"zhi/gguf"
	"zhi/tensor"
)

// ErrQuantized is the error for an input that holds quantized tensors: zhi
// quantizes float weights only, as requantizing loses precision twice.
var ErrQuantized = errors.New("the input is already quantized, and requantizing is not supported")

// Model is what the choice of tensor types depends on: a few
// hyperparameters and the tensors.
type Model struct {
	Arch    string // general.architecture
	Layers  int    // {arch}.block_count
	Heads   int    // attention heads of the first layer
	KVHeads int    // key/value heads of the first layer
	Experts int    // {arch}.expert_count, 0 without experts
	Tensors []gguf.TensorInfo
}

// ModelOf reads a Model from a file's metadata and tensor list.
func ModelOf(f *gguf.File) (*Model, error) {
	arch, ok := f.String("general.architecture")
	if !ok {
		return nil, fmt.Errorf("quantize: no general.architecture in the metadata")
	}
	m := &Model{Arch: arch, Tensors: f.Tensors}
	var err error
	if m.Layers, ok, err = count(f, arch+".block_count"); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("quantize: no %s.block_count in the metadata", arch)
	}
	if m.Heads, _, err = count(f, arch+".attention.head_count"); err != nil {
		return nil, err
	}
	m.KVHeads, ok, err = count(f, arch+".attention.head_count_kv")
	if err != nil {
		return nil, err
	}
	if !ok {
		m.KVHeads = m.Heads
	}
	if m.Experts, _, err = count(f, arch+".expert_count"); err != nil {
		return nil, err
	}
	return m, nil
}

// count reads a count from the metadata: an integer, or for the per-layer
// head counts an array whose first element is the first layer's.
func count(f *gguf.File, key string) (int, bool, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return 0, false, nil
	}
	n, isUint := v.AsUint()
	if !isUint {
		if xs, isArray := v.AsInt32s(); isArray && len(xs) > 0 && xs[0] >= 0 {
			n, isUint = uint64(xs[0]), true
		}
	}
	if !isUint || n > math.MaxInt32 {
		return 0, false, fmt.Errorf("quantize: metadata %s is not a count: %v", key, v)
	}
	return int(n), true, nil
}

// Step is what happens to one tensor.
type Step struct {
	Tensor gguf.TensorInfo // as in the input
	// Type is the tensor's type in the output; the data is copied as is when
	// it equals Tensor.Type.
	Type tensor.Type
	// Wanted is the type the mix's rules chose. It differs from Type when the
	// tensor's rows do not split into Wanted's blocks and a type with smaller
	// blocks took its place.
	Wanted tensor.Type
}

// Converts reports whether the step converts the tensor's data.
func (s *Step) Converts() bool { return s.Type != s.Tensor.Type }

// Plan chooses the type of every tensor of m in mix ft, with the reference's
// rules (llama_tensor_get_type in llama.cpp's src/llama-quant.cpp, without
// an importance matrix), and returns the steps in the reference's output
// order: tensors outside the blocks first, then block by block, by name
// within each.
func Plan(m *Model, ft FileType) ([]Step, error) {
	base, err := ft.Base()
	if err != nil {
		return nil, err
	}
	tensors := slices.Clone(m.Tensors)
	slices.SortFunc(tensors, func(a, b gguf.TensorInfo) int {
		return cmp.Or(cmp.Compare(layerOf(a.Name), layerOf(b.Name)), strings.Compare(a.Name, b.Name))
	})
	p := planner{model: m, ft: ft, base: base}
	for i := range tensors {
		t := &tensors[i]
		if !t.Type.Known() {
			return nil, fmt.Errorf("quantize: tensor %s has unknown type %d", t.Name, uint32(t.Type))
		}
		if t.Type.BlockSize() > 1 {
			return nil, fmt.Errorf("quantize: tensor %s is %s: %w", t.Name, t.Type, ErrQuantized)
		}
		if len(t.Shape) == 0 {
			return nil, fmt.Errorf("quantize: tensor %s has no dimensions", t.Name)
		}
		if isAttnV(t.Name) {
			p.nAttnV++
		}
		if t.Name == outputName {
			p.hasOutput = true
		}
	}
	steps := make([]Step, len(tensors))
	for i, t := range tensors {
		s := Step{Tensor: t, Type: t.Type, Wanted: t.Type}
		if quantizable(&t) {
			s.Wanted, s.Type = base, base
			if base.BlockSize() > 1 {
				if s.Wanted, s.Type, err = p.choose(&t); err != nil {
					return nil, err
				}
			}
		}
		if s.Converts() && !isFloat(t.Type) {
			return nil, fmt.Errorf("quantize: tensor %s: cannot convert %s to %s", t.Name, t.Type, s.Type)
		}
		steps[i] = s
	}
	return steps, nil
}

const (
	outputName = "output.weight"
	embedName  = "token_embd.weight"
	superBlock = 256 // values per block of the K-quants
)

func isFloat(t tensor.Type) bool { return t == tensor.F32 || t == tensor.F16 || t == tensor.BF16 }

func isAttnV(name string) bool {
	return strings.Contains(name, "attn_v.weight") || strings.Contains(name, "attn_qkv.weight") ||
		strings.Contains(name, "attn_kv_b.weight")
}

// layerOf returns the block number of a tensor named "blk.N....", or -1. It
// reads the number as C's sscanf("blk.%d.") does, which sorts tensors in the
// reference.
func layerOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	end := 0
	if end < len(rest) && (rest[end] == '-' || rest[end] == '+') {
		end++
	}
	for end < len(rest) && '0' <= rest[end] && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(rest[:end], 10, 32)
	if err != nil {
		return -1
	}
	return int(n)
}

// keptSubstrings mark weights the reference never quantizes: norms, expert
// routers, and small tensors of architectures that need them exact.
var keptSubstrings = []string{
	"_norm.weight",
	"ffn_gate_inp.weight",
	"ssm_conv1d.weight",
	"time_mix_first.weight",
	"time_mix_w1.weight",
	"time_mix_w2.weight",
	"time_mix_decay_w1.weight",
	"time_mix_decay_w2.weight",
	"time_mix_lerp_fused.weight",
	"attn_rel_b.weight",
}

// quantizable reports whether a tensor is a weight matrix the mix applies to;
// the others (norms, biases, vectors such as rope_freqs) keep their type.
func quantizable(t *gguf.TensorInfo) bool {
	if !strings.HasSuffix(t.Name, "weight") || dims(t.Shape) < 2 {
		return false
	}
	if t.Name == "position_embd.weight" || t.Name == "token_types.weight" {
		return false
	}
	for _, s := range keptSubstrings {
		if strings.Contains(t.Name, s) {
			return false
		}
	}
	return true
}

// dims counts dimensions as ggml_n_dims does: trailing dimensions of 1 do
// not count.
func dims(shape []uint64) int {
	n := len(shape)
	for n > 1 && shape[n-1] == 1 {
		n--
	}
	return n
}

// planner holds what the rules count across tensors, as the reference's
// quantize_state_impl does: a rule may depend on how many attn_v tensors came
// before.
type planner struct {
	model     *Model
	ft        FileType
	base      tensor.Type
	hasOutput bool
	nAttnV    int
	iAttnV    int
	iFFNDown  int
}

// useMoreBits picks the layers that get a larger type in the _M mixes: the
// first and last eighth, and every third one between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

func (p *planner) gqa() int {
	if p.model.KVHeads == 0 {
		return 0
	}
	return p.model.Heads / p.model.KVHeads
}

// is70B reports whether the reference classifies the model as 70B, for
// which attn_v gets more bits.
func (p *planner) is70B() bool {
	m := p.model
	switch m.Arch {
	case "llama":
		return m.Layers == 80 && m.Heads != m.KVHeads
	case "qwen2", "deci":
		return m.Layers == 80
	}
	return false
}

// choose returns the type the mix's rules want for a quantizable tensor and
// the type it gets once its row length is accounted for.
func (p *planner) choose(t *gguf.TensorInfo) (wanted, typ tensor.Type, err error) {
	wanted, err = p.rule(t)
	if err != nil {
		return 0, 0, err
	}
	typ, err = fallback(t, wanted)
	return wanted, typ, err
}

func (p *planner) rule(t *gguf.TensorInfo) (tensor.Type, error) {
	name, ft, typ := t.Name, p.ft, p.base
	falcon := p.model.Arch == "falcon"
	eightExperts := p.model.Experts == 8
	switch {
	case name == outputName || (!p.hasOutput && name == embedName):
		// The output matrix, or the token embeddings that stand in for it.
		if falcon || t.Shape[0]%superBlock != 0 {
			typ = tensor.Q8_0
		} else if typ != tensor.Q8_0 {
			typ = tensor.Q6_K
		}
	case strings.Contains(name, "attn_v.weight"):
		switch {
		case ft == Q2_K:
			typ = tensor.Q3_K
			if p.gqa() >= 4 {
				typ = tensor.Q4_K
			}
		case ft == Q3_K_M:
			typ = tensor.Q4_K
			if p.iAttnV < 2 {
				typ = tensor.Q5_K
			}
		case ft == Q3_K_L:
			typ = tensor.Q5_K
		case (ft == IQ4_NL || ft == IQ4_XS) && p.gqa() >= 4:
			typ = tensor.Q5_K
		case (ft == Q4_K_M || ft == Q5_K_M) && useMoreBits(p.iAttnV, p.nAttnV):
			typ = tensor.Q6_K
		case ft == Q4_K_S && p.iAttnV < 4:
			typ = tensor.Q5_K
		}
		if p.is70B() && (typ == tensor.Q3_K || typ == tensor.Q4_K) {
			// 70B models share attn_v between 8 heads, which makes it
			// small enough to afford more bits.
			typ = tensor.Q5_K
		}
		if eightExperts {
			typ = tensor.Q8_0
		}
		p.iAttnV++
	case strings.Contains(name, "attn_k.weight"):
		if eightExperts {
			typ = tensor.Q8_0
		}
	case strings.Contains(name, "ffn_down"):
		i, n, err := p.layer(name)
		if err != nil {
			return 0, err
		}
		switch {
		case ft == Q2_K:
			typ = tensor.Q3_K
		case ft == Q3_K_M:
			switch {
			case i < n/16:
				typ = tensor.Q5_K
			case !falcon || useMoreBits(i, n):
				typ = tensor.Q4_K
			}
		case ft == Q3_K_L:
			typ = tensor.Q5_K
			if falcon {
				typ = tensor.Q4_K
			}
		case ft == Q4_K_M:
			switch {
			case falcon && i < n/16:
				typ = tensor.Q6_K
			case falcon && useMoreBits(i, n):
				typ = tensor.Q5_K
			case !falcon && useMoreBits(i, n):
				typ = tensor.Q6_K
			}
		case i < n/8 && (ft == IQ4_NL || ft == IQ4_XS):
			typ = tensor.Q5_K
		case ft == Q5_K_M && useMoreBits(i, n):
			typ = tensor.Q6_K
		case ft == Q4_K_S && !falcon && i < n/8:
			typ = tensor.Q5_K
		}
		p.iFFNDown++
	case strings.Contains(name, "attn_output.weight"):
		switch {
		case falcon:
			if ft == Q3_K_L {
				typ = tensor.Q4_K
			}
		case eightExperts:
			switch ft {
			case Q2_K, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ4_XS:
				typ = tensor.Q5_K
			}
		case ft == Q2_K:
			typ = tensor.Q3_K
		case ft == Q3_K_M:
			typ = tensor.Q4_K
		case ft == Q3_K_L:
			typ = tensor.Q5_K
		}
	case strings.Contains(name, "attn_qkv.weight"):
		switch ft {
		case Q3_K_M, Q3_K_L:
			typ = tensor.Q4_K
		case Q4_K_M:
			typ = tensor.Q5_K
		case Q5_K_M:
			typ = tensor.Q6_K
		}
	}
	return typ, nil
}

// layer returns the block of an ffn_down tensor and the number of blocks.
// Without experts it counts ffn_down tensors, as the reference does; with
// them, whose tensors need not come in block order, it reads the name.
func (p *planner) layer(name string) (i, n int, err error) {
	n = p.model.Layers
	if p.model.Experts <= 1 {
		return p.iFFNDown, n, nil
	}
	i = layerOf(name)
	if i < 0 || i >= n {
		return 0, 0, fmt.Errorf("quantize: tensor %s: no block number in [0, %d) in its name", name, n)
	}
	return i, n, nil
}

// fallbacks are the types the reference uses instead of a K-quant (or
// IQ4_XS) when a tensor's rows are not a whole number of 256-value blocks.
var fallbacks = map[tensor.Type]tensor.Type{
	tensor.Q2_K:   tensor.IQ4_NL,
	tensor.Q3_K:   tensor.IQ4_NL,
	tensor.IQ4_XS: tensor.IQ4_NL,
	tensor.Q4_K:   tensor.Q5_0,
	tensor.Q5_K:   tensor.Q5_1,
	tensor.Q6_K:   tensor.Q8_0,
}

// fallback returns typ, or the type to use instead when t's rows do not
// split into typ's blocks: the fallback type, or F16 if its 32-value blocks
// do not fit either.
func fallback(t *gguf.TensorInfo, typ tensor.Type) (tensor.Type, error) {
	row := t.Shape[0]
	if row%uint64(typ.BlockSize()) == 0 {
		return typ, nil
	}
	alt, ok := fallbacks[typ]
	if !ok {
		return 0, fmt.Errorf("quantize: tensor %s: rows of %d values do not split into %s blocks of %d", t.Name, row, typ, typ.BlockSize())
	}
	if row%uint64(alt.BlockSize()) != 0 {
		return tensor.F16, nil
	}
	return alt, nil
}
