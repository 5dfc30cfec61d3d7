package gguf

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"zhi/tensor"
)

// withTensor returns a file holding one tensor description followed by
// dataLen bytes of data.
func withTensor(name string, typ tensor.Type, offset uint64, dataLen int, shape ...uint64) []byte {
	r := rawHeader(1, 0).tensorInfo(name, typ, offset, shape...).padTo(DefaultAlignment)
	r.Write(make([]byte, dataLen))
	return r.Bytes()
}

// withKV returns a file holding one metadata entry of type typ whose
// encoded value is built by value.
func withKV(key string, typ ValueType, value func(r *rawFile)) []byte {
	r := rawHeader(0, 1).str(key).u32(uint32(typ))
	value(r)
	return r.Bytes()
}

// nestedArrays encodes arrays of arrays depth deep around an empty uint8
// array.
func nestedArrays(r *rawFile, depth int) {
	for range depth - 1 {
		r.u32(uint32(TypeArray)).u64(1)
	}
	r.u32(uint32(TypeUint8)).u64(0)
}

func TestParseRefusesMalformed(t *testing.T) {
	valid := build(t, sampleBuilder(t))
	tests := []struct {
		name string
		data []byte
		want string // a fragment of the error
	}{
		{"empty", nil, "truncated"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), "bad magic"},
		{"byte-swapped magic", []byte("FUGG\x00\x00\x00\x03"), "big-endian"},
		{"version 1", []byte("GGUF\x01\x00\x00\x00"), "version 1 is not supported"},
		{"byte-swapped version", []byte("GGUF\x00\x00\x00\x03"), "big-endian or corrupt"},
		{"version 4", []byte("GGUF\x04\x00\x00\x00"), "unsupported version 4"},
		{"truncated header", valid[:12], "tensor count needs 8 bytes"},
		{"truncated metadata", valid[:400], "truncated"},
		{"truncated tensor data", valid[:len(valid)-40], "outside"},
		{"absurd tensor count", rawHeader(1<<62, 0).Bytes(), "tensor count 4611686018427387904 cannot fit"},
		{"absurd metadata count", rawHeader(0, 1<<40).Bytes(), "metadata count 1099511627776 cannot fit"},
		{"key past end", rawHeader(0, 1).u64(1 << 62).u64(0).Bytes(), "metadata key needs"},
		{"string past end", withKV("k", TypeString, func(r *rawFile) { r.u64(1<<63 + 5) }), "string needs"},
		{"huge uint8 array", withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeUint8)).u64(1 << 60) }), "array length 1152921504606846976 cannot fit"},
		{"huge string array", withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeString)).u64(1 << 40).u64(0) }), "array length 1099511627776 cannot fit"},
		{"huge array of arrays", withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeArray)).u64(100).u64(0) }), "array length 100 cannot fit"},
		{"string in array past end", withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeString)).u64(2).str("a").u64(9) }), "array element 1: truncated"},
		{"uint64 array past end", withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeUint64)).u64(2).u64(0).u32(0) }), "array of uint64: array length 2 cannot fit"},
		{"unknown value type", withKV("k", 13, func(r *rawFile) { r.u64(0) }), "unknown value type 13"},
		{"unknown element type", withKV("k", TypeArray, func(r *rawFile) { r.u32(99).u64(0) }), "unknown array element type 99"},
		{"arrays nested too deep", withKV("k", TypeArray, func(r *rawFile) { nestedArrays(r, maxArrayDepth+1) }), "nested more than 16 deep"},
		{"bool not 0 or 1", withKV("k", TypeBool, func(r *rawFile) { r.WriteByte(2) }), "bool byte 2"},
		{"bool array not 0 or 1", withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeBool)).u64(2).WriteString("\x01\x07") }), "element 1: bool byte 7"},
		{"truncated value", withKV("k", TypeUint32, func(r *rawFile) { r.WriteByte(1) }), `metadata "k": truncated`},
		{"duplicate key", rawHeader(0, 2).str("k").u32(uint32(TypeUint32)).u32(0).str("k").u32(uint32(TypeUint32)).u32(0).Bytes(), `duplicate metadata key "k"`},
		{"alignment wrong type", withKV(AlignmentKey, TypeUint64, func(r *rawFile) { r.u64(32) }), "general.alignment has type uint64, want uint32"},
		{"alignment zero", withKV(AlignmentKey, TypeUint32, func(r *rawFile) { r.u32(0) }), "general.alignment 0 is not a power of two"},
		{"alignment not power of two", withKV(AlignmentKey, TypeUint32, func(r *rawFile) { r.u32(48) }), "general.alignment 48 is not a power of two"},
		{"too many dimensions", withTensor("t", tensor.F32, 0, 4, 1, 1, 1, 1, 1), `tensor 0 "t": 5 dimensions, at most 4 allowed`},
		{"zero dimension", withTensor("t", tensor.F32, 0, 4, 1, 0), "dimension 1 is zero"},
		{"element count overflow", withTensor("t", tensor.F32, 0, 4, 1<<32, 1<<32), "overflows the element count"},
		{"byte size overflow", withTensor("t", tensor.F64, 0, 8, 1<<31, 1<<31), "overflows the byte size"},
		{"unknown tensor type", withTensor("t", 99, 0, 4, 1), "unknown tensor type 99"},
		{"block size mismatch", withTensor("t", tensor.Q4_0, 0, 18, 33), "row length 33 is not a multiple of the Q4_0 block size 32"},
		{"unaligned offset", withTensor("t", tensor.F32, 4, 8, 1), "data offset 4 is not a multiple of the alignment 32"},
		{"data past end", withTensor("t", tensor.F32, 0, 15, 4), `tensor "t": 16 bytes of data at offset 0 lie outside the 15-byte data section`},
		{"offset past end", withTensor("t", tensor.F32, 1<<63, 16, 4), "lie outside"},
		{"truncated tensor info", rawHeader(1, 0).str("t").u32(2).u64(3).u64(3).Bytes(), `tensor 0 "t": truncated`},
		{"duplicate tensor", rawHeader(2, 0).tensorInfo("t", tensor.F32, 0, 1).tensorInfo("t", tensor.F32, 0, 1).padTo(32).u32(0).Bytes(), `duplicate tensor name "t"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("parsed: %d keys, %d tensors", len(f.Metadata), len(f.Tensors))
			}
			if !strings.HasPrefix(err.Error(), "gguf: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestParseAcceptsEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"version 2", []byte("GGUF\x02\x00\x00\x00" + strings.Repeat("\x00", 16))},
		{"no tensors, no padding", withKV("k", TypeString, func(r *rawFile) { r.str("v") })},
		{"deepest arrays", withKV("k", TypeArray, func(r *rawFile) { nestedArrays(r, maxArrayDepth) })},
		{"zero dimensions", withTensor("scalar", tensor.F32, 0, 4)},
		{"shared data", rawHeader(2, 0).tensorInfo("a", tensor.F32, 0, 2).tensorInfo("b", tensor.I8, 0, 8).padTo(32).u64(0).Bytes()},
		{"alignment 1", rawHeader(1, 1).str(AlignmentKey).u32(uint32(TypeUint32)).u32(1).tensorInfo("t", tensor.I8, 3, 1).u32(0).Bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.data); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHugeCountsFailFast checks that counts the data cannot hold are refused
// before anything is allocated for them.
func TestHugeCountsFailFast(t *testing.T) {
	inputs := [][]byte{
		withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeUint8)).u64(1 << 60) }),
		withKV("k", TypeArray, func(r *rawFile) { r.u32(uint32(TypeString)).u64(1 << 59) }),
		withKV("k", TypeString, func(r *rawFile) { r.u64(1 << 62) }),
		rawHeader(1<<58, 1<<58).Bytes(),
	}
	for i, data := range inputs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := Parse(data)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("input %d: parsed", i)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("input %d: allocated %d bytes before failing", i, alloc)
		}
		if elapsed > time.Second {
			t.Errorf("input %d: took %v to fail", i, elapsed)
		}
	}
}

func TestParseValues(t *testing.T) {
	f, err := Parse(build(t, sampleBuilder(t)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 3 || f.Alignment != DefaultAlignment || f.DataOffset%32 != 0 {
		t.Errorf("version %d, alignment %d, data offset %d", f.Version, f.Alignment, f.DataOffset)
	}
	if s, ok := f.String("general.architecture"); !ok || s != "llama" {
		t.Errorf("String = %q, %v", s, ok)
	}
	if u, ok := f.Uint("u64"); !ok || u != 1<<63+1 {
		t.Errorf("Uint(u64) = %d, %v", u, ok)
	}
	if _, ok := f.Int("u64"); ok {
		t.Error("Int accepted a uint64 past MaxInt64")
	}
	if _, ok := f.Uint("i8"); ok {
		t.Error("Uint accepted a negative int8")
	}
	if i, ok := f.Int("i16"); !ok || i != -30000 {
		t.Errorf("Int(i16) = %d, %v", i, ok)
	}
	if u, ok := f.Uint("u16"); !ok || u != 60000 {
		t.Errorf("Uint(u16) = %d, %v", u, ok)
	}
	if x, ok := f.Float("f32"); !ok || x != 0.5 {
		t.Errorf("Float(f32) = %v, %v", x, ok)
	}
	if x, ok := f.Float("i32"); !ok || x != -2000000000 {
		t.Errorf("Float(i32) = %v, %v", x, ok)
	}
	if b, ok := f.Bool("bool"); !ok || !b {
		t.Errorf("Bool = %v, %v", b, ok)
	}
	if _, ok := f.Bool("u8"); ok {
		t.Error("Bool accepted a uint8")
	}
	if _, ok := f.String("missing"); ok {
		t.Error("String found a missing key")
	}
	if s, ok := f.Strings("tokens"); !ok || strings.Join(s, "|") != "<s>|</s>|héllo|" {
		t.Errorf("Strings = %q, %v", s, ok)
	}
	if x, ok := f.Float32s("scores"); !ok || len(x) != 3 || x[1] != -1.5 {
		t.Errorf("Float32s = %v, %v", x, ok)
	}
	if x, ok := f.Int32s("types"); !ok || len(x) != 4 || x[3] != -4 {
		t.Errorf("Int32s(types) = %v, %v", x, ok)
	}
	if x, ok := f.Int32s("bytes"); !ok || x[2] != 255 {
		t.Errorf("Int32s(bytes) = %v, %v", x, ok)
	}
	if _, ok := f.Int32s("scores"); ok {
		t.Error("Int32s accepted floats")
	}
	if _, ok := f.Float32s("tokens"); ok {
		t.Error("Float32s accepted strings")
	}
	nested, _ := f.Lookup("nested")
	if nested.Type() != TypeArray || nested.ElemType() != TypeArray || nested.Len() != 3 {
		t.Fatalf("nested: %v %v %d", nested.Type(), nested.ElemType(), nested.Len())
	}
	if inner := nested.Index(0); inner.ElemType() != TypeInt16 || inner.Index(0).Type() != TypeInt16 {
		t.Errorf("nested[0] = %v", inner)
	} else if i, _ := inner.Index(0).AsInt(); i != -1 {
		t.Errorf("nested[0][0] = %d", i)
	}
	if s, _ := nested.Index(1).Index(0).AsString(); s != "a" {
		t.Errorf("nested[1][0] = %q", s)
	}

	ti, ok := f.Tensor("blk.0.attn_q.weight")
	if !ok || ti.Type != tensor.Q4_0 || ti.NumElements() != 128 || ti.Size() != 4*18 {
		t.Fatalf("tensor = %+v, %v", ti, ok)
	}
	data := f.TensorData(ti)
	if len(data) != 72 || cap(data) != 72 || data[1] != byte(7+len(ti.Name)) {
		t.Errorf("tensor data: len %d cap %d", len(data), cap(data))
	}
	if _, ok := f.Tensor("missing"); ok {
		t.Error("Tensor found a missing name")
	}
}

func TestInt32sRange(t *testing.T) {
	if _, ok := Int64s([]int64{1, 1 << 40}).AsInt32s(); ok {
		t.Error("AsInt32s accepted 1<<40")
	}
	if _, ok := Uint32s([]uint32{1 << 31}).AsInt32s(); ok {
		t.Error("AsInt32s accepted 1<<31")
	}
	if x, ok := Int64s([]int64{-1 << 31}).AsInt32s(); !ok || x[0] != -1<<31 {
		t.Errorf("AsInt32s(MinInt32) = %v, %v", x, ok)
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{String("hi"), "hi"},
		{Int8(-3), "-3"},
		{Uint64(1 << 63), "9223372036854775808"},
		{Float32(0.1), "0.1"},
		{Bool(false), "false"},
		{Strings([]string{"a", "b"}), `["a" "b"] (2 × string)`},
		{Uint8s(make([]uint8, 10)), "[0 0 0 0 0 0 0 0 ...] (10 × uint8)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
