package tensor_test

import (
	"bytes"
	"testing"

	"zhi/tensor"
)

// TestKQuantizeMatchesReferenceFiles quantizes the F16 weights of the
// reference model to each K-quant tensor of the reference's quantized files
// of the same weights (Q4_K and Q6_K: the only super-block formats the
// reference data has) and requires the reference's bytes.
func TestKQuantizeMatchesReferenceFiles(t *testing.T) {
	ours := map[tensor.Type]bool{
		tensor.Q2_K: true, tensor.Q3_K: true, tensor.Q4_K: true, tensor.Q5_K: true,
		tensor.Q6_K: true, tensor.IQ4_XS: true,
	}
	source := openGGUF(t, "reference/tiny-llama-spm-f16.gguf")
	for _, name := range []string{"q4_k_m", "q4_0"} {
		t.Run(name, func(t *testing.T) {
			quantized := openGGUF(t, "reference/tiny-llama-spm-"+name+".gguf")
			compared := map[tensor.Type]int{}
			for i := range quantized.Tensors {
				ti := &quantized.Tensors[i]
				if !ours[ti.Type] {
					continue
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
				bs := ti.Type.TypeSize()
				for b := 0; b < len(want); b += bs {
					if !bytes.Equal(got[b:b+bs], want[b:b+bs]) {
						t.Errorf("%s (%s): block %d is\n%x, reference\n%x", ti.Name, ti.Type, b/bs, got[b:b+bs], want[b:b+bs])
						break
					}
				}
				compared[ti.Type]++
			}
			t.Logf("tensors compared: %v", compared)
			if len(compared) == 0 {
				t.Fatal("no K-quant tensor to compare")
			}
		})
	}
}
