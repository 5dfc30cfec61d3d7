package bench

import (
	"bytes"
	"testing"

	"zhi/gguf"
	"zhi/quantize"
	"zhi/tensor"
)

func TestDescribe(t *testing.T) {
	tiny, _ := LookupShape("tiny")
	path := writeRandom(t, tiny, quantize.Q4_K_M, 1, 1)
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := Describe(f, "x.gguf")
	var size uint64
	for i := range f.Tensors {
		size += f.Tensors[i].Size()
	}
	if m.Filename != "x.gguf" || m.Type != "llama ?B Q4_K - Medium" || m.Params != tiny.Params() || m.Size != size {
		t.Errorf("%+v, want llama ?B Q4_K - Medium with %d parameters in %d bytes", m, tiny.Params(), size)
	}

	// Without size label and file type: a size from the parameter count.
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("qwen2"))
	if err := b.AddTensor("w", tensor.F32, []uint64{4, 2}, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	g, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if m := Describe(g, ""); m.Type != "qwen2 0M unknown" || m.Params != 8 || m.Size != 32 {
		t.Errorf("%+v", m)
	}
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[uint64]string{494032768: "494M", 1235814432: "1.2B", 8030261312: "8B", 6738415616: "6.7B"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}
