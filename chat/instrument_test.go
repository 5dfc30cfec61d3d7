package chat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ardanlabs/jinja"

	"zhi/internal/shared"
)

// conversations are the message lists the instrumentation tests render.
var conversations = [][]Message{
	{{"user", "Hello"}},
	{{"system", "Be brief."}, {"user", "Hello"}},
	{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "  Hello!  "}, {"user", "Bye\n"}},
	{{"user", "a"}, {"assistant", "b"}, {"user", "c"}, {"assistant", "d"}},
}

// whitespaceTemplates mix every kind of tag the instrumentation inserts
// guards next to with trim markers, lstrip_blocks and trim_blocks.
var whitespaceTemplates = []string{
	"{% for m in messages %}\n  {{ m.role }}: {{ m.content }}\n{% endfor %}\n",
	"{%- for m in messages -%}\n  [{{ m.content }}]\n  {%- endfor -%}\nend",
	"{% for m in messages %}  {% if loop.first %}first\n{% endif %}{{ m.role }}{% else %}none{% endfor %}",
	"{% macro show(m) %}\n  <{{ m.role }}>\n{% endmacro %}\n{% for m in messages %}{{ show(m) }}{% endfor %}",
	"{%- macro show(m) -%}\n  <{{ m.role }}>  \n{%- endmacro -%}\n  {%- for m in messages %}\n{{ show(m) }}\n{% endfor %}",
	"  {% set ns = namespace(n=0) %}\n  {% for m in messages %}\n    {% set ns.n = ns.n + 1 %}\n    {{ ns.n }}\n  {% endfor %}\n",
	"{% set xs = [] %}{% for m in messages %}\n{{ xs.append(m.content) }}\n{% endfor %}{{ xs | join(',') }}\n{{ messages[1:] | length }}{{ messages[::-1][0].role }}",
	"{% set d = {} %}{{ d.update({'a': 1}) }}{% set l = [1, 2] %}{{ l.insert(0, 3) }}{{ l }}{{ d }}\n\n{% raw %}{% for x in y %}{{ x[1:] }}{% endraw %}",
	"{% for m in messages %}{% set c %}  {{ m.content }}  {% endset %}{{ c | trim }}\n{%- endfor %}",
	"{% macro m(x, y='-') %}\n[{{ x }}{{ y }}{{ caller() }}]\n{% endmacro %}\n{% call m(1) %}\n  body\n{% endcall %}\n" +
		"  {%- for m in messages if m.role != 'system' %}\n{{ m.content }}{% else %}\nnone{% endfor %}",
}

func instrumentedTemplates(t *testing.T) map[string]string {
	sources := map[string]string{}
	for i, s := range whitespaceTemplates {
		sources["whitespace"+string(rune('0'+i))] = s
	}
	for name, s := range builtins {
		sources[name] = s
	}
	for _, f := range shared.Glob(t, "templates/*.jinja") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources[filepath.Base(f)] = string(data)
	}
	return sources
}

// The guards must not change what a template renders: the library renders
// the template as written and as instrumented alike.
func TestInstrumentKeepsOutput(t *testing.T) {
	for name, source := range instrumentedTemplates(t) {
		t.Run(name, func(t *testing.T) {
			plain, err := jinja.Compile(source)
			if err != nil {
				t.Fatal(err)
			}
			tmpl, err := Parse(name, source, Options{BOS: "<s>", EOS: "</s>", Now: referenceClock})
			if err != nil {
				t.Fatal(err)
			}
			for _, msgs := range conversations {
				for _, gen := range []bool{false, true} {
					want, wantErr := plain.RenderValues(tmpl.variables(msgs, gen, new(guard)))
					got, err := tmpl.render(msgs, gen, maxWork)
					if got != want || (err == nil) != (wantErr == nil) {
						t.Errorf("%v gen=%v: instrumented\n%q (%v)\nplain\n%q (%v)", msgs, gen, got, err, want, wantErr)
					}
				}
			}
		})
	}
}

func TestInstrumentInserts(t *testing.T) {
	for _, c := range []struct{ source, want string }{
		{"{% for x in y %}ab{% endfor %}", "{% for x in y %}{{ __zhi_step(2) }}ab{% endfor %}"},
		{"{%- macro f(a) -%}abc{%- endmacro %}", "{%- macro f(a) -%}{{ __zhi_enter(21, a) }}abc{{ __zhi_leave() }}{%- endmacro %}"},
		{"{% macro f(a, b=[1]) %}{% endmacro %}", "{% macro f(a, b=[1]) %}{{ __zhi_enter(23, a, b) }}{{ __zhi_leave() }}{% endmacro %}"},
		{"{% call(x) f() %}{{ x }}{% endcall %}", "{% call(x) f() %}{{ __zhi_enter(24, x) }}{{ x }}{{ __zhi_leave() }}{% endcall %}"},
		{"{% for x in y if x.a[1:] %}{% endfor %}", "{% for x in y if __zhi_cond(7, x.a[__zhi_index(1):]) %}{{ __zhi_step(0) }}{% endfor %}"},
		{"{% for x in (y if c else z) if d recursive %}{% endfor %}", "{% for x in (y if c else z) if __zhi_cond(1, d) recursive %}{{ __zhi_step(0) }}{% endfor %}"},
		{"{% set x = y %}", "{% set x = __zhi_store(none, y) %}"},
		{"{% set ns.x = y + [1] %}", "{% set ns.x = __zhi_store(ns, y + [1]) %}"},
		{"{{ a.b[0].append(c) }}", "{{ a.b[0].append(__zhi_store(a.b[0], c)) }}"},
		{"{{ l.insert(0, x) or d.update(e) }}", "{{ l.insert(0, __zhi_store(l, x)) or d.update(__zhi_store(d, e)) }}"},
		{"{{ s[1:n][::-1] }}", "{{ s[__zhi_index(1):__zhi_index(n)][::__zhi_index(-1)] }}"},
		{"{{ s[i] ~ {'a': 1}['a'] }}", "{{ s[i] ~ {'a': 1}['a'] }}"},
		{"{% raw %}{% for x in y %}{{ s[1:] }}{% endraw %}", "{% raw %}{% for x in y %}{{ s[1:] }}{% endraw %}"},
		{"{# {% for x in y %} #}{{ '[1:]' }}", "{# {% for x in y %} #}{{ '[1:]' }}"},
	} {
		got, err := instrument(c.source)
		if err != nil || got != c.want {
			t.Errorf("instrument(%q) = %q, %v; want %q", c.source, got, err, c.want)
		}
	}
}

func TestInstrumentRefuses(t *testing.T) {
	for _, c := range []struct{ source, want string }{
		{"{{ __zhi_step() }}", "reserved"},
		{"{% set __zhi_x = 1 %}", "reserved"},
		{"{% set f = l.append %}", "only be called directly"},
		{"{{ f().append(1) }}", "computed"},
		{"{{ (a or b).append(1) }}", "computed"},
		{"{{ x|list.append(1) }}", "filter"},
		{"{{ l.append(x=1) }}", "keyword"},
		{"{{ l.insert(1) }}", "takes 2 arguments"},
		{"{% set a, b = 1, 2 %}", "cannot assign"},
		{"{% set a[0] = 1 %}", "cannot assign"},
		{"{% macro f(a=x[1:]) %}{% endmacro %}", "macro statement"},
		{"{% macro f(None) %}{% endmacro %}", "parameter"},
		{"{% call(a.b) f() %}{% endcall %}", "parameter"},
		{"{{ " + strings.Repeat("(", maxNesting+1) + strings.Repeat(")", maxNesting+1) + " }}", "nested"},
		{strings.Repeat("{% if x %}", maxNesting+1), "nested"},
		{"{{ (] }}", "unbalanced"},
		{"{{ [ }}", "unclosed"},
		{"{{ x ", "unclosed tag"},
		{"{{ '" + strings.Repeat("x", maxSourceBytes) + "' }}", "bytes"},
	} {
		_, err := instrument(c.source)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("instrument(%.60q) = %v, want an error about %q", c.source, err, c.want)
		}
	}
}
