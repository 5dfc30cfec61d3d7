package quantize

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
	"zhi/tensor"
)

// TestFileReproducesReference quantizes the shared F16 model and compares
// the result with the files the reference made from it: the same metadata,
// tensors, types and bytes, so the very same file.
func TestFileReproducesReference(t *testing.T) {
	src := shared.Path(t, "reference", "tiny-llama-spm-f16.gguf")
	for _, c := range []struct {
		ft   FileType
		file string
	}{{Q8_0, "tiny-llama-spm-q8_0.gguf"}, {Q4_0, "tiny-llama-spm-q4_0.gguf"}, {Q4_K_M, "tiny-llama-spm-q4_k_m.gguf"}} {
		t.Run(c.ft.String(), func(t *testing.T) {
			want := shared.Path(t, "reference", c.file)
			out := filepath.Join(t.TempDir(), "out.gguf")
			sum, err := File(src, out, c.ft, Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Tensors != 20 || sum.Converted != 15 {
				t.Errorf("summary %+v: want 20 tensors of which 15 converted", sum)
			}
			gotBytes, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			wantBytes, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotBytes, wantBytes) {
				describeDifference(t, out, want)
			}
		})
	}
}

// describeDifference reports how two GGUF files differ: metadata, tensor
// list and each tensor's data.
func describeDifference(t *testing.T, gotPath, wantPath string) {
	t.Helper()
	got, want := open(t, gotPath), open(t, wantPath)
	t.Errorf("%s differs from %s", gotPath, wantPath)
	if len(got.Metadata) != len(want.Metadata) {
		t.Errorf("%d metadata keys, want %d", len(got.Metadata), len(want.Metadata))
	}
	for i := range min(len(got.Metadata), len(want.Metadata)) {
		g, w := got.Metadata[i], want.Metadata[i]
		if g.Key != w.Key || !g.Value.Equal(w.Value) {
			t.Errorf("metadata %d: %s = %v, want %s = %v", i, g.Key, g.Value, w.Key, w.Value)
		}
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for i := range got.Tensors {
		g, w := &got.Tensors[i], &want.Tensors[i]
		switch {
		case g.Name != w.Name || g.Type != w.Type || !slices.Equal(g.Shape, w.Shape):
			t.Errorf("tensor %d: %s %s %v, want %s %s %v", i, g.Name, g.Type, g.Shape, w.Name, w.Type, w.Shape)
		case !bytes.Equal(got.TensorData(g), want.TensorData(w)):
			t.Errorf("tensor %s (%s): data differs", g.Name, g.Type)
		case g.Offset != w.Offset:
			t.Errorf("tensor %s: offset %d, want %d", g.Name, g.Offset, w.Offset)
		}
	}
}

func open(t testing.TB, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// writeModel writes a one-block llama model with embeddings of embd values,
// whose weights are typ (F32, F16 or BF16) filled with values from next, and
// returns its path.
func writeModel(t testing.TB, dir string, typ tensor.Type, embd uint64, next func() float32) string {
	t.Helper()
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("llama"))
	b.Set("llama.block_count", gguf.Uint32(1))
	b.Set("llama.attention.head_count", gguf.Uint32(4))
	b.Set("llama.attention.head_count_kv", gguf.Uint32(1))
	b.Set("general.file_type", gguf.Uint32(0))
	b.Set("split.count", gguf.Uint16(1))
	b.Set("general.name", gguf.String("synthetic"))
	add := func(name string, typ tensor.Type, shape ...uint64) {
		n := uint64(1)
		for _, d := range shape {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = next()
		}
		data := make([]byte, len(vals)*typ.TypeSize())
		if err := tensor.Quantize(typ, vals, data); err != nil {
			t.Fatal(err)
		}
		if err := b.AddTensor(name, typ, shape, data); err != nil {
			t.Fatal(err)
		}
	}
	add("token_embd.weight", typ, embd, 6)
	add("output_norm.weight", tensor.F32, embd)
	add("blk.0.attn_norm.weight", tensor.F32, embd)
	add("blk.0.attn_v.weight", typ, embd, 4)
	add("blk.0.ffn_down.weight", typ, 96, 4)
	path := filepath.Join(dir, "model-"+typ.String()+".gguf")
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomValues(seed uint64) func() float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	return func() float32 { return float32(r.NormFloat64()) }
}

// values decodes a tensor of a float type.
func values(t *testing.T, f *gguf.File, name string) []float32 {
	t.Helper()
	ti, ok := f.Tensor(name)
	if !ok {
		t.Fatalf("no tensor %s", name)
	}
	vals := make([]float32, ti.NumElements())
	if err := tensor.Dequantize(ti.Type, f.TensorData(ti), vals); err != nil {
		t.Fatal(err)
	}
	return vals
}

func TestFileFloatTypes(t *testing.T) {
	dir := t.TempDir()
	src := writeModel(t, dir, tensor.F32, 256, randomValues(1))
	in := open(t, src)
	for _, c := range []struct {
		ft    FileType
		round func(float32) float32
	}{
		{F16, func(v float32) float32 { return tensor.F16ToF32(tensor.F32ToF16(v)) }},
		{BF16, func(v float32) float32 { return tensor.BF16ToF32(tensor.F32ToBF16(v)) }},
		{F32, func(v float32) float32 { return v }},
	} {
		out := filepath.Join(dir, c.ft.String()+".gguf")
		sum, err := File(src, out, c.ft, Options{})
		if err != nil {
			t.Fatal(err)
		}
		f := open(t, out)
		if ft, _ := f.Uint("general.file_type"); ft != uint64(c.ft) {
			t.Errorf("%s: general.file_type %d", c.ft, ft)
		}
		if v, _ := f.Uint("general.quantization_version"); v != 2 {
			t.Errorf("%s: general.quantization_version %d, want 2", c.ft, v)
		}
		if _, ok := f.Lookup("split.count"); ok {
			t.Errorf("%s: split.count kept", c.ft)
		}
		if name, _ := f.String("general.name"); name != "synthetic" {
			t.Errorf("%s: general.name %q, want the input's", c.ft, name)
		}
		for _, ti := range f.Tensors {
			want, _ := c.ft.Base()
			round := c.round
			if strings.HasSuffix(ti.Name, "_norm.weight") {
				want, round = tensor.F32, func(v float32) float32 { return v }
			}
			if ti.Type != want {
				t.Errorf("%s: %s is %s, want %s", c.ft, ti.Name, ti.Type, want)
			}
			got, orig := values(t, f, ti.Name), values(t, in, ti.Name)
			for i := range got {
				if got[i] != round(orig[i]) {
					t.Fatalf("%s: %s[%d] = %g, want %g from %g", c.ft, ti.Name, i, got[i], round(orig[i]), orig[i])
				}
			}
		}
		if c.ft == F32 && sum.Converted != 0 {
			t.Errorf("F32 from F32 converted %d tensors, want none", sum.Converted)
		}
	}
}

// TestFileFromHalves checks that F16 and BF16 inputs are read exactly: the
// result equals quantizing the values they hold.
func TestFileFromHalves(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []tensor.Type{tensor.F16, tensor.BF16} {
		src := writeModel(t, dir, typ, 256, randomValues(2))
		out := filepath.Join(dir, "q.gguf")
		if _, err := File(src, out, Q4_K_M, Options{Threads: 3}); err != nil {
			t.Fatal(err)
		}
		in, f := open(t, src), open(t, out)
		for _, c := range []struct {
			name string
			typ  tensor.Type
		}{{"token_embd.weight", tensor.Q6_K}, {"blk.0.attn_v.weight", tensor.Q6_K}, {"blk.0.ffn_down.weight", tensor.Q8_0}} {
			ti, _ := f.Tensor(c.name)
			if ti.Type != c.typ {
				t.Errorf("%s input: %s is %s, want %s", typ, c.name, ti.Type, c.typ)
				continue
			}
			want := make([]byte, ti.Size())
			if err := tensor.Quantize(c.typ, values(t, in, c.name), want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.TensorData(ti), want) {
				t.Errorf("%s input: %s differs from quantizing its values directly", typ, c.name)
			}
		}
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	src := writeModel(t, dir, tensor.F16, 256, randomValues(3))
	link := filepath.Join(dir, "link.gguf")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	nan := writeModel(t, other, tensor.F32, 256, func() float32 { return float32(math.NaN()) })
	text := filepath.Join(other, "text.gguf")
	if err := os.WriteFile(text, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.gguf")
	for _, c := range []struct {
		what, in, out string
		ft            FileType
		want          string
	}{
		{"same path", src, src, Q4_K_M, "is the input file"},
		{"same path, spelt differently", src, filepath.Join(dir, ".", filepath.Base(src)), Q4_K_M, "is the input file"},
		{"same file through a link", src, link, Q4_K_M, "is the input file"},
		{"missing input", filepath.Join(dir, "missing.gguf"), out, Q4_K_M, "no such file"},
		{"not GGUF", text, out, Q4_K_M, "gguf"},
		{"unknown mix", src, out, FileType(99), "unknown file type"},
		{"NaN weights", nan, out, Q8_0, "NaN"},
		{"missing output directory", src, filepath.Join(dir, "none", "out.gguf"), Q8_0, "no such file"},
	} {
		_, err := File(c.in, c.out, c.ft, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.what, err, c.want)
		}
	}
	// Nothing was written: no output, no scratch or temporary file.
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"link.gguf", filepath.Base(src)}; !slices.Equal(names, want) {
		t.Errorf("directory holds %q after the failures, want %q", names, want)
	}
}

func TestFileRefusesQuantized(t *testing.T) {
	dir := t.TempDir()
	src := writeModel(t, dir, tensor.F16, 256, randomValues(4))
	q := filepath.Join(dir, "q.gguf")
	if _, err := File(src, q, Q8_0, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := File(q, filepath.Join(dir, "qq.gguf"), Q4_K_M, Options{})
	if !errors.Is(err, ErrQuantized) {
		t.Errorf("requantizing: error %v, want ErrQuantized", err)
	}
}

func TestFileLog(t *testing.T) {
	dir := t.TempDir()
	src := writeModel(t, dir, tensor.F16, 256, randomValues(5))
	var log bytes.Buffer
	if _, err := File(src, filepath.Join(dir, "q.gguf"), Q4_K_M, Options{Log: &log}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want one per tensor:\n%s", len(lines), log.String())
	}
	for _, want := range []string{"[1/5] output_norm.weight", "kept as F32", "to Q6_K", "to Q8_0 (rows of 96 do not fit Q6_K)"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not mention %q:\n%s", want, log.String())
		}
	}
}

// FuzzPlan feeds damaged models to Plan and convert, which must fail
// cleanly or convert every tensor. (File adds only the writing, which a
// fuzzer would spend its time waiting on.)
func FuzzPlan(f *testing.F) {
	seed, err := os.ReadFile(writeModel(f, f.TempDir(), tensor.F16, 32, randomValues(6)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	pool := tensor.NewPool(1)
	defer pool.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		in := filepath.Join(t.TempDir(), "in.gguf")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := gguf.Open(in)
		if err != nil {
			return
		}
		defer g.Close()
		m, err := ModelOf(g)
		if err != nil {
			return
		}
		steps, err := Plan(m, Q4_K_M)
		if err != nil {
			return
		}
		for i := range steps {
			s := &steps[i]
			if s.Converts() {
				convert(pool, s, g.TensorData(&s.Tensor), make([]byte, sizeAs(&s.Tensor, s.Type)))
			}
		}
	})
}
