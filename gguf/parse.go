package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"zhi/tensor"
)

const (
	magic = "GGUF"
	// maxDims is GGML_MAX_DIMS.
	maxDims = 4
	// maxArrayDepth bounds the nesting of arrays of arrays, and with it the
	// recursion of the parser.
	maxArrayDepth = 16
	// The fewest bytes one metadata entry and one tensor description can
	// take; they bound the counts a header may claim.
	minKVSize     = 8 + 4 + 1     // key length, value type, a one-byte value
	minTensorSize = 8 + 4 + 4 + 8 // name length, n_dims, type, offset
)

// Parse parses a GGUF file held in memory. The File refers to data for
// tensor data and does not copy it; metadata is copied.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	return f, nil
}

// parse is Parse without the package prefix on errors, so that Open can name
// the file.
func parse(data []byte) (*File, error) {
	d := &decoder{data: data}
	f := &File{data: data}
	nTensors, nKV, err := d.header(f)
	if err != nil {
		return nil, err
	}
	if err := d.metadata(f, nKV); err != nil {
		return nil, err
	}
	if err := setAlignment(f); err != nil {
		return nil, err
	}
	if err := d.tensorInfos(f, nTensors); err != nil {
		return nil, err
	}
	f.DataOffset = alignUp(uint64(d.off), f.Alignment)
	if err := checkTensorData(f); err != nil {
		return nil, err
	}
	return f, nil
}

// decoder reads the little-endian encoding of a GGUF header. Every read
// checks the bytes left first, so lengths from the file are never trusted
// for an allocation.
type decoder struct {
	data []byte
	off  int
}

func (d *decoder) remaining() uint64 { return uint64(len(d.data) - d.off) }

// take returns the next n bytes.
func (d *decoder) take(n uint64, what string) ([]byte, error) {
	if n > d.remaining() {
		return nil, fmt.Errorf("truncated or corrupt: %s needs %d bytes at offset %d, only %d left",
			what, n, d.off, d.remaining())
	}
	b := d.data[d.off : d.off+int(n)]
	d.off += int(n)
	return b, nil
}

func (d *decoder) uint32(what string) (uint32, error) {
	b, err := d.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) uint64(what string) (uint64, error) {
	b, err := d.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *decoder) string(what string) (string, error) {
	n, err := d.uint64(what + " length")
	if err != nil {
		return "", err
	}
	b, err := d.take(n, what)
	return string(b), err
}

// checkCount refuses a count of items of at least minSize bytes each that
// cannot fit in the bytes left.
func (d *decoder) checkCount(n, minSize uint64, what string) error {
	if n > d.remaining()/minSize {
		return fmt.Errorf("%s %d cannot fit in the %d bytes left at offset %d", what, n, d.remaining(), d.off)
	}
	return nil
}

func (d *decoder) header(f *File) (nTensors, nKV uint64, err error) {
	m, err := d.take(4, "magic")
	if err != nil {
		return 0, 0, err
	}
	switch string(m) {
	case magic:
	case "FUGG":
		return 0, 0, errors.New(`byte-swapped magic "FUGG": big-endian or corrupt file (big-endian GGUF is not supported)`)
	default:
		return 0, 0, fmt.Errorf("bad magic %q: not a GGUF file", m)
	}
	if f.Version, err = d.uint32("version"); err != nil {
		return 0, 0, err
	}
	switch v := f.Version; {
	case v == 2 || v == 3:
	case v == 1:
		return 0, 0, errors.New("version 1 is not supported (it used 32-bit lengths); only versions 2 and 3 are")
	case bits.ReverseBytes32(v) == 2 || bits.ReverseBytes32(v) == 3:
		return 0, 0, fmt.Errorf("version %#x looks byte-swapped: big-endian or corrupt file (big-endian GGUF is not supported)", v)
	default:
		return 0, 0, fmt.Errorf("unsupported version %d (only 2 and 3 are supported)", v)
	}
	if nTensors, err = d.uint64("tensor count"); err != nil {
		return 0, 0, err
	}
	if nKV, err = d.uint64("metadata count"); err != nil {
		return 0, 0, err
	}
	if err := d.checkCount(nTensors, minTensorSize, "tensor count"); err != nil {
		return 0, 0, err
	}
	if err := d.checkCount(nKV, minKVSize, "metadata count"); err != nil {
		return 0, 0, err
	}
	return nTensors, nKV, nil
}

func (d *decoder) metadata(f *File, n uint64) error {
	f.Metadata = make([]KV, 0, n)
	f.keys = make(map[string]int, n)
	for i := range n {
		key, err := d.string("metadata key")
		if err != nil {
			return fmt.Errorf("metadata entry %d: %w", i, err)
		}
		if _, dup := f.keys[key]; dup {
			return fmt.Errorf("duplicate metadata key %q", key)
		}
		t, err := d.uint32("value type")
		if err != nil {
			return fmt.Errorf("metadata %q: %w", key, err)
		}
		v, err := d.value(ValueType(t), 0)
		if err != nil {
			return fmt.Errorf("metadata %q: %w", key, err)
		}
		f.keys[key] = len(f.Metadata)
		f.Metadata = append(f.Metadata, KV{key, v})
	}
	return nil
}

// value reads a value of type t found inside depth enclosing arrays.
func (d *decoder) value(t ValueType, depth int) (Value, error) {
	switch {
	case t == TypeString:
		s, err := d.string("string")
		return String(s), err
	case t == TypeArray:
		return d.array(depth + 1)
	case t.valid():
		b, err := d.take(uint64(t.size()), t.String())
		if err != nil {
			return Value{}, err
		}
		if t == TypeBool && b[0] > 1 {
			return Value{}, fmt.Errorf("bool byte %d is neither 0 nor 1", b[0])
		}
		return Value{typ: t, bits: decodeFixed(t, b)}, nil
	}
	return Value{}, fmt.Errorf("unknown value type %d", uint32(t))
}

// array reads an array at nesting level depth (1 for an outermost array).
func (d *decoder) array(depth int) (Value, error) {
	if depth > maxArrayDepth {
		return Value{}, fmt.Errorf("arrays nested more than %d deep", maxArrayDepth)
	}
	t, err := d.uint32("array element type")
	if err != nil {
		return Value{}, err
	}
	elem := ValueType(t)
	if !elem.valid() {
		return Value{}, fmt.Errorf("unknown array element type %d", t)
	}
	n, err := d.uint64("array length")
	if err != nil {
		return Value{}, err
	}
	if err := d.checkCount(n, elem.minSize(), "array length"); err != nil {
		return Value{}, fmt.Errorf("array of %s: %w", elem, err)
	}
	a := &array{elem: elem, n: int(n), height: 1}
	switch elem {
	case TypeString:
		a.strs = make([]string, n)
		for i := range a.strs {
			if a.strs[i], err = d.string("string"); err != nil {
				return Value{}, fmt.Errorf("array element %d: %w", i, err)
			}
		}
	case TypeArray:
		a.vals = make([]Value, n)
		for i := range a.vals {
			if a.vals[i], err = d.array(depth + 1); err != nil {
				return Value{}, fmt.Errorf("array element %d: %w", i, err)
			}
			a.height = max(a.height, a.vals[i].arr.height+1)
		}
	default:
		raw, err := d.take(n*uint64(elem.size()), "array of "+elem.String())
		if err != nil {
			return Value{}, err
		}
		if elem == TypeBool {
			for i, b := range raw {
				if b > 1 {
					return Value{}, fmt.Errorf("array element %d: bool byte %d is neither 0 nor 1", i, b)
				}
			}
		}
		// Copied so that metadata outlives the file's mapping.
		a.raw = bytes.Clone(raw)
	}
	return Value{typ: TypeArray, arr: a}, nil
}

func setAlignment(f *File) error {
	f.Alignment = DefaultAlignment
	v, ok := f.Lookup(AlignmentKey)
	if !ok {
		return nil
	}
	a, err := checkAlignment(v)
	f.Alignment = a
	return err
}

// checkAlignment returns the alignment a general.alignment value sets.
func checkAlignment(v Value) (uint64, error) {
	if v.Type() != TypeUint32 {
		return 0, fmt.Errorf("%s has type %s, want uint32", AlignmentKey, v.Type())
	}
	if a := v.bits; a != 0 && a&(a-1) == 0 {
		return a, nil
	}
	return 0, fmt.Errorf("%s %d is not a power of two", AlignmentKey, v.bits)
}

func (d *decoder) tensorInfos(f *File, n uint64) error {
	f.Tensors = make([]TensorInfo, 0, n)
	f.tensors = make(map[string]int, n)
	for i := range n {
		t, err := d.tensorInfo()
		if err != nil {
			if t.Name != "" {
				return fmt.Errorf("tensor %d %q: %w", i, t.Name, err)
			}
			return fmt.Errorf("tensor %d: %w", i, err)
		}
		if _, dup := f.tensors[t.Name]; dup {
			return fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		f.tensors[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	return nil
}

// tensorInfo reads one tensor description. On error the returned info holds
// what was read, for the message.
func (d *decoder) tensorInfo() (TensorInfo, error) {
	var t TensorInfo
	var err error
	if t.Name, err = d.string("tensor name"); err != nil {
		return t, err
	}
	nDims, err := d.uint32("dimension count")
	if err != nil {
		return t, err
	}
	if nDims > maxDims {
		return t, fmt.Errorf("%d dimensions, at most %d allowed", nDims, maxDims)
	}
	t.Shape = make([]uint64, nDims)
	for i := range t.Shape {
		if t.Shape[i], err = d.uint64("dimension"); err != nil {
			return t, err
		}
	}
	typ, err := d.uint32("tensor type")
	if err != nil {
		return t, err
	}
	t.Type = tensor.Type(typ)
	if t.Offset, err = d.uint64("tensor offset"); err != nil {
		return t, err
	}
	_, err = tensorSize(t.Type, t.Shape)
	return t, err
}

// checkTensorData checks that every tensor's data is aligned and lies
// within the file. Tensors may share data; ggml files never do, but nothing
// breaks if they do.
func checkTensorData(f *File) error {
	var dataLen uint64
	if f.DataOffset < uint64(len(f.data)) {
		dataLen = uint64(len(f.data)) - f.DataOffset
	}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Offset%f.Alignment != 0 {
			return fmt.Errorf("tensor %q: data offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)
		}
		if size := t.Size(); t.Offset > dataLen || size > dataLen-t.Offset {
			return fmt.Errorf("tensor %q: %d bytes of data at offset %d lie outside the %d-byte data section",
				t.Name, size, t.Offset, dataLen)
		}
	}
	return nil
}

// alignUp rounds n up to a multiple of align, a power of two.
func alignUp(n, align uint64) uint64 { return (n + align - 1) &^ (align - 1) }
