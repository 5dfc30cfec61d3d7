package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhi/internal/shared"
	"zhi/store/hubtest"
)

// useHub points the zhi commands the tests run at a fake hub serving
// content as hf.co/owner/repo/FILE, with an empty store; it returns the
// store's directory.
func useHub(t *testing.T, file string, content []byte) string {
	hub := hubtest.New(t)
	hub.Add("owner/repo", file, content)
	hub.RequireToken("secret")
	dir := t.TempDir()
	t.Setenv("ZHI_MODELS", dir)
	t.Setenv("ZHI_HF_ENDPOINT", hub.URL)
	t.Setenv("HF_TOKEN", "secret")
	return dir
}

func TestPullListRemove(t *testing.T) {
	content := bytes.Repeat([]byte("GGUF"), 300_000)
	dir := useHub(t, "m-Q4_0.gguf", content)
	const name = "hf.co/owner/repo/m-Q4_0.gguf"
	path := filepath.Join(dir, "hf.co", "owner", "repo", "m-Q4_0.gguf")

	stdout, stderr, ok := zhi(t, "pull", name)
	if !ok || stdout != path+"\n" || !strings.Contains(stderr, "m-Q4_0.gguf: 100% of 1.1 MiB") {
		t.Fatalf("pull: ok %v, stdout %q, stderr %q; want the path and progress lines", ok, stdout, stderr)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("pulled file: %d bytes, %v", len(got), err)
	}
	if stdout, stderr, ok := zhi(t, "pull", "-q", name); !ok || stdout != path+"\n" || stderr != "" {
		t.Fatalf("pull -q of a pulled model: ok %v, stdout %q, stderr %q", ok, stdout, stderr)
	}
	stdout, stderr, ok = zhi(t, "list")
	if !ok || !strings.Contains(stdout, "NAME") || !strings.Contains(stdout, name+"  1.1 MiB") {
		t.Fatalf("list: ok %v, stdout %q, stderr %q", ok, stdout, stderr)
	}
	mustFail(t, "has no file other.gguf", "pull", "hf.co/owner/repo/other.gguf")
	mustFail(t, "model name", "pull", "hf.co/owner/../x.gguf")
	mustFail(t, "usage: zhi pull", "pull")

	if stdout, stderr, ok := zhi(t, "rm", name); !ok || stdout != "removed "+name+"\n" {
		t.Fatalf("rm: ok %v, stdout %q, stderr %q", ok, stdout, stderr)
	}
	if stdout, stderr, ok := zhi(t, "list"); !ok || stdout != "" || !strings.Contains(stderr, "no models in "+dir) {
		t.Fatalf("list of an empty store: ok %v, stdout %q, stderr %q", ok, stdout, stderr)
	}
	mustFail(t, "not in the store", "rm", name)
	mustFail(t, "model "+name+" is not a file and not in the store (zhi pull "+name+")", "info", "-m", name)
}

// TestModelByName runs a pulled model by its name.
func TestModelByName(t *testing.T) {
	content, err := os.ReadFile(shared.Path(t, "reference", "tiny-llama-spm-q4_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := useHub(t, "tiny.gguf", content)
	const name = "hf.co/owner/repo/tiny.gguf"
	if _, stderr, ok := zhi(t, "pull", "-q", name); !ok {
		t.Fatal(stderr)
	}
	stdout, stderr, ok := zhi(t, "info", "-m", name)
	if !ok || !strings.Contains(stdout, "file          "+filepath.Join(dir, "hf.co", "owner", "repo", "tiny.gguf")) {
		t.Fatalf("info -m %s: ok %v, stdout %q, stderr %q", name, ok, stdout, stderr)
	}
}
