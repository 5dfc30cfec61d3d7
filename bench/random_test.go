package bench

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/engine"
	"zhi/gguf"
	"zhi/quantize"
	"zhi/tensor"
)

// tinyQwen2 has Q/K/V biases, no rope_freqs, and a separate output.
var tinyQwen2 = &Shape{Name: "tiny-qwen2", Arch: "qwen2", SizeLabel: "?B", Layers: 3, Embedding: 96, FeedForward: 256,
	Heads: 6, KVHeads: 2, Vocab: 300, Context: 512, RopeBase: 1e6, RMSEpsilon: 1e-6}

func writeRandom(t *testing.T, s *Shape, ft quantize.FileType, seed uint64, threads int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := WriteRandomModel(path, s, ft, seed, threads); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRandomModelLoads(t *testing.T) {
	tiny, _ := LookupShape("tiny")
	for _, s := range []*Shape{tiny, tinyQwen2} {
		for _, ft := range quantize.FileTypes() {
			t.Run(s.Name+"/"+ft.String(), func(t *testing.T) {
				e, err := engine.Open(writeRandom(t, s, ft, 1, 2), engine.Options{Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				checkTensors(t, e.File, s, ft)
				logits, err := e.Logits([]int32{1, 7, 299, 42}, true)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range logits {
					if slices.ContainsFunc(row, func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }) {
						t.Fatal("logits are not all finite")
					}
					if slices.Min(row) == slices.Max(row) {
						t.Fatal("logits are all equal: the weights are not random")
					}
				}
			})
		}
	}
}

// checkTensors compares a built file's tensors with the shape: the names,
// dimensions, order and types llama-quantize would give them, and the
// values of the vectors that are not random.
func checkTensors(t *testing.T, f *gguf.File, s *Shape, ft quantize.FileType) {
	t.Helper()
	specs := map[string]tensorSpec{}
	m := &quantize.Model{Arch: s.Arch, Layers: s.Layers, Heads: s.Heads, KVHeads: s.KVHeads}
	for _, spec := range s.tensors() {
		specs[spec.name] = spec
		m.Tensors = append(m.Tensors, gguf.TensorInfo{Name: spec.name, Shape: spec.dims, Type: tensor.F32})
	}
	steps, err := quantize.Plan(m, ft)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != len(steps) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(steps))
	}
	for i, step := range steps {
		ti := &f.Tensors[i]
		spec := specs[ti.Name]
		if ti.Name != step.Tensor.Name || !slices.Equal(ti.Shape, step.Tensor.Shape) || ti.Type != step.Type {
			t.Fatalf("tensor %d: %s %v %s, want %s %v %s", i, ti.Name, ti.Shape, ti.Type, step.Tensor.Name, step.Tensor.Shape, step.Type)
		}
		if spec.fill == fillRandom {
			continue
		}
		vals := make([]float32, spec.dims[0])
		if err := tensor.Dequantize(ti.Type, f.TensorData(ti), vals); err != nil {
			t.Fatal(err)
		}
		want := slices.Repeat([]float32{1}, len(vals))
		if spec.fill == fillRopeFreqs {
			want = s.Llama3Rope.ropeFreqs(s.HeadDim(), s.RopeBase)
		}
		if !slices.Equal(vals, want) {
			t.Fatalf("%s = %v, want %v", ti.Name, vals, want)
		}
	}
	if v, _ := f.Uint("general.file_type"); quantize.FileType(v) != ft {
		t.Errorf("general.file_type %d, want %d", v, ft)
	}
}

func TestRandomModelIsReproducible(t *testing.T) {
	read := func(seed uint64, threads int) []byte {
		data, err := os.ReadFile(writeRandom(t, tinyQwen2, quantize.Q4_K_M, seed, threads))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a, b, c := read(7, 1), read(7, 3), read(8, 2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed with 1 and 3 threads gives different files")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 7 and 8 give the same file")
	}
}

// Llama 3.1's frequency factors for a 128-wide head, as llama.cpp's
// converter writes them: 1 for short wavelengths, 8 for long ones.
func TestRopeFreqs(t *testing.T) {
	f := llama31Rope(8).ropeFreqs(128, 500000)
	if len(f) != 64 || f[0] != 1 || f[63] != 8 {
		t.Fatalf("factors %v", f)
	}
	for i := 1; i < len(f); i++ {
		if f[i] < f[i-1] {
			t.Fatalf("factors decrease at %d: %v", i, f)
		}
	}
	// Frequency 30 blends: its wavelength 2π·500000^(60/128) lies between 2048 and 8192.
	if f[30] <= 1 || f[30] >= 8 {
		t.Errorf("factor 30 = %g, want a blend between 1 and 8", f[30])
	}
}

// The shapes' parameter counts are those the models' publishers give
// (without rope_freqs, which the converter adds).
func TestShapeParams(t *testing.T) {
	for name, want := range map[string]uint64{
		"llama3.2-1b":    1235814400,
		"llama3.2-3b":    3212749824,
		"llama3.1-8b":    8030261248,
		"llama2-7b":      6738415616,
		"mistral-7b":     7248023552,
		"tinyllama-1.1b": 1100048384,
		"qwen2.5-0.5b":   494032768,
		"qwen2.5-1.5b":   1543714304,
		"qwen2.5-7b":     7615616512,
	} {
		s, err := LookupShape(name)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Params()
		if s.Llama3Rope != nil {
			got -= uint64(s.HeadDim() / 2)
		}
		if got != want {
			t.Errorf("%s: %d parameters, want %d", name, got, want)
		}
		if err := s.validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := LookupShape("llama9"); err == nil || !strings.Contains(err.Error(), "llama3.2-1b") {
		t.Errorf("unknown shape: %v", err)
	}
}

func TestWriteRandomModelRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.gguf")
	for _, c := range []struct {
		edit func(*Shape)
		want string
	}{
		{func(s *Shape) { s.Vocab = 100 }, "vocabulary"},
		{func(s *Shape) { s.KVHeads = 4 }, "key/value heads"},
		{func(s *Shape) { s.Embedding = 90 }, "heads of even width"},
		{func(s *Shape) { s.Layers = 0 }, "positive"},
		{func(s *Shape) { s.Arch = "gpt2" }, "architecture"},
	} {
		s := *tinyQwen2
		c.edit(&s)
		if err := WriteRandomModel(path, &s, quantize.Q4_K_M, 1, 1); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", err, c.want)
		}
	}
	if err := WriteRandomModel(path, tinyQwen2, 999, 1, 1); err == nil || !strings.Contains(err.Error(), "file type") {
		t.Errorf("file type 999: error %v", err)
	}
}
