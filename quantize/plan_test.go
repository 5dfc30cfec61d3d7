package quantize

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/tensor"
)

// llamaModel describes a Llama-style model of n blocks with F16 weights, in
// the order the reference's converter writes tensors (not the quantizer's).
func llamaModel(n, embd, ff, vocab int, tied bool) *Model {
	m := &Model{Arch: "llama", Layers: n, Heads: 32, KVHeads: 8}
	add := func(name string, typ tensor.Type, shape ...uint64) {
		m.Tensors = append(m.Tensors, gguf.TensorInfo{Name: name, Type: typ, Shape: shape})
	}
	e, f, kv := uint64(embd), uint64(ff), uint64(embd/4)
	add("token_embd.weight", tensor.F16, e, uint64(vocab))
	add("rope_freqs.weight", tensor.F32, 64)
	for i := range n {
		b := fmt.Sprintf("blk.%d.", i)
		add(b+"attn_norm.weight", tensor.F32, e)
		add(b+"attn_q.weight", tensor.F16, e, e)
		add(b+"attn_k.weight", tensor.F16, e, kv)
		add(b+"attn_v.weight", tensor.F16, e, kv)
		add(b+"attn_output.weight", tensor.F16, e, e)
		add(b+"ffn_norm.weight", tensor.F32, e)
		add(b+"ffn_gate.weight", tensor.F16, e, f)
		add(b+"ffn_up.weight", tensor.F16, e, f)
		add(b+"ffn_down.weight", tensor.F16, f, e)
	}
	add("output_norm.weight", tensor.F32, e)
	if !tied {
		add("output.weight", tensor.F16, e, uint64(vocab))
	}
	return m
}

// planTypes returns each tensor's planned type by name.
func planTypes(t *testing.T, m *Model, ft FileType) map[string]tensor.Type {
	t.Helper()
	steps, err := Plan(m, ft)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]tensor.Type{}
	for _, s := range steps {
		types[s.Tensor.Name] = s.Type
	}
	return types
}

// layers lists block numbers: ranges as pairs [lo, hi] and single ones.
func layers(spans ...[2]int) []int {
	var out []int
	for _, s := range spans {
		for i := s[0]; i <= s[1]; i++ {
			out = append(out, i)
		}
	}
	return out
}

// The layers of a 32-block model where the _M mixes use more bits: the first
// and last four, and every third block between them starting at 6.
var moreBits32 = layers([2]int{0, 3}, [2]int{6, 6}, [2]int{9, 9}, [2]int{12, 12}, [2]int{15, 15},
	[2]int{18, 18}, [2]int{21, 21}, [2]int{24, 24}, [2]int{27, 31})

func TestPlan32Blocks(t *testing.T) {
	m := llamaModel(32, 4096, 14336, 128256, false)
	type want struct {
		base, embd, output tensor.Type
		attnV              map[int]tensor.Type // by layer, else base
		ffnDown            map[int]tensor.Type
		attnOutput         tensor.Type
	}
	in := func(ls []int, typ tensor.Type) map[int]tensor.Type {
		out := map[int]tensor.Type{}
		for _, l := range ls {
			out[l] = typ
		}
		return out
	}
	first := func(n int) []int { return layers([2]int{0, n - 1}) }
	all := first(32)
	cases := map[FileType]want{
		Q4_K_M: {tensor.Q4_K, tensor.Q4_K, tensor.Q6_K, in(moreBits32, tensor.Q6_K), in(moreBits32, tensor.Q6_K), tensor.Q4_K},
		Q5_K_M: {tensor.Q5_K, tensor.Q5_K, tensor.Q6_K, in(moreBits32, tensor.Q6_K), in(moreBits32, tensor.Q6_K), tensor.Q5_K},
		Q4_K_S: {tensor.Q4_K, tensor.Q4_K, tensor.Q6_K, in(first(4), tensor.Q5_K), in(first(4), tensor.Q5_K), tensor.Q4_K},
		Q5_K_S: {tensor.Q5_K, tensor.Q5_K, tensor.Q6_K, nil, nil, tensor.Q5_K},
		Q3_K_S: {tensor.Q3_K, tensor.Q3_K, tensor.Q6_K, nil, nil, tensor.Q3_K},
		Q3_K_M: {tensor.Q3_K, tensor.Q3_K, tensor.Q6_K, merge(in(all, tensor.Q4_K), in(first(2), tensor.Q5_K)),
			merge(in(all, tensor.Q4_K), in(first(2), tensor.Q5_K)), tensor.Q4_K},
		Q3_K_L: {tensor.Q3_K, tensor.Q3_K, tensor.Q6_K, in(all, tensor.Q5_K), in(all, tensor.Q5_K), tensor.Q5_K},
		Q2_K:   {tensor.Q2_K, tensor.Q2_K, tensor.Q6_K, in(all, tensor.Q4_K), in(all, tensor.Q3_K), tensor.Q3_K},
		IQ4_XS: {tensor.IQ4_XS, tensor.IQ4_XS, tensor.Q6_K, in(all, tensor.Q5_K), in(first(4), tensor.Q5_K), tensor.IQ4_XS},
		IQ4_NL: {tensor.IQ4_NL, tensor.IQ4_NL, tensor.Q6_K, in(all, tensor.Q5_K), in(first(4), tensor.Q5_K), tensor.IQ4_NL},
		Q6_K:   {tensor.Q6_K, tensor.Q6_K, tensor.Q6_K, nil, nil, tensor.Q6_K},
		Q4_0:   {tensor.Q4_0, tensor.Q4_0, tensor.Q6_K, nil, nil, tensor.Q4_0},
		Q5_1:   {tensor.Q5_1, tensor.Q5_1, tensor.Q6_K, nil, nil, tensor.Q5_1},
		Q8_0:   {tensor.Q8_0, tensor.Q8_0, tensor.Q8_0, nil, nil, tensor.Q8_0},
		F16:    {tensor.F16, tensor.F16, tensor.F16, nil, nil, tensor.F16},
		BF16:   {tensor.BF16, tensor.BF16, tensor.BF16, nil, nil, tensor.BF16},
		F32:    {tensor.F32, tensor.F32, tensor.F32, nil, nil, tensor.F32},
	}
	for ft, w := range cases {
		t.Run(ft.String(), func(t *testing.T) {
			got := planTypes(t, m, ft)
			check := func(name string, want tensor.Type) {
				t.Helper()
				if got[name] != want {
					t.Errorf("%s: %s, want %s", name, got[name], want)
				}
			}
			check("token_embd.weight", w.embd)
			check("output.weight", w.output)
			check("output_norm.weight", tensor.F32)
			check("rope_freqs.weight", tensor.F32)
			for i := range 32 {
				b := fmt.Sprintf("blk.%d.", i)
				check(b+"attn_norm.weight", tensor.F32)
				check(b+"ffn_norm.weight", tensor.F32)
				for _, name := range []string{"attn_q", "attn_k", "ffn_gate", "ffn_up"} {
					check(b+name+".weight", w.base)
				}
				check(b+"attn_output.weight", w.attnOutput)
				check(b+"attn_v.weight", cmpOr(w.attnV[i], w.base))
				check(b+"ffn_down.weight", cmpOr(w.ffnDown[i], w.base))
			}
		})
	}
}

func merge(a, b map[int]tensor.Type) map[int]tensor.Type {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func cmpOr(t, def tensor.Type) tensor.Type {
	if t == 0 {
		return def
	}
	return t
}

func TestPlanOrder(t *testing.T) {
	m := llamaModel(12, 256, 512, 1000, false)
	steps, err := Plan(m, Q4_K_M)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Tensor.Name)
	}
	want := []string{"output.weight", "output_norm.weight", "rope_freqs.weight", "token_embd.weight",
		"blk.0.attn_k.weight", "blk.0.attn_norm.weight", "blk.0.attn_output.weight", "blk.0.attn_q.weight",
		"blk.0.attn_v.weight", "blk.0.ffn_down.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_norm.weight",
		"blk.0.ffn_up.weight", "blk.1.attn_k.weight"}
	if !slices.Equal(names[:len(want)], want) {
		t.Errorf("order starts %q,\nwant %q", names[:len(want)], want)
	}
	// Blocks sort by number, so 2 comes before 10.
	if i2, i10 := slices.Index(names, "blk.2.attn_k.weight"), slices.Index(names, "blk.10.attn_k.weight"); i2 > i10 {
		t.Errorf("blk.2 at %d after blk.10 at %d", i2, i10)
	}
}

func TestPlanTiedEmbeddings(t *testing.T) {
	for _, c := range []struct {
		ft   FileType
		want tensor.Type
	}{{Q4_K_M, tensor.Q6_K}, {Q4_0, tensor.Q6_K}, {Q8_0, tensor.Q8_0}, {F16, tensor.F16}} {
		got := planTypes(t, llamaModel(2, 256, 512, 1000, true), c.ft)["token_embd.weight"]
		if got != c.want {
			t.Errorf("%s: tied token_embd.weight is %s, want %s", c.ft, got, c.want)
		}
	}
	// A row length that is not a multiple of 256 gets Q8_0 for the output.
	got := planTypes(t, llamaModel(2, 288, 512, 1000, false), Q4_K_M)["output.weight"]
	if got != tensor.Q8_0 {
		t.Errorf("output.weight with rows of 288: %s, want Q8_0", got)
	}
}

func TestPlanFallbacks(t *testing.T) {
	for _, c := range []struct {
		ft      FileType
		layer   int
		row     uint64
		wanted  tensor.Type
		fellTo  tensor.Type
		wantErr string
	}{
		{Q4_K_M, 0, 704, tensor.Q4_K, tensor.Q5_0, ""},
		{Q4_K_M, 1, 704, tensor.Q6_K, tensor.Q8_0, ""}, // the last block uses more bits
		{Q5_K_S, 0, 704, tensor.Q5_K, tensor.Q5_1, ""},
		{Q3_K_S, 0, 704, tensor.Q3_K, tensor.IQ4_NL, ""},
		{Q2_K, 0, 704, tensor.Q3_K, tensor.IQ4_NL, ""},
		{IQ4_XS, 1, 704, tensor.IQ4_XS, tensor.IQ4_NL, ""},
		{Q4_K_M, 0, 720, tensor.Q4_K, tensor.F16, ""}, // 720 is not a multiple of 32 either
		{Q8_0, 0, 720, 0, 0, "do not split into Q8_0 blocks"},
		{Q4_0, 0, 720, 0, 0, "do not split into Q4_0 blocks"},
		{F16, 0, 720, tensor.F16, tensor.F16, ""},
	} {
		m := llamaModel(2, 256, int(c.row), 1000, true)
		steps, err := Plan(m, c.ft)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s, rows of %d: error %v, want one mentioning %q", c.ft, c.row, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.ft, err)
		}
		name := fmt.Sprintf("blk.%d.ffn_down.weight", c.layer)
		i := slices.IndexFunc(steps, func(s Step) bool { return s.Tensor.Name == name })
		if s := steps[i]; s.Wanted != c.wanted || s.Type != c.fellTo {
			t.Errorf("%s, rows of %d: %s wanted %s, got %s; want %s then %s", c.ft, c.row, name, s.Wanted, s.Type, c.wanted, c.fellTo)
		}
	}
}

func TestPlanKeepsNonWeights(t *testing.T) {
	m := &Model{Arch: "llama", Layers: 1, Heads: 1, KVHeads: 1, Tensors: []gguf.TensorInfo{
		{Name: "blk.0.attn_q.weight", Type: tensor.F16, Shape: []uint64{256, 256}},
		{Name: "blk.0.attn_q.bias", Type: tensor.F32, Shape: []uint64{256}},
		{Name: "blk.0.attn_norm.weight", Type: tensor.F32, Shape: []uint64{256}},
		{Name: "blk.0.post_attention_norm.weight", Type: tensor.F16, Shape: []uint64{256, 2}},
		{Name: "blk.0.ffn_gate_inp.weight", Type: tensor.F16, Shape: []uint64{256, 8}},
		{Name: "blk.0.column.weight", Type: tensor.F16, Shape: []uint64{256, 1, 1}}, // one dimension for ggml
		{Name: "position_embd.weight", Type: tensor.F16, Shape: []uint64{256, 256}},
		{Name: "rope_freqs.weight", Type: tensor.F32, Shape: []uint64{64}},
		{Name: "blk.0.ids", Type: tensor.I32, Shape: []uint64{256, 256}},
	}}
	steps, err := Plan(m, Q4_K_M)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		converts := s.Tensor.Name == "blk.0.attn_q.weight"
		if s.Converts() != converts {
			t.Errorf("%s %v: type %s, converted %v, want %v", s.Tensor.Name, s.Tensor.Shape, s.Type, s.Converts(), converts)
		}
	}
}

func TestPlanExperts(t *testing.T) {
	m := llamaModel(8, 256, 512, 1000, false)
	m.Experts = 8
	// Expert tensors replace the dense FFN; with a shared expert there are
	// two ffn_down tensors per block, so only the name tells the block.
	m.Tensors = slices.DeleteFunc(m.Tensors, func(t gguf.TensorInfo) bool { return strings.Contains(t.Name, "ffn_down") })
	for i := range 8 {
		m.Tensors = append(m.Tensors,
			gguf.TensorInfo{Name: fmt.Sprintf("blk.%d.ffn_down_exps.weight", i), Type: tensor.F16, Shape: []uint64{512, 256, 8}},
			gguf.TensorInfo{Name: fmt.Sprintf("blk.%d.ffn_down_shexp.weight", i), Type: tensor.F16, Shape: []uint64{512, 256}})
	}
	got := planTypes(t, m, Q4_K_M)
	for i := range 8 {
		b := fmt.Sprintf("blk.%d.", i)
		down := tensor.Q4_K
		if i == 0 || i == 3 || i == 6 || i == 7 { // useMoreBits(i, 8)
			down = tensor.Q6_K
		}
		for name, want := range map[string]tensor.Type{
			"attn_v.weight": tensor.Q8_0, "attn_k.weight": tensor.Q8_0, "attn_output.weight": tensor.Q5_K,
			"attn_q.weight": tensor.Q4_K, "ffn_down_exps.weight": down, "ffn_down_shexp.weight": down,
		} {
			if got[b+name] != want {
				t.Errorf("%s: %s, want %s", b+name, got[b+name], want)
			}
		}
	}
	m.Tensors = append(m.Tensors, gguf.TensorInfo{Name: "blk.9.ffn_down_exps.weight", Type: tensor.F16, Shape: []uint64{512, 256, 8}})
	if _, err := Plan(m, Q4_K_M); err == nil {
		t.Error("an expert tensor of block 9 in an 8-block model was accepted")
	}
}

func TestPlan70B(t *testing.T) {
	m := llamaModel(80, 256, 512, 1000, false)
	got := planTypes(t, m, Q4_K_M)
	// 80/8 = 10: blocks 0-9 and 70-79 use more bits, and every third from 12.
	for layer, want := range map[int]tensor.Type{0: tensor.Q6_K, 10: tensor.Q5_K, 11: tensor.Q5_K, 12: tensor.Q6_K, 68: tensor.Q5_K, 69: tensor.Q6_K, 70: tensor.Q6_K} {
		name := fmt.Sprintf("blk.%d.attn_v.weight", layer)
		if got[name] != want {
			t.Errorf("%s: %s, want %s", name, got[name], want)
		}
	}
	if got := planTypes(t, m, Q4_K_M)["blk.11.ffn_down.weight"]; got != tensor.Q4_K {
		t.Errorf("blk.11.ffn_down.weight: %s, want Q4_K (only attn_v grows in 70B models)", got)
	}
	m.KVHeads = m.Heads // without grouped-query attention the reference calls it 65B
	if got := planTypes(t, m, Q4_K_M)["blk.11.attn_v.weight"]; got != tensor.Q4_K {
		t.Errorf("65B blk.11.attn_v.weight: %s, want Q4_K", got)
	}
}

func TestPlanRefusesQuantized(t *testing.T) {
	m := llamaModel(2, 256, 512, 1000, false)
	m.Tensors[3].Type = tensor.Q8_0
	_, err := Plan(m, Q4_K_M)
	if !errors.Is(err, ErrQuantized) || !strings.Contains(err.Error(), m.Tensors[3].Name) {
		t.Errorf("error %v, want ErrQuantized naming %s", err, m.Tensors[3].Name)
	}
}

// TestPlanQwen2Reference checks the Q5_K_M rules against the types the
// reference chose for its qwen2 model (whose F16 original is not shared).
func TestPlanQwen2Reference(t *testing.T) {
	f, err := gguf.Open(shared.Path(t, "reference", "tiny-qwen2-gpt2-q5_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ModelOf(f)
	if err != nil {
		t.Fatal(err)
	}
	m.Tensors = slices.Clone(m.Tensors)
	for i := range m.Tensors {
		if m.Tensors[i].Type != tensor.F32 {
			m.Tensors[i].Type = tensor.F16
		}
	}
	steps, err := Plan(m, Q5_K_M)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		want := f.Tensors[i]
		if s.Tensor.Name != want.Name || s.Type != want.Type {
			t.Errorf("tensor %d: %s as %s, the reference has %s as %s", i, s.Tensor.Name, s.Type, want.Name, want.Type)
		}
	}
}

func TestParseFileType(t *testing.T) {
	for name, want := range map[string]FileType{"q4_k_m": Q4_K_M, "Q8_0": Q8_0, "q4_k": Q4_K_M, "bf16": BF16, "IQ4_xs": IQ4_XS} {
		if got, err := ParseFileType(name); err != nil || got != want {
			t.Errorf("ParseFileType(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, ft := range FileTypes() {
		if got, err := ParseFileType(ft.String()); err != nil || got != ft {
			t.Errorf("ParseFileType(%q) = %v, %v", ft.String(), got, err)
		}
	}
	_, err := ParseFileType("Q4_K_X")
	if err == nil || !strings.Contains(err.Error(), "Q4_K_M") || !strings.Contains(err.Error(), "Q8_0") {
		t.Errorf("unknown type: error %v, want one listing the valid types", err)
	}
	if FileType(99).Valid() || FileType(99).String() != "FileType(99)" {
		t.Errorf("FileType(99) reads as valid or as %s", FileType(99))
	}
}

func FuzzParseFileType(f *testing.F) {
	for _, s := range []string{"Q4_K_M", "q5_k", "", "Q4_K_\x00", "iq4_nl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := ParseFileType(s)
		if err != nil {
			return
		}
		if !ft.Valid() || !strings.EqualFold(ft.String(), s) && aliases[strings.ToUpper(s)] != ft {
			t.Fatalf("ParseFileType(%q) = %v", s, ft)
		}
	})
}
