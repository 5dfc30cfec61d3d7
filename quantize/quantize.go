// Package quantize converts the float weights of a GGUF model to a
// quantized mix such as Q4_K_M, as the reference's llama-quantize does
// without an importance matrix: the same type for every tensor, and the same
// bytes.
//
// Plan decides each tensor's type; File reads a model, converts it tensor by
// tensor and writes the result.
package quantize

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"zhi/gguf"
	"zhi/tensor"
)

// Options tune File.
type Options struct {
	// Threads is the number of goroutines that convert a tensor's rows; 0
	// means one per CPU.
	Threads int
	// Log, when set, receives a line per tensor as it is converted.
	Log io.Writer
}

// Summary describes a finished conversion.
type Summary struct {
	Tensors   int    // tensors written
	Converted int    // of which converted to another type
	Fallbacks int    // of which got a fallback type for their row length
	InBytes   uint64 // tensor data in the input
	OutBytes  uint64 // tensor data in the output
}

// The metadata keys the conversion sets.
const (
	fileTypeKey = "general.file_type"
	versionKey  = "general.quantization_version"
)

// formatVersion is the version of the quantized formats, the reference's
// GGML_QNT_VERSION.
const formatVersion = 2

// rowChunkElements is about how many values a thread converts at a time.
const rowChunkElements = 1 << 16

// replacedKeys are the input's metadata keys the output does not copy: the
// two it sets, and those that describe one part of a split model, as the
// output is a single file.
var replacedKeys = []string{fileTypeKey, versionKey, "split.no", "split.count", "split.tensors.count"}

// File converts the model at in to mix ft and writes it to out, replacing
// any file there only once the new one is complete. The input must hold
// F32, F16 or BF16 weights.
//
// Tensors are converted one at a time, a chunk of rows per thread, so the
// input's floats are never all in memory. The converted data waits for the
// write in scratch memory that, on Linux, a file beside out backs (see
// newScratch).
func File(in, out string, ft FileType, opt Options) (Summary, error) {
	if !ft.Valid() {
		return Summary{}, fmt.Errorf("quantize: unknown file type %d", uint32(ft))
	}
	if err := checkDistinct(in, out); err != nil {
		return Summary{}, err
	}
	f, err := gguf.Open(in)
	if err != nil {
		return Summary{}, fmt.Errorf("quantize: %w", err)
	}
	defer f.Close()
	if n, ok := f.Uint("split.count"); ok && n > 1 {
		return Summary{}, fmt.Errorf("quantize: %s is one of %d parts of a split model; merge them first", in, n)
	}
	m, err := ModelOf(f)
	if err != nil {
		return Summary{}, err
	}
	steps, err := Plan(m, ft)
	if err != nil {
		return Summary{}, err
	}

	var inSize, scratchSize uint64
	for i := range steps {
		inSize += steps[i].Tensor.Size()
		if steps[i].Converts() {
			scratchSize += sizeAs(&steps[i].Tensor, steps[i].Type)
		}
	}
	if st, err := os.Stat(in); err == nil && inSize > uint64(st.Size()) {
		// Only tensors sharing data can claim more than the file holds; the
		// output, which stores each separately, could be any size.
		return Summary{}, fmt.Errorf("quantize: %s: the tensors' data overlaps", in)
	}
	scratch, err := newScratch(filepath.Dir(out), scratchSize)
	if err != nil {
		return Summary{}, fmt.Errorf("quantize: %w", err)
	}
	defer scratch.release()

	b := newOutput(f, ft)
	pool := tensor.NewPool(opt.Threads)
	defer pool.Close()
	var sum Summary
	var offset uint64
	for i := range steps {
		s := &steps[i]
		src := f.TensorData(&s.Tensor)
		if src == nil {
			return Summary{}, fmt.Errorf("quantize: tensor %s: data lies outside the file", s.Tensor.Name)
		}
		data := src
		if s.Converts() {
			size := sizeAs(&s.Tensor, s.Type)
			data = scratch.buf[offset : offset+size : offset+size]
			offset += size
			if err := convert(pool, s, src, data); err != nil {
				return Summary{}, err
			}
			sum.Converted++
		}
		if s.Type != s.Wanted {
			sum.Fallbacks++
		}
		if err := b.AddTensor(s.Tensor.Name, s.Type, s.Tensor.Shape, data); err != nil {
			return Summary{}, fmt.Errorf("quantize: %w", err)
		}
		sum.Tensors++
		sum.InBytes += uint64(len(src))
		sum.OutBytes += uint64(len(data))
		if opt.Log != nil {
			logStep(opt.Log, i, len(steps), s, len(src), len(data))
		}
	}
	if err := b.WriteFile(out); err != nil {
		return Summary{}, fmt.Errorf("quantize: %w", err)
	}
	return sum, nil
}

// newOutput returns a Builder holding the output's metadata: the input's,
// with the file type and the format version set after the others, where the
// reference puts them.
func newOutput(f *gguf.File, ft FileType) *gguf.Builder {
	b := gguf.NewBuilder()
	for _, kv := range f.Metadata {
		if !slices.Contains(replacedKeys, kv.Key) {
			b.Set(kv.Key, kv.Value)
		}
	}
	b.Set(versionKey, gguf.Uint32(formatVersion))
	b.Set(fileTypeKey, gguf.Uint32(uint32(ft)))
	return b
}

// checkDistinct refuses to write over the input: the output replaces the
// file at its path, and the input is read from its mapping until then.
func checkDistinct(in, out string) error {
	absIn, errIn := filepath.Abs(in)
	absOut, errOut := filepath.Abs(out)
	same := errIn == nil && errOut == nil && absIn == absOut
	if !same {
		stIn, errIn := os.Stat(in)
		stOut, errOut := os.Stat(out)
		same = errIn == nil && errOut == nil && os.SameFile(stIn, stOut)
	}
	if same {
		return fmt.Errorf("quantize: output %s is the input file; choose another path", out)
	}
	return nil
}

// sizeAs returns the bytes of t's data in type typ. Plan has checked that
// the rows split into typ's blocks.
func sizeAs(t *gguf.TensorInfo, typ tensor.Type) uint64 {
	return t.NumElements() / uint64(typ.BlockSize()) * uint64(typ.TypeSize())
}

// errNotFinite is what convert reports for NaN or infinite weights, which the
// reference refuses too (its quantized data fails validation).
var errNotFinite = errors.New("holds a NaN or infinite value")

// convert writes the tensor's rows src, in s.Tensor.Type, to dst in s.Type.
// The pool's threads take contiguous ranges of rows, and each converts its
// range a chunk at a time through its own float buffer.
func convert(pool *tensor.Pool, s *Step, src, dst []byte) error {
	n := int(s.Tensor.Shape[0])
	rows := int(s.Tensor.NumElements() / uint64(n))
	inRow, err := s.Tensor.Type.RowSize(n)
	if err != nil {
		return fmt.Errorf("quantize: tensor %s: %w", s.Tensor.Name, err)
	}
	outRow, err := s.Type.RowSize(n)
	if err != nil {
		return fmt.Errorf("quantize: tensor %s: %w", s.Tensor.Name, err)
	}
	chunk := max(1, rowChunkElements/n)
	errs := make([]error, pool.Threads()) // one per worker: no lock needed
	pool.For(rows, chunk, func(worker, lo, hi int) {
		buf := make([]float32, min(chunk, hi-lo)*n)
		for r := lo; r < hi; r += chunk {
			k := min(chunk, hi-r)
			vals := buf[:k*n]
			err := tensor.Dequantize(s.Tensor.Type, src[r*inRow:(r+k)*inRow], vals)
			if err == nil && !allFinite(vals) {
				err = errNotFinite
			}
			if err == nil {
				err = tensor.Quantize(s.Type, vals, dst[r*outRow:(r+k)*outRow])
			}
			if err != nil {
				errs[worker] = err
				return
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("quantize: tensor %s: %w", s.Tensor.Name, err)
		}
	}
	return nil
}

func allFinite(xs []float32) bool {
	for _, x := range xs {
		if math.IsInf(float64(x), 0) || math.IsNaN(float64(x)) {
			return false
		}
	}
	return true
}

// logStep writes one progress line, in the spirit of the reference's.
func logStep(w io.Writer, i, n int, s *Step, inBytes, outBytes int) {
	what := "kept as " + s.Type.String()
	switch {
	case s.Type != s.Wanted:
		what = fmt.Sprintf("to %s (rows of %d do not fit %s)", s.Type, s.Tensor.Shape[0], s.Wanted)
	case s.Converts():
		what = "to " + s.Type.String()
	}
	const mib = 1 << 20
	fmt.Fprintf(w, "[%*d/%d] %-28s %-14s %-4s %8.3f MiB -> %8.3f MiB  %s\n",
		len(fmt.Sprint(n)), i+1, n, s.Tensor.Name, fmt.Sprint(s.Tensor.Shape), s.Tensor.Type,
		float64(inBytes)/mib, float64(outBytes)/mib, what)
}
