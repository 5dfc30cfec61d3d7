package chat

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestMergeSystem(t *testing.T) {
	for _, c := range []struct{ in, want []Message }{
		{[]Message{{"system", "S"}, {"user", "U"}}, []Message{{"user", "S\nU"}}},
		{[]Message{{"system", "S1"}, {"system", "S2"}, {"user", "U"}}, []Message{{"user", "S1\nS2\nU"}}},
		{[]Message{{"system", "S"}, {"user", ""}}, []Message{{"user", "S"}}},
		{[]Message{{"system", "S"}, {"assistant", "A"}}, []Message{{"user", "S"}, {"assistant", "A"}}},
		{[]Message{{"user", "U"}, {"system", "S"}}, []Message{{"user", "U"}, {"user", "S"}}},
		{[]Message{{"system", ""}, {"user", "U"}}, []Message{{"user", "U"}}},
		{[]Message{{"user", "U"}, {"assistant", "A"}}, []Message{{"user", "U"}, {"assistant", "A"}}},
	} {
		if got := mergeSystem(c.in); !slices.Equal(got, c.want) {
			t.Errorf("mergeSystem(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Render removes one leading BOS text, not more, and nothing else.
func TestRenderStripsOneBOS(t *testing.T) {
	tmpl, err := Parse("bos", "{{ bos_token }}{{ bos_token }}{{ messages[0].content }}{{ bos_token }}", Options{BOS: "<s>"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]Message{{"user", "x"}}, false)
	if want := "<s>x<s>"; err != nil || got != want {
		t.Errorf("rendered %q, %v; want %q", got, err, want)
	}
}

func TestRenderRefusesBadInput(t *testing.T) {
	tmpl, err := Builtin("chatml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, msgs := range [][]Message{
		nil,
		{{"", "no role"}},
		{{"user", "bad \xff UTF-8"}},
		{{"us\xc3er", "x"}},
	} {
		if out, err := tmpl.Render(msgs, true); err == nil {
			t.Errorf("Render(%q) = %q, want an error", msgs, out)
		}
	}
}

func TestErrorsNameTheTemplate(t *testing.T) {
	if _, err := Parse("broken.jinja", "{% if x %}", Options{}); err == nil || !strings.Contains(err.Error(), "broken.jinja") {
		t.Errorf("Parse error %v does not name the template", err)
	}
	tmpl, err := Parse("strict.jinja", "{{ raise_exception('roles must alternate') }}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Render([]Message{{"user", "x"}}, true)
	if err == nil || !strings.Contains(err.Error(), "strict.jinja") || !strings.Contains(err.Error(), "roles must alternate") {
		t.Errorf("Render error %v does not name the template and its message", err)
	}
}

func TestStopsIsACopy(t *testing.T) {
	tmpl, err := Builtin("chatml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.Stops()[0] = "changed"
	if got := tmpl.Stops(); got[0] != "<|im_end|>" {
		t.Errorf("Stops() = %q after changing a returned slice", got)
	}
}

// A template without an end-of-turn marker has no stops.
func TestNoStops(t *testing.T) {
	tmpl, err := Parse("plain", "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if stops := tmpl.Stops(); len(stops) != 0 {
		t.Errorf("stops %q", stops)
	}
}

func TestConcurrentRender(t *testing.T) {
	tmpl, err := Builtin("llama3", Options{BOS: "<|begin_of_text|>"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				content := fmt.Sprint(i, "-", j)
				got, err := tmpl.Render([]Message{{"user", content}}, true)
				want := "<|start_header_id|>user<|end_header_id|>\n\n" + content + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
				if err != nil || got != want {
					errs <- fmt.Errorf("rendered %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
