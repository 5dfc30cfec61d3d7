package train

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/tensor"
)

// loraModel returns a tiny model with weights large enough for finite
// differences, and a copy of its parameters.
func loraModel(t *testing.T, seed uint64) (*Model, [][]float32) {
	t.Helper()
	m, err := New(tinyConfig(false), seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	rng := rand.New(rand.NewPCG(seed, 99))
	var saved [][]float32
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] += float32(rng.NormFloat64() * 0.4)
		}
		saved = append(saved, slices.Clone(p.Data))
	}
	return m, saved
}

// randomizeB gives B random values, so that A's gradient is not zero.
func randomizeB(l *LoRA, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, ad := range l.adapted {
		for i := range ad.b.Data {
			ad.b.Data[i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	l.sync()
}

var allTargets = []string{"q", "k", "v", "o", "gate", "up", "down"}

// TestLoRAGrad checks the gradients of A and B, obtained from those of the
// adapted matrices by the chain rule, against finite differences of the
// loss.
func TestLoRAGrad(t *testing.T) {
	m, _ := loraModel(t, 21)
	l, err := NewLoRA(m, LoRAConfig{Rank: 2, Alpha: 3, Targets: allTargets}, 5)
	if err != nil {
		t.Fatal(err)
	}
	randomizeB(l, 1)
	b := Batch{
		Inputs:  [][]int32{{1, 4, 2, 9, 4, 7}, {3, 3, 10, 0, 5, 6}},
		Targets: [][]int32{{4, 2, 9, 4, 7, 1}, {3, 10, 0, 5, 6, 2}},
		Mask:    [][]float32{{0, 0, 1, 1, 1, 1}, {0, 1, 1, 1, 0, 0}},
	}
	m.ZeroGrad()
	if _, err := m.Loss(b); err != nil {
		t.Fatal(err)
	}
	l.backward()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range l.Params() {
		idx := rng.Perm(len(p.Data))[:min(5, len(p.Data))]
		x, g := make([]float32, len(idx)), make([]float32, len(idx))
		for i, j := range idx {
			x[i], g[i] = p.Data[j], p.Grad[j]
		}
		checkGrad(t, p.Name, x, g, func() float64 {
			for i, j := range idx {
				p.Data[j] = x[i]
			}
			l.sync()
			loss, err := m.EvalLoss(b)
			if err != nil {
				t.Fatal(err)
			}
			return float64(loss)
		})
		for i, j := range idx {
			p.Data[j] = x[i]
		}
		l.sync()
	}
}

// TestLoRAMerge checks that an attached LoRA makes each target W + s·B·A
// (computed here in float64) and leaves the other parameters alone, and
// that Detach restores the model exactly.
func TestLoRAMerge(t *testing.T) {
	m, saved := loraModel(t, 22)
	l, err := NewLoRA(m, LoRAConfig{Rank: 3, Alpha: 6, Targets: []string{"v", "q", "down"}}, 6)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Params()); got != 2*3*m.Config.Layers {
		t.Fatalf("%d adapter tensors", got)
	}
	if l.Params()[0].Name != "blk.0.attn_q.weight.lora_a" || l.Params()[3].Name != "blk.0.attn_v.weight.lora_b" {
		t.Errorf("adapter tensors %s, %s, ... are not in the model's order", l.Params()[0].Name, l.Params()[3].Name)
	}
	randomizeB(l, 2)
	adaptedNames := map[string]*adapted{}
	for i := range l.adapted {
		adaptedNames[l.adapted[i].w.Name] = &l.adapted[i]
	}
	for i, p := range m.Params() {
		ad := adaptedNames[p.Name]
		if ad == nil {
			if !slices.Equal(p.Data, saved[i]) {
				t.Errorf("%s changed but is not adapted", p.Name)
			}
			continue
		}
		in, out, r := p.Shape[0], p.Shape[1], 3
		for o := range out {
			for j := range in {
				var ba float64
				for k := range r {
					ba += float64(ad.b.Data[o*r+k]) * float64(ad.a.Data[k*in+j])
				}
				want := float64(saved[i][o*in+j]) + 2*ba
				if got := p.Data[o*in+j]; math.Abs(float64(got)-want) > 1e-5 {
					t.Fatalf("%s[%d][%d] = %g, want W + s·B·A = %g", p.Name, o, j, got, want)
				}
			}
		}
	}
	l.Detach()
	for i, p := range m.Params() {
		if !slices.Equal(p.Data, saved[i]) {
			t.Errorf("%s differs from the base after Detach", p.Name)
		}
	}
}

// sftExamples are short token sequences whose answers a tiny model can
// learn: the answer is the prompt reversed.
func sftExamples(n int, seed uint64) []SFTExample {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []SFTExample
	for range n {
		prompt := []int32{1, int32(3 + rng.IntN(8)), int32(3 + rng.IntN(8))}
		e := SFTExample{Tokens: slices.Clone(prompt), Answer: make([]bool, len(prompt))}
		e.add([]int32{prompt[2], prompt[1], 2}, true)
		out = append(out, e)
	}
	return out
}

// TestLoRAFineTune checks that LoRA training lowers the answer loss while
// only the adapter trains: the model's own weights come back unchanged.
func TestLoRAFineTune(t *testing.T) {
	m, saved := loraModel(t, 23)
	l, err := NewLoRA(m, LoRAConfig{Rank: 4, Alpha: 8, Targets: allTargets}, 7)
	if err != nil {
		t.Fatal(err)
	}
	examples := sftExamples(16, 3)
	before, err := m.AnswerLoss(examples, 4)
	if err != nil {
		t.Fatal(err)
	}
	c := SFTConfig{Epochs: 15, Batch: 4, Accum: 2, LR: 1e-2, MinLR: 1e-3, Warmup: 3, ClipNorm: 1, Seed: 1, LoRA: l, Val: examples[:4]}
	var steps, vals int
	c.Progress = func(p SFTProgress) {
		steps++
		if p.HasVal {
			vals++
		}
		if p.Step != steps || p.Steps != SFTSteps(16, c) || p.Tokens <= 0 || math.IsNaN(float64(p.Loss)) {
			t.Errorf("progress %+v", p)
		}
	}
	if err := FineTune(context.Background(), m, examples, c); err != nil {
		t.Fatal(err)
	}
	after, err := m.AnswerLoss(examples, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("answer loss %.3f before, %.3f after %d LoRA steps", before, after, steps)
	if steps != 30 || vals != 15 {
		t.Errorf("%d steps, %d validations; want 30 and 15", steps, vals)
	}
	if after > 0.7*before {
		t.Errorf("answer loss %g before, %g after LoRA training", before, after)
	}
	l.Detach()
	for i, p := range m.Params() {
		if !slices.Equal(p.Data, saved[i]) {
			t.Errorf("LoRA training changed %s", p.Name)
		}
	}
}

// TestAdapterFile saves an adapter, applies it to the base model and
// compares with the merged model; it also checks the file's layout, which
// is llama.cpp's.
func TestAdapterFile(t *testing.T) {
	merged, _ := loraModel(t, 24)
	base, _ := loraModel(t, 24)
	l, err := NewLoRA(merged, LoRAConfig{Rank: 2, Alpha: 5, Targets: []string{"q", "o", "up"}}, 8)
	if err != nil {
		t.Fatal(err)
	}
	randomizeB(l, 3)
	path := filepath.Join(t.TempDir(), "adapter.gguf")
	if err := l.SaveAdapter(path, "test-lora"); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for key, want := range map[string]string{"general.type": "adapter", "adapter.type": "lora", "general.architecture": "llama", "general.name": "test-lora"} {
		if got, _ := f.String(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if alpha, _ := f.Float("adapter.lora.alpha"); alpha != 5 {
		t.Errorf("adapter.lora.alpha = %g", alpha)
	}
	a, okA := f.Tensor("blk.1.attn_output.weight.lora_a")
	b, okB := f.Tensor("blk.1.attn_output.weight.lora_b")
	if !okA || !okB || !slices.Equal(a.Shape, []uint64{8, 2}) || !slices.Equal(b.Shape, []uint64{2, 8}) || a.Type != tensor.F32 {
		t.Fatalf("lora tensors of attn_output: %+v %+v", a, b)
	}
	if a, _ := f.Tensor("blk.0.ffn_up.weight.lora_a"); a == nil || !slices.Equal(a.Shape, []uint64{8, 2}) {
		t.Errorf("ffn_up lora_a: %+v, want shape {in 8, r 2}", a)
	}
	if b, _ := f.Tensor("blk.0.ffn_up.weight.lora_b"); b == nil || !slices.Equal(b.Shape, []uint64{2, 12}) {
		t.Errorf("ffn_up lora_b: %+v, want shape {r 2, out 12}", b)
	}
	if len(f.Tensors) != 2*3*2 {
		t.Errorf("%d tensors", len(f.Tensors))
	}

	if err := base.ApplyAdapter(path); err != nil {
		t.Fatal(err)
	}
	for i, p := range base.Params() {
		if q := merged.Params()[i]; !slices.Equal(p.Data, q.Data) {
			t.Errorf("%s: base with the adapter applied differs from the merged model", p.Name)
		}
	}
}

// adapterBytes is a valid adapter file for a tinyConfig model.
func adapterBytes(t testing.TB, edit func(b *gguf.Builder)) []byte {
	t.Helper()
	m, err := New(tinyConfig(false), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, err := NewLoRA(m, LoRAConfig{Rank: 1, Alpha: 1, Targets: []string{"k"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.gguf")
	if err := l.SaveAdapter(path, ""); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := gguf.FromFile(f)
	if edit != nil {
		edit(b)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestApplyAdapterErrors checks that bad adapters are refused and leave
// the model as it was.
func TestApplyAdapterErrors(t *testing.T) {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	for _, c := range []struct {
		name string
		edit func(b *gguf.Builder)
		want string
	}{
		{"not an adapter", func(b *gguf.Builder) { b.Set("general.type", gguf.String("model")) }, "not a LoRA adapter"},
		{"other architecture", func(b *gguf.Builder) { b.Set("general.architecture", gguf.String("qwen2")) }, "not a LoRA adapter"},
		{"bad alpha", func(b *gguf.Builder) { b.Set("adapter.lora.alpha", gguf.String("x")) }, "not a number"},
		{"lone lora_a", func(b *gguf.Builder) {
			b.AddTensor("blk.0.attn_q.weight.lora_a", tensor.F32, []uint64{8, 1}, f32(8))
		}, "blk.0.attn_q.weight has no lora_a or no lora_b"},
		{"unknown matrix", func(b *gguf.Builder) {
			b.AddTensor("blk.9.attn_q.weight.lora_a", tensor.F32, []uint64{8, 1}, f32(8))
			b.AddTensor("blk.9.attn_q.weight.lora_b", tensor.F32, []uint64{1, 8}, f32(8))
		}, "not a matrix of the model"},
		{"embedding", func(b *gguf.Builder) {
			b.AddTensor("token_embd.weight.lora_a", tensor.F32, []uint64{8, 1}, f32(8))
			b.AddTensor("token_embd.weight.lora_b", tensor.F32, []uint64{1, 11}, f32(11))
		}, "not a matrix of the model"},
		{"shape", func(b *gguf.Builder) {
			b.AddTensor("blk.0.attn_q.weight.lora_a", tensor.F32, []uint64{8, 2}, f32(16))
			b.AddTensor("blk.0.attn_q.weight.lora_b", tensor.F32, []uint64{1, 8}, f32(8))
		}, "lora_a has shape [8 2] and lora_b [1 8]"},
		{"other tensor", func(b *gguf.Builder) {
			b.AddTensor("blk.0.attn_q.weight", tensor.F32, []uint64{8, 8}, f32(64))
		}, "neither a lora_a nor a lora_b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, saved := loraModel(t, 25)
			path := filepath.Join(t.TempDir(), "bad.gguf")
			if err := os.WriteFile(path, adapterBytes(t, c.edit), 0o644); err != nil {
				t.Fatal(err)
			}
			err := m.ApplyAdapter(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			for i, p := range m.Params() {
				if !slices.Equal(p.Data, saved[i]) {
					t.Fatalf("a refused adapter changed %s", p.Name)
				}
			}
		})
	}
}

func TestLoRAConfigErrors(t *testing.T) {
	m, _ := loraModel(t, 26)
	for _, c := range []struct {
		cfg  LoRAConfig
		want string
	}{
		{LoRAConfig{Rank: 2, Alpha: 2, Targets: []string{"q", "x"}}, `unknown lora target "x"`},
		{LoRAConfig{Rank: 2, Alpha: 2, Targets: []string{"q", "q"}}, `"q" given twice`},
		{LoRAConfig{Rank: 2, Alpha: 2}, "no target"},
		{LoRAConfig{Rank: 9, Alpha: 2, Targets: []string{"q"}}, "rank 9 is not between 1 and 8"},
		{LoRAConfig{Rank: 0, Alpha: 2, Targets: []string{"q"}}, "rank 0"},
		{LoRAConfig{Rank: 2, Alpha: 0, Targets: []string{"q"}}, "alpha 0 must be positive"},
	} {
		if _, err := NewLoRA(m, c.cfg, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

// FuzzApplyAdapter checks that any file is applied or refused without a
// panic.
func FuzzApplyAdapter(f *testing.F) {
	f.Add(adapterBytes(f, nil))
	f.Add(adapterBytes(f, func(b *gguf.Builder) { b.Set("adapter.lora.alpha", gguf.Float64(math.Inf(1))) }))
	m, err := New(tinyConfig(false), 1)
	if err != nil {
		f.Fatal(err)
	}
	defer m.Close()
	m.SetThreads(1)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			return
		}
		m.applyAdapter(file)
	})
}
