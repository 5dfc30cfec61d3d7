package store

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Name
	}{
		{"hf.co/o/r/f.gguf", Name{"o", "r", "f.gguf", "main"}},
		{"huggingface.co/TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_K_M.gguf@v1.0", Name{"TheBloke", "Llama-2-7B-GGUF", "llama-2-7b.Q4_K_M.gguf", "v1.0"}},
		{"hf.co/org_1/r.x/sub/dir/f.gguf@refs/pr/1", Name{"org_1", "r.x", "sub/dir/f.gguf", "refs/pr/1"}},
		{"hf.co/o/r/modèle 7b.gguf", Name{"o", "r", "modèle 7b.gguf", "main"}},
		{"https://huggingface.co/o/r/resolve/main/sub/f.gguf?download=true", Name{"o", "r", "sub/f.gguf", "main"}},
		{"https://hf.co/o/r/blob/abc123/f.gguf", Name{"o", "r", "f.gguf", "abc123"}},
		{"https://huggingface.co/o/r/resolve/refs%2Fpr%2F1/my%20f.gguf", Name{"o", "r", "my f.gguf", "refs/pr/1"}},
	} {
		got, err := ParseName(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseNameRefuses(t *testing.T) {
	for _, in := range []string{
		"",
		"/etc/passwd",
		"model.gguf",
		"example.com/o/r/f.gguf",
		"hf.co/o/r",
		"hf.co/o/r/",
		"hf.co/../r/f.gguf",
		"hf.co/o/../f.gguf",
		"hf.co/o/r/../f.gguf",
		"hf.co/o/r/a/../../../x.gguf",
		"hf.co/o/r//f.gguf",
		"hf.co/o/r/./f.gguf",
		"hf.co//r/f.gguf",
		"hf.co/./r/f.gguf",
		`hf.co/o/r/a\..\..\f.gguf`,
		"hf.co/o/r/C:f.gguf",
		"hf.co/o/r/f\x00.gguf",
		"hf.co/o/r/f\n.gguf",
		"hf.co/o/r/\u0085.gguf",
		"hf.co/o/r/\xff.gguf",
		"hf.co/o/r/f.bin",
		"hf.co/o/r/.gguf",
		"hf.co/o/r/f.gguf.partial",
		"hf.co/o/r/a.gguf.partial/b.gguf",
		"hf.co/o/r/a@b.gguf@main",
		"hf.co/o/r/f.gguf@",
		"hf.co/o/r/f.gguf@../x",
		"hf.co/o/r/f.gguf@/main",
		"hf.co/o/r/f.gguf@a b",
		"hf.co/o o/r/f.gguf",
		"hf.co/-o/r/f.gguf",
		"hf.co/o/r./f.gguf",
		"hf.co/o/r--x/f.gguf",
		"hf.co/" + strings.Repeat("o", 97) + "/r/f.gguf",
		"hf.co/o/r/" + strings.Repeat("f", 300) + ".gguf",
		"hf.co/o/r/" + strings.Repeat("d/", 600) + "f.gguf",
		"https://evil.example/o/r/resolve/main/f.gguf",
		"https://user@huggingface.co/o/r/resolve/main/f.gguf",
		"https://huggingface.co:8080/o/r/resolve/main/f.gguf",
		"https://huggingface.co/o/r/tree/main/f.gguf",
		"https://huggingface.co/o/r/resolve/main",
		"https://huggingface.co/o/r/resolve/main/%2e%2e/f.gguf",
		"https://huggingface.co/o/r/resolve/main/a%2F..%2F..%2Ff.gguf",
		"https://huggingface.co/%2e%2e/r/resolve/main/f.gguf",
		"https://huggingface.co/o/r/resolve/main/%zz.gguf",
	} {
		if n, err := ParseName(in); err == nil {
			t.Errorf("ParseName(%q) = %+v, want an error", in, n)
		}
	}
}

// FuzzParseName checks that the parser never panics, and that every name
// it accepts maps to a path inside the store and reads back the same.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"hf.co/o/r/f.gguf",
		"hf.co/o/r/sub/f.gguf@refs/pr/1",
		"huggingface.co/o/r/../f.gguf",
		"https://huggingface.co/o/r/resolve/main/a%2F..%2Ff.gguf",
		"hf.co/o/r/a\\b.gguf",
	} {
		f.Add(s)
	}
	dir := filepath.FromSlash("/store/models")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		rel, err := relPath(n)
		if err != nil {
			t.Fatalf("ParseName(%q) accepted %+v, which leaves the store: %v", s, n, err)
		}
		back, err := filepath.Rel(dir, filepath.Join(dir, rel))
		if err != nil || !filepath.IsLocal(back) || back != rel {
			t.Fatalf("ParseName(%q) = %+v: path %q is not inside the store", s, n, rel)
		}
		again, err := ParseName(n.String())
		if err != nil || again.Owner != n.Owner || again.Repo != n.Repo || again.File != n.File {
			t.Fatalf("ParseName(%q) = %+v, but its String %q reads back as %+v, %v", s, n, n.String(), again, err)
		}
	})
}
