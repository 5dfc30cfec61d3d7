package gguf_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"zhi/gguf"
	"zhi/tensor"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "gguf-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.gguf")

	// Write a small file to read back.
	b := gguf.NewBuilder()
	b.Set("general.architecture", gguf.String("llama"))
	b.Set("llama.context_length", gguf.Uint32(2048))
	if err := b.AddTensor("output_norm.weight", tensor.F32, []uint64{4}, make([]byte, 16)); err != nil {
		log.Fatal(err)
	}
	if err := b.WriteFile(path); err != nil {
		log.Fatal(err)
	}

	f, err := gguf.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	arch, _ := f.String("general.architecture")
	ctx, _ := f.Uint(arch + ".context_length")
	fmt.Println(arch, ctx)
	t, _ := f.Tensor("output_norm.weight")
	fmt.Println(t.Name, t.Type, t.Shape, len(f.TensorData(t)))
	// Output:
	// llama 2048
	// output_norm.weight F32 [4] 16
}
