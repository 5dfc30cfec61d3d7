package gguf

import (
	"bytes"
	"testing"

	"zhi/tensor"
)

// FuzzParse checks that Parse never panics or hangs, and that every file it
// accepts is written back by FromFile into a file that parses to the same
// contents.
func FuzzParse(f *testing.F) {
	valid := build(f, sampleBuilder(f))
	f.Add(valid)
	for _, n := range []int{4, 24, 60, 200, len(valid) / 2, len(valid) - 1} {
		f.Add(valid[:n])
	}
	small := NewBuilder()
	small.Set(AlignmentKey, Uint32(8))
	small.Set("k", Array(TypeArray, []Value{Bools([]bool{true}), Float64s([]float64{1})}))
	if err := small.AddTensor("t", tensor.Q8_0, []uint64{32}, make([]byte, 34)); err != nil {
		f.Fatal(err)
	}
	f.Add(build(f, small))
	f.Add(rawHeader(2, 0).tensorInfo("a", tensor.F32, 0, 2).tensorInfo("b", tensor.I8, 0, 8).padTo(32).u64(0).Bytes())

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for i := range file.Tensors {
			ti := &file.Tensors[i]
			if got := file.TensorData(ti); uint64(len(got)) != ti.Size() {
				t.Fatalf("tensor %q: %d bytes of data, want %d", ti.Name, len(got), ti.Size())
			}
		}
		var buf bytes.Buffer
		if _, err := FromFile(file).WriteTo(&buf); err != nil {
			t.Fatalf("writing an accepted file: %v", err)
		}
		again, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("parsing the rewritten file: %v", err)
		}
		if err := diffFiles(file, again, false); err != nil {
			t.Fatalf("rewritten file differs: %v", err)
		}
	})
}
