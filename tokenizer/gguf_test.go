package tokenizer

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"zhi/gguf"
)

// meta is one metadata entry of a test GGUF file. Values may be string,
// []string, []float32, []int32, uint32 or bool.
type meta struct {
	key string
	val any
}

// encodeGGUF returns a GGUF v3 file with the given metadata and no tensors.
func encodeGGUF(kvs []meta) []byte {
	le := binary.LittleEndian
	b := []byte("GGUF")
	b = le.AppendUint32(b, 3)
	b = le.AppendUint64(b, 0)
	b = le.AppendUint64(b, uint64(len(kvs)))
	str := func(b []byte, s string) []byte {
		return append(le.AppendUint64(b, uint64(len(s))), s...)
	}
	array := func(b []byte, elem uint32, n int) []byte {
		return le.AppendUint64(le.AppendUint32(le.AppendUint32(b, 9), elem), uint64(n))
	}
	for _, kv := range kvs {
		b = str(b, kv.key)
		switch v := kv.val.(type) {
		case string:
			b = str(le.AppendUint32(b, 8), v)
		case uint32:
			b = le.AppendUint32(le.AppendUint32(b, 4), v)
		case bool:
			b = le.AppendUint32(b, 7)
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case []string:
			b = array(b, 8, len(v))
			for _, s := range v {
				b = str(b, s)
			}
		case []float32:
			b = array(b, 6, len(v))
			for _, x := range v {
				b = le.AppendUint32(b, math.Float32bits(x))
			}
		case []int32:
			b = array(b, 5, len(v))
			for _, x := range v {
				b = le.AppendUint32(b, uint32(x))
			}
		default:
			panic(fmt.Sprintf("encodeGGUF: unsupported value %T", v))
		}
	}
	return b
}

// writeGGUF writes a GGUF file with the given metadata into dir.
func writeGGUF(dir string, kvs []meta) (string, error) {
	path := filepath.Join(dir, "vocab.gguf")
	return path, os.WriteFile(path, encodeGGUF(kvs), 0o644)
}

// fromMeta builds a tokenizer from metadata alone.
func fromMeta(kvs ...meta) (*Tokenizer, error) {
	f, err := gguf.Parse(encodeGGUF(kvs))
	if err != nil {
		return nil, err
	}
	return FromGGUF(f)
}

// mustFromMeta is fromMeta for vocabularies that must load.
func mustFromMeta(t testing.TB, kvs ...meta) *Tokenizer {
	t.Helper()
	tok, err := fromMeta(kvs...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tinySPM is a small "llama" vocabulary: <unk>, <s>, </s>, the byte tokens
// of 'h', '!' and of the bytes of "é" (0xC3 0xA9), and pieces of
// "hello world", with scores that make "▁hello" and "▁world" win.
func tinySPM() []meta {
	tokens := []string{"<unk>", "<s>", "</s>", "<0x68>", "<0x21>", "<0xC3>", "<0xA9>",
		"▁", "h", "e", "l", "o", "w", "r", "d",
		"he", "ll", "llo", "hello", "▁hello", "or", "wor", "▁wor", "ld", "▁world", "<tool>"}
	scores := make([]float32, len(tokens))
	types := make([]int32, len(tokens))
	for i, tk := range tokens {
		scores[i] = -float32(i)
		types[i] = 1
		if len(tk) > 1 {
			scores[i] = float32(len(tk))
		}
	}
	types[0], types[1], types[2] = 2, 3, 3
	for i := 3; i <= 6; i++ {
		types[i], scores[i] = 6, 0
	}
	types[len(tokens)-1] = 4 // <tool> is user-defined
	return []meta{
		{"general.name", "tiny"},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
	}
}
