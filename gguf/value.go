package gguf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ValueType is the type of a metadata value, numbered as in the file format.
type ValueType uint32

// The metadata value types of the GGUF format.
const (
	TypeUint8 ValueType = iota
	TypeInt8
	TypeUint16
	TypeInt16
	TypeUint32
	TypeInt32
	TypeFloat32
	TypeBool
	TypeString
	TypeArray
	TypeUint64
	TypeInt64
	TypeFloat64
)

var valueTypeNames = [...]string{
	"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
	"bool", "string", "array", "uint64", "int64", "float64",
}

// String returns the lower-case name of the type, such as "uint32".
func (t ValueType) String() string {
	if t.valid() {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("value_type(%d)", uint32(t))
}

func (t ValueType) valid() bool { return t <= TypeFloat64 }

// size returns the encoded size of a fixed-size type, and 0 for strings,
// arrays and unknown types.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes one encoded value of type t can occupy; it
// bounds how many elements an array can claim before any allocation.
func (t ValueType) minSize() uint64 {
	switch t {
	case TypeString:
		return 8 // length
	case TypeArray:
		return 12 // element type and length
	}
	return uint64(t.size())
}

func (t ValueType) isSigned() bool {
	return t == TypeInt8 || t == TypeInt16 || t == TypeInt32 || t == TypeInt64
}

func (t ValueType) isUnsigned() bool {
	return t == TypeUint8 || t == TypeUint16 || t == TypeUint32 || t == TypeUint64
}

// Value is one metadata value: a number, bool, string, or an array of values
// of one type (arrays may hold arrays). Values are immutable; the zero Value
// is the uint8 0.
type Value struct {
	typ ValueType
	// bits holds a fixed-size scalar as the file stores it: floats as their
	// IEEE bits, signed integers sign-extended.
	bits uint64
	str  string
	arr  *array
}

type array struct {
	elem ValueType
	n    int
	// Exactly one of these holds the elements, by element type. Fixed-size
	// elements stay in their little-endian file encoding so that reading and
	// writing them is a copy.
	raw  []byte
	strs []string
	vals []Value
	// height is the nesting depth: 1 for an array of non-arrays.
	height int
}

// Uint8 returns a uint8 value.
func Uint8(v uint8) Value { return Value{typ: TypeUint8, bits: uint64(v)} }

// Int8 returns an int8 value.
func Int8(v int8) Value { return Value{typ: TypeInt8, bits: uint64(int64(v))} }

// Uint16 returns a uint16 value.
func Uint16(v uint16) Value { return Value{typ: TypeUint16, bits: uint64(v)} }

// Int16 returns an int16 value.
func Int16(v int16) Value { return Value{typ: TypeInt16, bits: uint64(int64(v))} }

// Uint32 returns a uint32 value.
func Uint32(v uint32) Value { return Value{typ: TypeUint32, bits: uint64(v)} }

// Int32 returns an int32 value.
func Int32(v int32) Value { return Value{typ: TypeInt32, bits: uint64(int64(v))} }

// Uint64 returns a uint64 value.
func Uint64(v uint64) Value { return Value{typ: TypeUint64, bits: v} }

// Int64 returns an int64 value.
func Int64(v int64) Value { return Value{typ: TypeInt64, bits: uint64(v)} }

// Float32 returns a float32 value.
func Float32(v float32) Value { return Value{typ: TypeFloat32, bits: uint64(math.Float32bits(v))} }

// Float64 returns a float64 value.
func Float64(v float64) Value { return Value{typ: TypeFloat64, bits: math.Float64bits(v)} }

// Bool returns a bool value.
func Bool(v bool) Value {
	if v {
		return Value{typ: TypeBool, bits: 1}
	}
	return Value{typ: TypeBool}
}

// String returns a string value. GGUF strings are bytes; s need not be UTF-8.
func String(s string) Value { return Value{typ: TypeString, str: s} }

type fixedSize interface {
	uint8 | int8 | uint16 | int16 | uint32 | int32 | float32 | bool | uint64 | int64 | float64
}

func fixedArray[T fixedSize](elem ValueType, xs []T) Value {
	raw, err := binary.Append(make([]byte, 0, len(xs)*elem.size()), binary.LittleEndian, xs)
	if err != nil {
		// Unreachable: every type in fixedSize has a fixed encoding.
		panic("gguf: " + err.Error())
	}
	return Value{typ: TypeArray, arr: &array{elem: elem, n: len(xs), raw: raw, height: 1}}
}

// Uint8s returns an array of uint8.
func Uint8s(xs []uint8) Value { return fixedArray(TypeUint8, xs) }

// Int8s returns an array of int8.
func Int8s(xs []int8) Value { return fixedArray(TypeInt8, xs) }

// Uint16s returns an array of uint16.
func Uint16s(xs []uint16) Value { return fixedArray(TypeUint16, xs) }

// Int16s returns an array of int16.
func Int16s(xs []int16) Value { return fixedArray(TypeInt16, xs) }

// Uint32s returns an array of uint32.
func Uint32s(xs []uint32) Value { return fixedArray(TypeUint32, xs) }

// Int32s returns an array of int32.
func Int32s(xs []int32) Value { return fixedArray(TypeInt32, xs) }

// Uint64s returns an array of uint64.
func Uint64s(xs []uint64) Value { return fixedArray(TypeUint64, xs) }

// Int64s returns an array of int64.
func Int64s(xs []int64) Value { return fixedArray(TypeInt64, xs) }

// Float32s returns an array of float32.
func Float32s(xs []float32) Value { return fixedArray(TypeFloat32, xs) }

// Float64s returns an array of float64.
func Float64s(xs []float64) Value { return fixedArray(TypeFloat64, xs) }

// Bools returns an array of bool.
func Bools(xs []bool) Value { return fixedArray(TypeBool, xs) }

// Strings returns an array of strings.
func Strings(xs []string) Value {
	return Value{typ: TypeArray, arr: &array{elem: TypeString, n: len(xs), strs: slices.Clone(xs), height: 1}}
}

// Array returns an array whose elements have type elem; elem may be TypeArray
// for an array of arrays, whose element arrays may differ in type and length.
// Like a failed type assertion, it panics if elem is not a valid type or an
// element's type is not elem: that is a mistake in the calling code.
func Array(elem ValueType, vals []Value) Value {
	if !elem.valid() {
		panic(fmt.Sprintf("gguf.Array: invalid element type %d", uint32(elem)))
	}
	for i, v := range vals {
		if v.typ != elem {
			panic(fmt.Sprintf("gguf.Array: element %d is %s, want %s", i, v.typ, elem))
		}
	}
	a := &array{elem: elem, n: len(vals), height: 1}
	switch elem {
	case TypeString:
		a.strs = make([]string, len(vals))
		for i, v := range vals {
			a.strs[i] = v.str
		}
	case TypeArray:
		a.vals = slices.Clone(vals)
		for _, v := range vals {
			a.height = max(a.height, v.arr.height+1)
		}
	default:
		a.raw = make([]byte, 0, len(vals)*elem.size())
		for _, v := range vals {
			a.raw = appendFixed(a.raw, elem, v.bits)
		}
	}
	return Value{typ: TypeArray, arr: a}
}

// decodeFixed returns the bits of one little-endian fixed-size value.
func decodeFixed(t ValueType, b []byte) uint64 {
	var u uint64
	switch t.size() {
	case 1:
		u = uint64(b[0])
	case 2:
		u = uint64(binary.LittleEndian.Uint16(b))
	case 4:
		u = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		u = binary.LittleEndian.Uint64(b)
	}
	switch t {
	case TypeInt8:
		u = uint64(int64(int8(u)))
	case TypeInt16:
		u = uint64(int64(int16(u)))
	case TypeInt32:
		u = uint64(int64(int32(u)))
	}
	return u
}

// appendFixed appends the little-endian encoding of a fixed-size value.
func appendFixed(dst []byte, t ValueType, bits uint64) []byte {
	switch t.size() {
	case 1:
		return append(dst, byte(bits))
	case 2:
		return binary.LittleEndian.AppendUint16(dst, uint16(bits))
	case 4:
		return binary.LittleEndian.AppendUint32(dst, uint32(bits))
	}
	return binary.LittleEndian.AppendUint64(dst, bits)
}

// Type returns the type of v.
func (v Value) Type() ValueType { return v.typ }

// ElemType returns the element type of an array. For a value that is not an
// array it returns v.Type().
func (v Value) ElemType() ValueType {
	if v.arr == nil {
		return v.typ
	}
	return v.arr.elem
}

// Len returns the number of elements of an array, and 0 for other values.
func (v Value) Len() int {
	if v.arr == nil {
		return 0
	}
	return v.arr.n
}

// Index returns element i of an array. Like a slice index, it panics if v is
// not an array or i is out of range.
func (v Value) Index(i int) Value {
	if v.arr == nil {
		panic("gguf: Index of a " + v.typ.String() + " value")
	}
	a := v.arr
	if i < 0 || i >= a.n {
		panic(fmt.Sprintf("gguf: index %d out of range [0:%d]", i, a.n))
	}
	switch a.elem {
	case TypeString:
		return String(a.strs[i])
	case TypeArray:
		return a.vals[i]
	}
	size := a.elem.size()
	return Value{typ: a.elem, bits: decodeFixed(a.elem, a.raw[i*size:])}
}

// AsString returns the string a string value holds.
func (v Value) AsString() (string, bool) { return v.str, v.typ == TypeString }

// AsBool returns the value of a bool.
func (v Value) AsBool() (bool, bool) { return v.bits != 0, v.typ == TypeBool }

// AsUint returns the value of an integer of any type that is not negative.
func (v Value) AsUint() (uint64, bool) {
	switch {
	case v.typ.isUnsigned():
		return v.bits, true
	case v.typ.isSigned() && int64(v.bits) >= 0:
		return v.bits, true
	}
	return 0, false
}

// AsInt returns the value of an integer of any type that fits an int64.
func (v Value) AsInt() (int64, bool) {
	switch {
	case v.typ.isSigned():
		return int64(v.bits), true
	case v.typ.isUnsigned() && v.bits <= math.MaxInt64:
		return int64(v.bits), true
	}
	return 0, false
}

// AsFloat returns the value of a float32 or float64, or of an integer
// converted to float64.
func (v Value) AsFloat() (float64, bool) {
	switch {
	case v.typ == TypeFloat32:
		return float64(math.Float32frombits(uint32(v.bits))), true
	case v.typ == TypeFloat64:
		return math.Float64frombits(v.bits), true
	case v.typ.isSigned():
		return float64(int64(v.bits)), true
	case v.typ.isUnsigned():
		return float64(v.bits), true
	}
	return 0, false
}

// AsStrings returns a copy of the elements of an array of strings.
func (v Value) AsStrings() ([]string, bool) {
	if v.arr == nil || v.arr.elem != TypeString {
		return nil, false
	}
	return slices.Clone(v.arr.strs), true
}

// AsFloat32s returns the elements of an array of float32.
func (v Value) AsFloat32s() ([]float32, bool) {
	if v.arr == nil || v.arr.elem != TypeFloat32 {
		return nil, false
	}
	out := make([]float32, v.arr.n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.arr.raw[4*i:]))
	}
	return out, true
}

// AsInt32s returns the elements of an array of any integer type, if every
// element fits an int32.
func (v Value) AsInt32s() ([]int32, bool) {
	if v.arr == nil || !(v.arr.elem.isSigned() || v.arr.elem.isUnsigned()) {
		return nil, false
	}
	out := make([]int32, v.arr.n)
	for i := range out {
		x, ok := v.Index(i).AsInt()
		if !ok || x < math.MinInt32 || x > math.MaxInt32 {
			return nil, false
		}
		out[i] = int32(x)
	}
	return out, true
}

// Equal reports whether v and w have the same type and contents. Floats are
// compared by their bits, so a NaN equals itself.
func (v Value) Equal(w Value) bool {
	if v.typ != w.typ || v.bits != w.bits || v.str != w.str {
		return false
	}
	if v.arr == nil || w.arr == nil {
		return v.arr == w.arr
	}
	a, b := v.arr, w.arr
	return a.elem == b.elem && a.n == b.n &&
		bytes.Equal(a.raw, b.raw) && slices.Equal(a.strs, b.strs) &&
		slices.EqualFunc(a.vals, b.vals, Value.Equal)
}

// maxShownElems bounds how many array elements String shows.
const maxShownElems = 8

// String formats v for people: a string as itself, a number in decimal, an
// array as its first few elements (strings quoted) and its length.
func (v Value) String() string {
	switch {
	case v.typ == TypeString:
		return v.str
	case v.typ == TypeBool:
		return strconv.FormatBool(v.bits != 0)
	case v.typ == TypeFloat32:
		return strconv.FormatFloat(float64(math.Float32frombits(uint32(v.bits))), 'g', -1, 32)
	case v.typ == TypeFloat64:
		return strconv.FormatFloat(math.Float64frombits(v.bits), 'g', -1, 64)
	case v.typ.isSigned():
		return strconv.FormatInt(int64(v.bits), 10)
	case v.typ.isUnsigned():
		return strconv.FormatUint(v.bits, 10)
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range min(v.arr.n, maxShownElems) {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if e := v.Index(i); e.typ == TypeString {
			sb.WriteString(strconv.Quote(e.str))
		} else {
			sb.WriteString(e.String())
		}
	}
	if v.arr.n > maxShownElems {
		sb.WriteString(" ...")
	}
	fmt.Fprintf(&sb, "] (%d × %s)", v.arr.n, v.arr.elem)
	return sb.String()
}
