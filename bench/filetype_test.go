package bench

import (
	"fmt"
	"testing"

	"zhi/quantize"
	"zhi/tensor"
)

func TestFileTypeName(t *testing.T) {
	for ft, want := range map[quantize.FileType]string{quantize.Q4_K_M: "Q4_K - Medium", quantize.F32: "all F32", quantize.Q8_0: "Q8_0", 999: "unknown, may not work"} {
		if got := fileTypeName(ft); got != want {
			t.Errorf("file type %d: %q, want %q", ft, got, want)
		}
	}
	for _, ft := range quantize.FileTypes() {
		if _, ok := fileTypeNames[ft]; !ok {
			t.Errorf("file type %s has no name", ft)
		}
	}
}

// The builder gives the tensors of real shapes the reference quantizer's
// types: the plan sees the right layer count, heads and tied output.
func TestTensorTypeMixes(t *testing.T) {
	llama, _ := LookupShape("llama3.2-1b")
	qwen, _ := LookupShape("qwen2.5-0.5b")
	types := func(s *Shape, ft quantize.FileType) map[string]tensor.Type {
		g, err := newGenerator(s, ft, 1)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]tensor.Type{}
		for _, t := range g.tensors {
			m[t.name] = t.typ
		}
		return m
	}

	// Q4_K_M: Q6_K for attn_v and ffn_down in the first and last eighth of
	// the layers and every third one between; Q6_K for the tied embedding.
	got := types(llama, quantize.Q4_K_M)
	moreBits := map[int]bool{0: true, 1: true, 4: true, 7: true, 10: true, 13: true, 14: true, 15: true}
	for i := range 16 {
		want := tensor.Q4_K
		if moreBits[i] {
			want = tensor.Q6_K
		}
		for _, name := range []string{"attn_v", "ffn_down"} {
			if typ := got[blk(i, name)]; typ != want {
				t.Errorf("Q4_K_M %s: %s, want %s", blk(i, name), typ, want)
			}
		}
		if typ := got[blk(i, "attn_q")]; typ != tensor.Q4_K {
			t.Errorf("Q4_K_M %s: %s, want Q4_K", blk(i, "attn_q"), typ)
		}
		if typ := got[blk(i, "attn_norm")]; typ != tensor.F32 {
			t.Errorf("Q4_K_M %s: %s, want F32", blk(i, "attn_norm"), typ)
		}
	}
	if got["token_embd.weight"] != tensor.Q6_K || got["rope_freqs.weight"] != tensor.F32 {
		t.Errorf("Q4_K_M token_embd %s, rope_freqs %s; want Q6_K and F32", got["token_embd.weight"], got["rope_freqs.weight"])
	}

	// Rows of 896 values do not hold 256-value blocks: Q4_K falls back to
	// Q5_0, Q6_K to Q8_0; ffn_down's rows of 4864 keep the K-quants.
	got = types(qwen, quantize.Q4_K_M)
	for name, want := range map[string]tensor.Type{
		"token_embd.weight":         tensor.Q8_0,
		"blk.0.attn_q.weight":       tensor.Q5_0,
		"blk.0.attn_v.weight":       tensor.Q8_0,
		"blk.6.attn_v.weight":       tensor.Q5_0,
		"blk.0.ffn_down.weight":     tensor.Q6_K,
		"blk.6.ffn_down.weight":     tensor.Q4_K,
		"blk.0.attn_q.bias":         tensor.F32,
		"blk.23.ffn_gate.weight":    tensor.Q5_0,
		"blk.23.attn_output.weight": tensor.Q5_0,
	} {
		if got[name] != want {
			t.Errorf("qwen2.5-0.5b Q4_K_M %s: %s, want %s", name, got[name], want)
		}
	}

	// Legacy and float types: the output keeps Q8_0, otherwise gets Q6_K.
	if got := types(llama, quantize.Q4_0); got["token_embd.weight"] != tensor.Q6_K || got["blk.0.ffn_down.weight"] != tensor.Q4_0 {
		t.Errorf("Q4_0: token_embd %s, ffn_down %s", got["token_embd.weight"], got["blk.0.ffn_down.weight"])
	}
	if got := types(llama, quantize.Q8_0); got["token_embd.weight"] != tensor.Q8_0 {
		t.Errorf("Q8_0: token_embd %s", got["token_embd.weight"])
	}
	if got := types(llama, quantize.F16); got["token_embd.weight"] != tensor.F16 || got["output_norm.weight"] != tensor.F32 {
		t.Errorf("F16: token_embd %s, output_norm %s", got["token_embd.weight"], got["output_norm.weight"])
	}
}

func blk(i int, name string) string { return fmt.Sprintf("blk.%d.%s.weight", i, name) }
