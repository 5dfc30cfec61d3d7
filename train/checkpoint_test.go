package train

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"zhi/engine"
	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/tensor"
)

// compareWithEngine saves m, opens the file in zhi's engine and checks
// that the engine's logits equal m's own. The engine rounds queries, keys,
// values and attention weights to F16 as the reference engine does; that
// accounts for differences of about 5e-4 of the largest logit (with the
// same roundings in our forward pass they fall below 2e-4 absolute).
func compareWithEngine(t *testing.T, m *Model, tokens []int32) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := m.Save(path, SaveOptions{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(path, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rows, err := e.Logits(tokens, true)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := m.Logits(tokens)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.Vocab
	var worst, scale float64
	for i, row := range rows {
		own := mine[i*v : (i+1)*v]
		best, ownBest := 0, 0
		for j := range row {
			worst = max(worst, math.Abs(float64(row[j]-own[j])))
			scale = max(scale, math.Abs(float64(own[j])))
			if row[j] > row[best] {
				best = j
			}
			if own[j] > own[ownBest] {
				ownBest = j
			}
		}
		if best != ownBest {
			t.Errorf("position %d: engine's argmax %d, ours %d", i, best, ownBest)
		}
	}
	if worst > 1e-3*scale {
		t.Errorf("logits differ from the engine's by up to %g", worst)
	}
	t.Logf("largest difference from the engine's logits: %.3g, largest logit %.3g", worst, scale)
}

func TestEngineLoadsSavedModel(t *testing.T) {
	ref, m := loadReference(t)
	compareWithEngine(t, m, ref.Pretrain.Inputs[0])
}

func TestEngineLoadsNewModel(t *testing.T) {
	_, src := loadReference(t)
	c := src.Config
	c.Dim, c.Heads, c.KVHeads, c.TiedEmbeddings = 48, 6, 3, true
	m, err := New(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Tokenizer = src.Tokenizer
	// Larger weights than the initial ones give logits that differ.
	for _, p := range m.Params() {
		if p.Matrix() {
			tensor.Scale(p.Data, 10)
		}
	}
	compareWithEngine(t, m, []int32{1, 40, 90, 200, 7, 3, 3, 100, 258})
}

// TestSaveLoad checks that Save and Load round-trip a model in F32
// exactly and in F16 and BF16 to their precision, tokenizer included.
func TestSaveLoad(t *testing.T) {
	_, src := loadReference(t)
	for _, c := range []struct {
		typ tensor.Type
		tol float64 // relative
	}{{tensor.F32, 0}, {tensor.F16, 1e-3}, {tensor.BF16, 8e-3}} {
		path := filepath.Join(t.TempDir(), "m.gguf")
		if err := src.Save(path, SaveOptions{Type: c.typ}); err != nil {
			t.Fatal(err)
		}
		m, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		if m.Config != src.Config || len(m.Tokenizer) != len(src.Tokenizer) {
			t.Fatalf("%s: config %+v and %d tokenizer keys, want %+v and %d", c.typ, m.Config, len(m.Tokenizer), src.Config, len(src.Tokenizer))
		}
		for i, p := range m.Params() {
			for j, v := range p.Data {
				w := src.Params()[i].Data[j]
				// 6e-8 is the spacing of F16's subnormals.
				if math.Abs(float64(v-w)) > c.tol*math.Abs(float64(w))+6e-8 {
					t.Fatalf("%s: %s[%d] = %g, want %g", c.typ, p.Name, j, v, w)
				}
			}
		}
	}
	if err := src.Save(filepath.Join(t.TempDir(), "m.gguf"), SaveOptions{Type: tensor.Q8_0}); err == nil {
		t.Error("saving as Q8_0 succeeded")
	}
}

// FuzzLoad feeds arbitrary files to the loader, which must fail cleanly.
func FuzzLoad(f *testing.F) {
	m, err := New(tinyConfig(false), 1)
	if err != nil {
		f.Fatal(err)
	}
	m.Close()
	for _, typ := range []tensor.Type{tensor.F32, tensor.F16} {
		b, err := m.builder(SaveOptions{Type: typ})
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := b.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			return
		}
		if m, err := fromFile(file); err == nil {
			m.Close()
		}
	})
}

// The tiny reference file must load as the architecture it describes.
func TestLoadConfig(t *testing.T) {
	m, err := Load(shared.Path(t, "reference", "train", "tiny-train-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := Config{Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 128, Vocab: 259, Context: 64,
		RopeBase: 10000, NormEps: 1e-5}
	if m.Config != want {
		t.Errorf("config %+v, want %+v", m.Config, want)
	}
	n := 0
	for _, p := range m.Params() {
		n += len(p.Data)
	}
	if want := 2*259*64 + 64 + 2*(2*64+2*64*64+2*64*32+3*64*128); n != want || m.Config.NumParams() != want {
		t.Errorf("%d parameters, config says %d, want %d", n, m.Config.NumParams(), want)
	}
}
