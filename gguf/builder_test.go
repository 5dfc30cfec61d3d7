package gguf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhi/tensor"
)

func TestBuilderRoundTrip(t *testing.T) {
	for _, align := range []uint32{0, 1, 64, 4096} {
		b := sampleBuilder(t)
		if align != 0 {
			b.Set(AlignmentKey, Uint32(align))
		}
		data := build(t, b)
		f, err := Parse(data)
		if err != nil {
			t.Fatalf("alignment %d: %v", align, err)
		}
		want := uint64(align)
		if align == 0 {
			want = DefaultAlignment
		}
		if f.Alignment != want || f.DataOffset%want != 0 || uint64(len(data))%want != 0 {
			t.Errorf("alignment %d: file has alignment %d, data offset %d, length %d", align, f.Alignment, f.DataOffset, len(data))
		}
		// Metadata in insertion order, every value intact.
		for i, kv := range b.metadata {
			if got := f.Metadata[i]; got.Key != kv.Key || !got.Value.Equal(kv.Value) {
				t.Errorf("metadata %d: got %q = %v, want %q = %v", i, got.Key, got.Value, kv.Key, kv.Value)
			}
		}
		// Tensors in order, packed at aligned offsets, data as given, zeros between.
		var next uint64
		for i, pt := range b.tensors {
			ti := &f.Tensors[i]
			if ti.Name != pt.info.Name || ti.Offset != next {
				t.Errorf("tensor %d: %q at %d, want %q at %d", i, ti.Name, ti.Offset, pt.info.Name, next)
			}
			if !bytes.Equal(f.TensorData(ti), pt.data) {
				t.Errorf("tensor %q: data differs", ti.Name)
			}
			end := f.DataOffset + ti.Offset + ti.Size()
			next = alignUp(ti.Offset+ti.Size(), f.Alignment)
			if pad := data[end : f.DataOffset+next]; len(bytes.Trim(pad, "\x00")) != 0 {
				t.Errorf("tensor %q: padding after it is not zeros", ti.Name)
			}
		}
		// And again through FromFile.
		g, err := Parse(build(t, FromFile(f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := diffFiles(f, g, true); err != nil {
			t.Errorf("alignment %d: %v", align, err)
		}
	}
}

func TestFromFileKeepsVersion2(t *testing.T) {
	data := build(t, sampleBuilder(t))
	data[4] = 2
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	out := build(t, FromFile(f))
	if !bytes.Equal(out, data) {
		t.Error("version 2 file did not round-trip byte for byte")
	}
}

func TestFromFileEdit(t *testing.T) {
	f, err := Parse(build(t, sampleBuilder(t)))
	if err != nil {
		t.Fatal(err)
	}
	b := FromFile(f)
	b.Set("general.architecture", String("qwen2"))
	b.Set("new", Uint32(7))
	g, err := Parse(build(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if kv := g.Metadata[0]; kv.Key != "general.architecture" || kv.Value.String() != "qwen2" {
		t.Errorf("replaced key: %q = %v, want it first with value qwen2", kv.Key, kv.Value)
	}
	if kv := g.Metadata[len(g.Metadata)-1]; kv.Key != "new" {
		t.Errorf("last key %q, want the new one", kv.Key)
	}
	if len(g.Metadata) != len(f.Metadata)+1 {
		t.Errorf("%d keys, want %d", len(g.Metadata), len(f.Metadata)+1)
	}
}

func TestWriteAfterCloseRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := sampleBuilder(t).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b := FromFile(f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.TensorData(&f.Tensors[0]) != nil {
		t.Error("TensorData returned data after Close")
	}
	if s, ok := f.String("general.architecture"); !ok || s != "llama" {
		t.Error("metadata lost after Close")
	}
	if _, err := b.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("WriteTo after Close: %v", err)
	}
}

func TestAddTensorRefuses(t *testing.T) {
	b := NewBuilder()
	if err := b.AddTensor("a", tensor.F32, []uint64{2}, make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		typ   tensor.Type
		shape []uint64
		size  int
		want  string
	}{
		{"a", tensor.F32, []uint64{2}, 8, `duplicate tensor name "a"`},
		{"b", tensor.F32, []uint64{2}, 7, "7 bytes of data, want 8"},
		{"b", 99, []uint64{2}, 8, "unknown tensor type 99"},
		{"b", tensor.Q8_0, []uint64{16}, 17, "not a multiple of the Q8_0 block size 32"},
		{"b", tensor.F32, []uint64{1, 1, 1, 1, 1}, 4, "5 dimensions"},
		{"b", tensor.F32, []uint64{2, 0}, 0, "dimension 1 is zero"},
	}
	for _, tt := range tests {
		err := b.AddTensor(tt.name, tt.typ, tt.shape, make([]byte, tt.size))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddTensor(%q, %v, %v): error %v, want %q", tt.name, tt.typ, tt.shape, err, tt.want)
		}
	}
	if len(b.tensors) != 1 {
		t.Errorf("%d tensors after refusals, want 1", len(b.tensors))
	}
}

func TestWriteToRefuses(t *testing.T) {
	deep := Uint8s(nil)
	for range maxArrayDepth {
		deep = Array(TypeArray, []Value{deep})
	}
	tests := []struct {
		key  string
		v    Value
		want string
	}{
		{AlignmentKey, Uint64(32), "want uint32"},
		{AlignmentKey, Uint32(24), "not a power of two"},
		{"deep", deep, "nested more than 16 deep"},
	}
	for _, tt := range tests {
		b := NewBuilder()
		b.Set(tt.key, tt.v)
		var buf bytes.Buffer
		if _, err := b.WriteTo(&buf); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.key, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before refusing", tt.key, buf.Len())
		}
	}
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteToReportsWriteErrors(t *testing.T) {
	b := sampleBuilder(t)
	for _, limit := range []int{0, 10, 1000} {
		n, err := b.WriteTo(&failingWriter{n: limit})
		if !errors.Is(err, errDiskFull) || n != int64(limit) {
			t.Errorf("limit %d: WriteTo = %d, %v", limit, n, err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.gguf")
	if err := sampleBuilder(t).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before := bytes.Clone(f.TensorData(&f.Tensors[0]))

	// Replacing a file that is open keeps the open mapping intact.
	b := FromFile(f)
	b.Set("general.architecture", String("edited"))
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.TensorData(&f.Tensors[0]), before) {
		t.Error("mapping of the replaced file changed")
	}
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if s, _ := g.String("general.architecture"); s != "edited" {
		t.Errorf("rewritten file has architecture %q", s)
	}
	if err := diffFiles(f, g, true); err == nil || !strings.Contains(err.Error(), "general.architecture") {
		t.Errorf("files differ by %v, want only the edited key", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(entries))
	}

	if err := NewBuilder().WriteFile(filepath.Join(dir, "missing", "x.gguf")); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.gguf")); err == nil {
		t.Error("opened a missing file")
	}
	empty := filepath.Join(dir, "empty.gguf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Open(dir); err == nil {
		t.Error("opened a directory")
	}
}

func TestArrayPanicsOnMixedTypes(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "element 1 is string, want uint32") {
			t.Errorf("recovered %v", r)
		}
	}()
	Array(TypeUint32, []Value{Uint32(1), String("x")})
}

func TestArrayMatchesTypedConstructors(t *testing.T) {
	if !Array(TypeInt16, []Value{Int16(-1), Int16(5)}).Equal(Int16s([]int16{-1, 5})) {
		t.Error("Array(TypeInt16) differs from Int16s")
	}
	if !Array(TypeString, []Value{String("a")}).Equal(Strings([]string{"a"})) {
		t.Error("Array(TypeString) differs from Strings")
	}
	if Float32s([]float32{1}).Equal(Uint32s([]uint32{0x3f800000})) {
		t.Error("arrays of different element types are equal")
	}
}
