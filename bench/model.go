package bench

import (
	"fmt"
	"strings"

	"zhi/gguf"
	"zhi/quantize"
)

// ModelInfo names and sizes a model as llama-bench's results do.
type ModelInfo struct {
	Filename string // model_filename: the path given, or how a random model was made
	Type     string // model_type: architecture, size and file type, such as "llama 1B Q4_K - Medium"
	Size     uint64 // model_size: bytes of tensor data
	Params   uint64 // model_n_params: values in all tensors
}

// Describe returns the ModelInfo of an open model file. The size in the
// description is general.size_label, or one made from the parameter count
// when the file has none; llama.cpp takes it from its own table of
// architectures and layer counts instead, so for some files the two differ
// ("1.2B" where llama.cpp says "1B").
func Describe(f *gguf.File, filename string) ModelInfo {
	m := ModelInfo{Filename: filename}
	for i := range f.Tensors {
		m.Size += f.Tensors[i].Size()
		m.Params += f.Tensors[i].NumElements()
	}
	arch, _ := f.String("general.architecture")
	label, ok := f.String("general.size_label")
	if !ok || label == "" {
		label = sizeLabel(m.Params)
	}
	ftype := "unknown"
	if v, ok := f.Uint("general.file_type"); ok && v <= 1<<32-1 {
		ftype = fileTypeName(quantize.FileType(v))
	}
	m.Type = strings.Join([]string{arch, label, ftype}, " ")
	return m
}

// sizeLabel writes a parameter count the way model names do: "494M", "1.2B",
// "8B".
func sizeLabel(params uint64) string {
	if params < 1e9 {
		return fmt.Sprintf("%dM", (params+5e5)/1e6)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(params)/1e9), ".0") + "B"
}
