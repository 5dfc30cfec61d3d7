package gguf

import (
	"bytes"
	"encoding/binary"
	"testing"

	"zhi/tensor"
)

// rawFile assembles GGUF bytes field by field, so tests can write what the
// Builder refuses to.
type rawFile struct{ bytes.Buffer }

func (r *rawFile) u32(v uint32) *rawFile {
	r.Write(binary.LittleEndian.AppendUint32(nil, v))
	return r
}

func (r *rawFile) u64(v uint64) *rawFile {
	r.Write(binary.LittleEndian.AppendUint64(nil, v))
	return r
}

func (r *rawFile) str(s string) *rawFile {
	r.u64(uint64(len(s)))
	r.WriteString(s)
	return r
}

// tensorInfo appends a tensor description.
func (r *rawFile) tensorInfo(name string, typ tensor.Type, offset uint64, shape ...uint64) *rawFile {
	r.str(name).u32(uint32(len(shape)))
	for _, d := range shape {
		r.u64(d)
	}
	return r.u32(uint32(typ)).u64(offset)
}

// padTo appends zeros up to a multiple of align.
func (r *rawFile) padTo(align int) *rawFile {
	for r.Len()%align != 0 {
		r.WriteByte(0)
	}
	return r
}

// rawHeader starts a version 3 file.
func rawHeader(nTensors, nKV uint64) *rawFile {
	r := &rawFile{}
	r.WriteString("GGUF")
	return r.u32(3).u64(nTensors).u64(nKV)
}

// sampleBuilder returns a Builder holding every kind of metadata value and a
// few tensors of different types.
func sampleBuilder(t testing.TB) *Builder {
	b := NewBuilder()
	b.Set("general.architecture", String("llama"))
	b.Set("u8", Uint8(200))
	b.Set("i8", Int8(-100))
	b.Set("u16", Uint16(60000))
	b.Set("i16", Int16(-30000))
	b.Set("u32", Uint32(4000000000))
	b.Set("i32", Int32(-2000000000))
	b.Set("f32", Float32(0.5))
	b.Set("bool", Bool(true))
	b.Set("u64", Uint64(1<<63+1))
	b.Set("i64", Int64(-1<<62))
	b.Set("f64", Float64(-2.25))
	b.Set("empty", String(""))
	b.Set("tokens", Strings([]string{"<s>", "</s>", "héllo", ""}))
	b.Set("scores", Float32s([]float32{0, -1.5, 3}))
	b.Set("types", Int32s([]int32{1, 2, 3, -4}))
	b.Set("flags", Bools([]bool{true, false}))
	b.Set("bytes", Uint8s([]uint8{1, 2, 255}))
	b.Set("none", Uint64s(nil))
	b.Set("nested", Array(TypeArray, []Value{Int16s([]int16{-1, 2}), Strings([]string{"a"}), Array(TypeArray, nil)}))
	add := func(name string, typ tensor.Type, shape ...uint64) {
		t.Helper()
		size, err := tensorSize(typ, shape)
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + len(name))
		}
		if err := b.AddTensor(name, typ, shape, data); err != nil {
			t.Fatal(err)
		}
	}
	add("token_embd.weight", tensor.F16, 8, 3)
	add("blk.0.attn_q.weight", tensor.Q4_0, 64, 2)
	add("output_norm.weight", tensor.F32, 5)
	add("blk.0.ffn_up.weight", tensor.Q4_K, 256, 1, 1, 2)
	return b
}

func build(t testing.TB, b *Builder) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
