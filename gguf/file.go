// Package gguf reads and writes GGUF files, the model format of ggml and
// llama.cpp: typed metadata followed by tensor descriptions and the tensors'
// data. Versions 2 and 3 are supported, in little-endian byte order.
//
// Open maps a file into memory; tensor data is then read in place, never
// copied. A Builder writes files, and FromFile turns an open file into a
// Builder for round trips and edits.
package gguf

import (
	"fmt"
	"math/bits"

	"zhi/tensor"
)

// DefaultAlignment is the alignment of tensor data in a file without a
// general.alignment key.
const DefaultAlignment = 32

// AlignmentKey is the metadata key that sets the alignment of tensor data.
// Its value must be a uint32 power of two.
const AlignmentKey = "general.alignment"

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name string
	// Shape lists the dimensions innermost first, as ggml's ne: Shape[0] is
	// the length of a row.
	Shape []uint64
	Type  tensor.Type
	// Offset is where the tensor's data starts, relative to the start of the
	// data section.
	Offset uint64
}

// NumElements returns the number of values the tensor holds.
func (t *TensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Size returns the number of bytes of the tensor's data, or 0 if its type
// is unknown.
func (t *TensorInfo) Size() uint64 {
	bs := uint64(t.Type.BlockSize())
	if bs == 0 {
		return 0
	}
	return t.NumElements() / bs * uint64(t.Type.TypeSize())
}

// tensorSize checks that a tensor of the given type and shape can exist and
// returns its size in bytes.
func tensorSize(typ tensor.Type, shape []uint64) (uint64, error) {
	if !typ.Known() {
		return 0, fmt.Errorf("unknown tensor type %d", uint32(typ))
	}
	if len(shape) > maxDims {
		return 0, fmt.Errorf("%d dimensions, at most %d allowed", len(shape), maxDims)
	}
	n := uint64(1)
	for i, d := range shape {
		if d == 0 {
			return 0, fmt.Errorf("dimension %d is zero", i)
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > maxElements {
			return 0, fmt.Errorf("shape %v overflows the element count", shape)
		}
		n = lo
	}
	bs := uint64(typ.BlockSize())
	if row := rowLength(shape); row%bs != 0 {
		return 0, fmt.Errorf("row length %d is not a multiple of the %s block size %d", row, typ, bs)
	}
	hi, size := bits.Mul64(n/bs, uint64(typ.TypeSize()))
	if hi != 0 {
		return 0, fmt.Errorf("shape %v of %s overflows the byte size", shape, typ)
	}
	return size, nil
}

// maxElements bounds a tensor's element count so that it fits ggml's int64.
const maxElements = 1<<63 - 1

func rowLength(shape []uint64) uint64 {
	if len(shape) == 0 {
		return 1
	}
	return shape[0]
}

// File is a parsed GGUF file. Its metadata stays valid after Close; the
// slices TensorData returns do not.
type File struct {
	Version uint32
	// Alignment is that of the tensor data: general.alignment, or
	// DefaultAlignment when the file does not set it.
	Alignment uint64
	Metadata  []KV         // in file order
	Tensors   []TensorInfo // in file order
	// DataOffset is the offset in the file of the data section, to which
	// tensor offsets are relative.
	DataOffset uint64

	data    []byte       // the whole file
	unmap   func() error // releases data; nil when there is nothing to release
	keys    map[string]int
	tensors map[string]int
}

// Size is the file's length in bytes.
func (f *File) Size() int64 { return int64(len(f.data)) }

// Close releases the file's mapping. Slices returned by TensorData must not
// be used afterwards.
func (f *File) Close() error {
	unmap := f.unmap
	f.data, f.unmap = nil, nil
	if unmap == nil {
		return nil
	}
	if err := unmap(); err != nil {
		return fmt.Errorf("gguf: unmap: %w", err)
	}
	return nil
}

// Lookup returns the value of a metadata key.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.Metadata[i].Value, true
}

// lookupAs returns the value of key converted by as; ok is false when the
// key is missing or as refuses its value.
func lookupAs[T any](f *File, key string, as func(Value) (T, bool)) (T, bool) {
	v, ok := f.Lookup(key)
	if !ok {
		var zero T
		return zero, false
	}
	return as(v)
}

// String returns the value of a string key.
func (f *File) String(key string) (string, bool) { return lookupAs(f, key, Value.AsString) }

// Uint returns the value of an integer key of any type holding a value that
// is not negative.
func (f *File) Uint(key string) (uint64, bool) { return lookupAs(f, key, Value.AsUint) }

// Int returns the value of an integer key of any type that fits an int64.
func (f *File) Int(key string) (int64, bool) { return lookupAs(f, key, Value.AsInt) }

// Float returns the value of a float32 or float64 key, or of an integer key
// converted to float64.
func (f *File) Float(key string) (float64, bool) { return lookupAs(f, key, Value.AsFloat) }

// Bool returns the value of a bool key.
func (f *File) Bool(key string) (bool, bool) { return lookupAs(f, key, Value.AsBool) }

// Strings returns the elements of an array-of-strings key.
func (f *File) Strings(key string) ([]string, bool) { return lookupAs(f, key, Value.AsStrings) }

// Float32s returns the elements of an array-of-float32 key.
func (f *File) Float32s(key string) ([]float32, bool) { return lookupAs(f, key, Value.AsFloat32s) }

// Int32s returns the elements of an array key of any integer type whose
// elements all fit an int32.
func (f *File) Int32s(key string) ([]int32, bool) { return lookupAs(f, key, Value.AsInt32s) }

// Tensor returns the description of the named tensor.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the bytes of a tensor's data: a read-only view into the
// file, valid until Close. It returns nil if t's data is not within the file.
func (f *File) TensorData(t *TensorInfo) []byte {
	size := t.Size()
	start := f.DataOffset + t.Offset
	if start < f.DataOffset || start > uint64(len(f.data)) || size > uint64(len(f.data))-start {
		return nil
	}
	end := start + size
	// The capacity is cut so that an append cannot write into the mapping.
	return f.data[start:end:end]
}
