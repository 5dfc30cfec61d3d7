package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"zhi/tensor"
)

// Version is the GGUF version NewBuilder writes.
const Version = 3

// Builder collects metadata and tensors and writes them as a GGUF file.
// Tensor data is written at offsets computed from the tensors' sizes, in the
// order the tensors were added, each aligned to the file's alignment.
type Builder struct {
	version  uint32
	metadata []KV
	keys     map[string]int
	tensors  []pendingTensor
	names    map[string]bool
}

type pendingTensor struct {
	info TensorInfo
	// data holds the bytes of a tensor given to AddTensor. A tensor from
	// FromFile has src instead, and its bytes are fetched from src only when
	// written, so that writing after src was closed fails instead of
	// faulting on the released mapping.
	data []byte
	src  *File
}

func (t *pendingTensor) bytes() []byte {
	if t.src != nil {
		return t.src.TensorData(&t.info)
	}
	return t.data
}

// NewBuilder returns an empty Builder for a version 3 file. The alignment is
// DefaultAlignment unless general.alignment is set.
func NewBuilder() *Builder {
	return &Builder{version: Version, keys: map[string]int{}, names: map[string]bool{}}
}

// FromFile returns a Builder holding f's version, metadata and tensors, in
// f's order. The tensors' data is not copied but read from f when written,
// so f must stay open until then.
func FromFile(f *File) *Builder {
	b := NewBuilder()
	b.version = f.Version
	for _, kv := range f.Metadata {
		b.Set(kv.Key, kv.Value)
	}
	for _, t := range f.Tensors {
		t.Shape = slices.Clone(t.Shape)
		b.names[t.Name] = true
		b.tensors = append(b.tensors, pendingTensor{info: t, src: f})
	}
	return b
}

// Set sets a metadata key. A new key goes after the existing ones; replacing
// a key keeps its position.
func (b *Builder) Set(key string, v Value) {
	if i, ok := b.keys[key]; ok {
		b.metadata[i].Value = v
		return
	}
	b.keys[key] = len(b.metadata)
	b.metadata = append(b.metadata, KV{key, v})
}

// AddTensor adds a tensor of the given type and shape (innermost dimension
// first). data must hold exactly the tensor's bytes; it is not copied, so it
// must not change until the Builder has been written.
func (b *Builder) AddTensor(name string, typ tensor.Type, shape []uint64, data []byte) error {
	if b.names[name] {
		return fmt.Errorf("gguf: duplicate tensor name %q", name)
	}
	size, err := tensorSize(typ, shape)
	if err != nil {
		return fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	if uint64(len(data)) != size {
		return fmt.Errorf("gguf: tensor %q: %d bytes of data, want %d for %s %v", name, len(data), size, typ, shape)
	}
	b.names[name] = true
	b.tensors = append(b.tensors, pendingTensor{info: TensorInfo{Name: name, Shape: slices.Clone(shape), Type: typ}, data: data})
	return nil
}

// alignment returns the alignment general.alignment sets, checked.
func (b *Builder) alignment() (uint64, error) {
	i, ok := b.keys[AlignmentKey]
	if !ok {
		return DefaultAlignment, nil
	}
	return checkAlignment(b.metadata[i].Value)
}

// WriteTo writes the GGUF file to w and returns the number of bytes written.
// The header and each tensor's data are padded with zeros to the alignment,
// as ggml's writer does.
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	align, err := b.alignment()
	if err != nil {
		return 0, fmt.Errorf("gguf: %w", err)
	}
	for _, kv := range b.metadata {
		if kv.Value.arr != nil && kv.Value.arr.height > maxArrayDepth {
			return 0, fmt.Errorf("gguf: metadata %q: arrays nested more than %d deep", kv.Key, maxArrayDepth)
		}
	}
	data := make([][]byte, len(b.tensors))
	for i := range b.tensors {
		t := &b.tensors[i]
		data[i] = t.bytes()
		// Only a tensor from a File closed since can fail this.
		if uint64(len(data[i])) != t.info.Size() {
			return 0, fmt.Errorf("gguf: tensor %q: data unavailable (was its File closed?)", t.info.Name)
		}
	}

	cw := &countingWriter{w: w}
	e := &encoder{w: bufio.NewWriterSize(cw, 1<<16), cw: cw}
	e.write([]byte(magic))
	e.uint32(b.version)
	e.uint64(uint64(len(b.tensors)))
	e.uint64(uint64(len(b.metadata)))
	for _, kv := range b.metadata {
		e.string(kv.Key)
		e.uint32(uint32(kv.Value.typ))
		e.value(kv.Value)
	}
	var offset uint64
	for _, t := range b.tensors {
		e.string(t.info.Name)
		e.uint32(uint32(len(t.info.Shape)))
		for _, d := range t.info.Shape {
			e.uint64(d)
		}
		e.uint32(uint32(t.info.Type))
		e.uint64(offset)
		offset += alignUp(t.info.Size(), align)
	}
	e.pad(align)
	for _, d := range data {
		e.write(d)
		e.pad(align)
	}
	if err := e.w.Flush(); err != nil {
		return cw.n, fmt.Errorf("gguf: write: %w", err)
	}
	return cw.n, nil
}

// WriteFile writes the GGUF file to path. It writes a temporary file in the
// same directory and renames it, so path never holds a partial file, and a
// file being replaced stays intact for readers that have it open or mapped.
func (b *Builder) WriteFile(path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := b.WriteTo(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encoder writes the little-endian encoding of a GGUF file. Errors are left
// to the bufio.Writer, which keeps the first and returns it from Flush.
type encoder struct {
	w       *bufio.Writer
	cw      *countingWriter // under w
	scratch [8]byte
}

func (e *encoder) write(p []byte) { e.w.Write(p) }

func (e *encoder) uint32(v uint32) {
	e.write(binary.LittleEndian.AppendUint32(e.scratch[:0], v))
}

func (e *encoder) uint64(v uint64) {
	e.write(binary.LittleEndian.AppendUint64(e.scratch[:0], v))
}

func (e *encoder) string(s string) {
	e.uint64(uint64(len(s)))
	e.w.WriteString(s)
}

// value writes v without its type, which the caller has written or, for an
// array element, the array's element type implies.
func (e *encoder) value(v Value) {
	switch v.typ {
	case TypeString:
		e.string(v.str)
	case TypeArray:
		a := v.arr
		e.uint32(uint32(a.elem))
		e.uint64(uint64(a.n))
		e.write(a.raw)
		for _, s := range a.strs {
			e.string(s)
		}
		for _, elem := range a.vals {
			e.value(elem)
		}
	default:
		e.write(appendFixed(e.scratch[:0], v.typ, v.bits))
	}
}

// pad writes zeros up to the next multiple of align.
func (e *encoder) pad(align uint64) {
	pos := uint64(e.cw.n) + uint64(e.w.Buffered())
	for range alignUp(pos, align) - pos {
		e.w.WriteByte(0)
	}
}
