package chat

import (
	"slices"
	"testing"
)

func TestBuiltins(t *testing.T) {
	msgs := []Message{{"system", "S"}, {"user", "U1"}, {"assistant", " A1 "}, {"user", "U2"}}
	for _, c := range []struct{ name, want, stop string }{
		{"llama2", "[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]", "</s>"},
		{"llama3", "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>" +
			"<|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|>" +
			"<|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>" +
			"<|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|>" +
			"<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"},
		{"chatml", "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n" +
			"<|im_start|>assistant\n A1 <|im_end|>\n<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>"},
		{"mistral", "[INST] S\n\nU1 [/INST] A1 </s>[INST] U2 [/INST]", "</s>"},
		{"phi3", "<|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\n A1 <|end|>\n<|user|>\nU2<|end|>\n<|assistant|>\n", "<|end|>"},
		{"gemma", "<start_of_turn>user\nS\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n" +
			"<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n", "<end_of_turn>"},
	} {
		tmpl, err := Builtin(c.name, Options{BOS: "<s>", EOS: "</s>"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.Render(msgs, true)
		if err != nil || got != c.want {
			t.Errorf("%s: rendered\n%q, %v\nwant\n%q", c.name, got, err, c.want)
		}
		if stops := tmpl.Stops(); !slices.Equal(stops, []string{c.stop}) {
			t.Errorf("%s: stops %q, want [%q]", c.name, stops, c.stop)
		}
		if tmpl.Name() != c.name {
			t.Errorf("name %q, want %q", tmpl.Name(), c.name)
		}
	}
}

func TestBuiltinNames(t *testing.T) {
	want := []string{"chatml", "gemma", "llama2", "llama3", "mistral", "phi3"}
	if got := BuiltinNames(); !slices.Equal(got, want) {
		t.Errorf("BuiltinNames() = %q, want %q", got, want)
	}
	if _, err := Builtin("vicuna", Options{}); err == nil {
		t.Error("no error for an unknown built-in")
	}
}
