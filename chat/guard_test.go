package chat

import (
	"strings"
	"testing"
	"time"
)

// Hostile templates: without the guards each of these hangs, crashes the
// process with a stack overflow, or panics inside the library.
func TestGuardsStopHostileTemplates(t *testing.T) {
	for _, c := range []struct{ name, source, want string }{
		{"recursion", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "deep"},
		{"mutual recursion", "{% macro f() %}{{ g() }}{% endmacro %}{% macro g() %}{{ f() }}{% endmacro %}{{ f() }}", "deep"},
		{"huge range", "{% for i in range(10**12) %}{% endfor %}", "range"},
		{"negative step range", "{{ range(0, -(10**12), -1) | length }}", "range"},
		{"nested loops", "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}", "work"},
		{"loops over text", "{% set s = messages[0].content * 1000 %}{% for a in s %}{% for b in s %}x{% endfor %}{% endfor %}", "work"},
		{"wide recursion", "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}", "work"},
		{"heavy loop filter", "{% for i in range(99999) if " + strings.Repeat("i + ", 1000) + "i < 0 %}{% endfor %}{% for i in range(99999) if i < 0 %}{% endfor %}", "work"},
		{"heavy call body", "{% macro f() %}{% for i in range(99999) %}{{ caller() }}{% endfor %}{% endmacro %}{% call f() %}" + strings.Repeat("{{ 1 }}", 1000) + "{% endcall %}", "work"},
		{"call recursion", "{% macro f() %}{{ caller() }}{% endmacro %}{% macro g() %}{% call f() %}{{ g() }}{% endcall %}{% endmacro %}{{ g() }}", "deep"},
		{"deepening parameters", "{% macro f(x) %}{{ f([x]) }}{% endmacro %}{{ f(1) }}", "deep"},
		{"namespace cycle", "{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}", "inside itself"},
		{"indirect cycle", "{% set a = namespace(x=1) %}{% set b = namespace(a=[a]) %}{% set a.b = b %}{{ a }}", "inside itself"},
		{"append cycle", "{% set l = [] %}{{ l.append(l) }}{{ l }}", "inside itself"},
		{"insert cycle", "{% set l = [1] %}{{ l.insert(0, [l]) }}{{ l }}", "inside itself"},
		{"update cycle", "{% set d = {'a': 1} %}{{ d.update({'me': d}) }}{{ d }}", "inside itself"},
		{"loop dict cycle", "{% for m in messages %}{% set loop.me = loop %}{{ loop }}{% endfor %}", "inside itself"},
		{"deep value", "{% set ns = namespace(x=[]) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}", "deep"},
		{"mutation chain", "{% set ns = namespace(root=[], cur=none) %}{% set ns.cur = ns.root %}{% for i in range(99999) %}{% for j in range(99999) %}" +
			"{% set n = [] %}{{ ns.cur.append(n) }}{% set ns.cur = n %}{% endfor %}{% endfor %}{{ ns.root }}", "work"},
		{"doubling text", "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}", "bytes"},
		{"doubling list", "{% set l = [1] %}{% for i in range(64) %}{% set l = l + l %}{% endfor %}{{ l | length }}", "bytes"},
		{"slice stop", "{{ 'abc'[0:10**15:2] }}", "slice bound"},
		{"non-ASCII slice", "{{ 'héllo'[0:10**12] }}", "slice bound"},
		{"list slice", "{{ messages[0:10**12:3] }}", "slice bound"},
		{"string slice bound", "{{ 'abc'['1':] }}", "not a number"},
		{"negative repeat", "{{ 'x' * -1 }}", "library failed"},
		{"huge output", "{% for i in range(99999) %}{{ 'x' * 200 }}{% endfor %}", "bytes"},
		{"raise", "{{ raise_exception('no') }}", "no"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := Parse(c.name, c.source, Options{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			out, err := tmpl.Render([]Message{{"user", "Hello"}}, true)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("rendered %.40q, %v; want an error about %q", out, err, c.want)
			}
			if d := time.Since(start); d > 30*time.Second { // a rendering is bounded to about a second on an idle machine
				t.Errorf("took %v", d)
			}
		})
	}
}

// The guards leave ordinary uses of what they guard alone.
func TestGuardsAllowOrdinaryTemplates(t *testing.T) {
	for _, c := range []struct{ source, want string }{
		{"{% for i in range(3) %}{{ i }}{% endfor %}{{ range(10, 0, -3) | join(',') }}", "01210,7,4,1"},
		{"{% set ns = namespace(items=[]) %}{% for m in messages %}{{ ns.items.append(m.content) }}{% endfor %}{{ ns.items | join('+') }}", "Hello"},
		{"{% set d = {} %}{{ d.update({'k': messages}) }}{{ d.k[0].role }}", "user"},
		{"{% set a = [1] %}{% set b = [a, a] %}{% set c = [b, b] %}{{ c | length }}", "2"},
		{"{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}", "54321"},
		{"{{ messages[0].content[1:3] }}{{ messages[-1:][0].role }}{{ 'abc'[::-1] }}", "elusercba"},
	} {
		tmpl, err := Parse("ordinary", c.source, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.source, err)
		}
		got, err := tmpl.Render([]Message{{"user", "Hello"}}, true)
		if err != nil || got != c.want {
			t.Errorf("%s: rendered %q, %v; want %q", c.source, got, err, c.want)
		}
	}
}

// A guard error is the rendering's error even where the library drops it.
func TestGuardErrorIsNotDropped(t *testing.T) {
	tmpl, err := Parse("dropped", "{{ [1, 2, 3][10**9:] | length }} after", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := tmpl.Render([]Message{{"user", "x"}}, false); err == nil {
		t.Errorf("rendered %q without error", out)
	}
}
