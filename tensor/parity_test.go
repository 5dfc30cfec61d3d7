package tensor_test

import (
	"bytes"
	"testing"
	"zhi/internal/shared"

	"zhi/gguf"
	"zhi/tensor"
)

func openGGUF(t *testing.T, rel string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(shared.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestQuantizeMatchesReferenceFiles quantizes the weights of the F16 reference
// model and compares the bytes with the reference's own quantized files of
// the same weights, for every quantized tensor (Q8_0, Q4_0, Q5_0, Q4_K and
// Q6_K between them).
func TestQuantizeMatchesReferenceFiles(t *testing.T) {
	source := openGGUF(t, "reference/tiny-llama-spm-f16.gguf")
	for _, name := range []string{"q8_0", "q4_0", "q4_k_m"} {
		t.Run(name, func(t *testing.T) {
			quantized := openGGUF(t, "reference/tiny-llama-spm-"+name+".gguf")
			compared := map[tensor.Type]int{}
			for i := range quantized.Tensors {
				ti := &quantized.Tensors[i]
				if ti.Type.BlockSize() == 1 {
					continue // F32 vectors, not quantized
				}
				src, ok := source.Tensor(ti.Name)
				if !ok || src.Type != tensor.F16 {
					t.Fatalf("%s: no F16 tensor of that name in the source model", ti.Name)
				}
				x := make([]float32, src.NumElements())
				if err := tensor.Dequantize(tensor.F16, source.TensorData(src), x); err != nil {
					t.Fatalf("%s: %v", ti.Name, err)
				}
				want := quantized.TensorData(ti)
				got := make([]byte, len(want))
				if err := tensor.Quantize(ti.Type, x, got); err != nil {
					t.Fatalf("%s: %v", ti.Name, err)
				}
				if !bytes.Equal(got, want) {
					bs := ti.Type.TypeSize()
					for b := 0; b < len(want); b += bs {
						if !bytes.Equal(got[b:b+bs], want[b:b+bs]) {
							t.Errorf("%s (%s): block %d is\n%x, reference\n%x", ti.Name, ti.Type, b/bs, got[b:b+bs], want[b:b+bs])
							break
						}
					}
				}
				compared[ti.Type]++
			}
			t.Logf("tensors compared: %v", compared)
			if len(compared) == 0 {
				t.Fatal("no quantized tensor to compare")
			}
		})
	}
}
