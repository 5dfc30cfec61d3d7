package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fill writes files under dir, given slash-separated, with their paths as
// content.
func fill(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t *testing.T, s *Store) string {
	t.Helper()
	models, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, m := range models {
		if m.Path != filepath.Join(s.Dir, filepath.FromSlash(m.Name)) || m.Size != int64(len(m.Name)) || m.Modified.IsZero() {
			t.Errorf("List: %+v does not describe its file", m)
		}
		list = append(list, m.Name)
	}
	return strings.Join(list, " ")
}

func TestListRemove(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "models")}
	if got := names(t, s); got != "" {
		t.Fatalf("a store not yet made lists %q", got)
	}
	fill(t, s.Dir,
		"hf.co/o/r/b.gguf",
		"hf.co/o/r/sub/a.gguf",
		"hf.co/o/r/c.gguf.partial",
		"hf.co/o/r/notes.txt",
		"hf.co/o/r/x@y.gguf",
		"hf.co/o/a.gguf",
		"elsewhere.gguf",
	)
	if got, want := names(t, s), "hf.co/o/r/b.gguf hf.co/o/r/sub/a.gguf"; got != want {
		t.Fatalf("List: %q, want %q", got, want)
	}

	for _, name := range []string{"hf.co/o/r/sub/a.gguf", "hf.co/o/r/c.gguf"} {
		if err := s.Remove(name); err != nil {
			t.Fatalf("Remove(%s): %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "hf.co", "o", "r", "sub")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove left the emptied folder: %v", err)
	}
	if got, want := names(t, s), "hf.co/o/r/b.gguf"; got != want {
		t.Fatalf("List after Remove: %q, want %q", got, want)
	}
	for name, want := range map[string]string{
		"hf.co/o/r/sub/a.gguf":     "not in the store",
		"hf.co/o/r/../a.gguf":      "model name",
		"hf.co/o/r/elsewhere.gguf": "not in the store",
	} {
		if err := s.Remove(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Remove(%q): %v, want an error saying %q", name, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "elsewhere.gguf")); err != nil {
		t.Errorf("a file outside the store's layout went: %v", err)
	}
}

func TestResolve(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	fill(t, s.Dir, "hf.co/o/r/m.gguf")
	local := filepath.Join(t.TempDir(), "local.gguf")
	fill(t, filepath.Dir(local), "local.gguf")
	for in, want := range map[string]string{
		local:                          local,
		"hf.co/o/r/m.gguf":             filepath.Join(s.Dir, "hf.co", "o", "r", "m.gguf"),
		"huggingface.co/o/r/m.gguf@v2": filepath.Join(s.Dir, "hf.co", "o", "r", "m.gguf"),
	} {
		if got, err := s.Resolve(in); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"hf.co/o/r/other.gguf": "model hf.co/o/r/other.gguf is not a file and not in the store (zhi pull hf.co/o/r/other.gguf)",
		"hf.co/o/r/../m.gguf":  "model name",
		"hf.co/o/r":            "model name",
		"missing.gguf":         "model file missing.gguf does not exist",
	} {
		if got, err := s.Resolve(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Resolve(%q) = %q, %v; want an error saying %q", in, got, err, want)
		}
	}
}

func TestDefault(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("ZHI_MODELS", "")
	s, err := Default()
	if err != nil || s.Dir != filepath.Join(home, ".zhi", "models") {
		t.Fatalf("Default() = %+v, %v; want ~/.zhi/models", s, err)
	}
	t.Setenv("ZHI_MODELS", "rel/models")
	s, err = Default()
	if err != nil || !filepath.IsAbs(s.Dir) || !strings.HasSuffix(s.Dir, filepath.Join("rel", "models")) {
		t.Fatalf("Default() with ZHI_MODELS=rel/models: %+v, %v", s, err)
	}
}
