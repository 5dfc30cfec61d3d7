package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"zhi/gguf"
	"zhi/internal/shared"
)

// TestQuantize quantizes the shared F16 model as a user would and compares
// the result, tensor by tensor and key by key, with the reference's files.
func TestQuantize(t *testing.T) {
	src := shared.Path(t, "reference", "tiny-llama-spm-f16.gguf")
	for _, c := range []struct{ typ, ref string }{
		{"Q8_0", "tiny-llama-spm-q8_0.gguf"},
		{"q4_0", "tiny-llama-spm-q4_0.gguf"},
		{"q4_k_m", "tiny-llama-spm-q4_k_m.gguf"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			ref := shared.Path(t, "reference", c.ref)
			out := filepath.Join(t.TempDir(), "out.gguf")
			stdout, stderr, ok := zhi(t, "quantize", "-t", "2", src, out, c.typ)
			if !ok {
				t.Fatal(stderr)
			}
			if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "20 tensors, 15 converted") {
				t.Errorf("summary %q does not say what was written", stdout)
			}
			if n := strings.Count(stderr, "\n"); n != 20 {
				t.Errorf("%d progress lines on stderr, want one per tensor:\n%s", n, stderr)
			}
			compareModels(t, openGGUF(t, out), openGGUF(t, ref))
		})
	}
}

func openGGUF(t *testing.T, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// compareModels checks that got holds want's metadata and tensors: the
// same keys and values, the same tensors in the same order with the same
// types, shapes and bytes.
func compareModels(t *testing.T, got, want *gguf.File) {
	t.Helper()
	keys := func(f *gguf.File) []string {
		var ks []string
		for _, kv := range f.Metadata {
			ks = append(ks, kv.Key)
		}
		return ks
	}
	if g, w := keys(got), keys(want); !slices.Equal(g, w) {
		t.Errorf("metadata keys %q,\nwant %q", g, w)
	}
	for _, kv := range want.Metadata {
		if v, ok := got.Lookup(kv.Key); ok && !v.Equal(kv.Value) {
			t.Errorf("metadata %s = %v, want %v", kv.Key, v, kv.Value)
		}
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for i := range want.Tensors {
		g, w := &got.Tensors[i], &want.Tensors[i]
		if g.Name != w.Name || g.Type != w.Type || !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("tensor %d: %s %s %v, want %s %s %v", i, g.Name, g.Type, g.Shape, w.Name, w.Type, w.Shape)
			continue
		}
		if !bytes.Equal(got.TensorData(g), want.TensorData(w)) {
			t.Errorf("tensor %s (%s): data differs from the reference's", g.Name, g.Type)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	src := shared.Path(t, "reference", "tiny-llama-spm-f16.gguf")
	quantized := shared.Path(t, "reference", "tiny-llama-spm-q8_0.gguf")
	dir := t.TempDir()
	out := filepath.Join(dir, "out.gguf")
	mustFail(t, "usage: zhi quantize IN.gguf OUT.gguf TYPE", "quantize", src, out)
	mustFail(t, `unknown quantization type "Q4_K_X" (valid: Q2_K`, "quantize", src, out, "Q4_K_X")
	mustFail(t, "requantizing is not supported", "quantize", quantized, out, "Q4_K_M")
	mustFail(t, "no such file", "quantize", filepath.Join(dir, "missing.gguf"), out, "Q4_K_M")
	mustFail(t, "is the input file", "quantize", src, src, "Q4_K_M")
	mustFail(t, "must not be negative", "quantize", "-t", "-1", src, out, "Q4_K_M")
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the failures, %s: %v, want no such file", out, err)
	}
}
