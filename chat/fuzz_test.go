package chat

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzTemplate compiles and renders arbitrary templates: whatever the
// source, Parse and Render return, without panicking, hanging or crashing.
func FuzzTemplate(f *testing.F) {
	for _, s := range builtins {
		f.Add(s, "Hello")
	}
	for _, s := range whitespaceTemplates {
		f.Add(s, "  two\nlines ")
	}
	for _, s := range []string{
		"{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}",
		"{% set ns = namespace(l=[]) %}{{ ns.l.append(ns) }}{{ ns }}",
		"{% for c in messages[0].content %}{{ c }}{% endfor %}{{ messages[0].content[1:-1:2] }}",
		"{{ range(5) | join(',') }}{{ 'ab' * 3 }}{{ strftime_now('%d %b') }}{{ datetime }}",
		"{% set x %}{% raw %}{{ y }}{% endraw %}{% endset %}{{ x | trim }}",
	} {
		f.Add(s, "content")
	}
	// Real models' templates, when ../shared beside the checkout has them.
	paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "templates", "*.jinja"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data), "What is the capital of France?")
		}
	}
	f.Fuzz(func(t *testing.T, source, content string) {
		tmpl, err := Parse("fuzz", source, Options{BOS: "<s>", EOS: "</s>", Now: referenceClock})
		if err != nil {
			return
		}
		msgs := []Message{{"system", content}, {"user", content}, {"assistant", content}, {"user", content}}
		for _, gen := range []bool{false, true} {
			out, err := tmpl.Render(msgs, gen)
			if err == nil && len(out) > maxOutputBytes {
				t.Fatalf("rendered %d bytes", len(out))
			}
		}
	})
}
