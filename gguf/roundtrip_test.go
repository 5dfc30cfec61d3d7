package gguf

import (
	"bytes"
	"path/filepath"
	"testing"
	"zhi/internal/shared"
)

// TestRoundTripShared writes every shared GGUF file back through FromFile
// and checks that the result parses to the same file. The files were written
// by ggml's own tools, so the output must also be identical byte for byte,
// except that older tools left a file without tensors unpadded.
func TestRoundTripShared(t *testing.T) {
	var paths []string
	for _, sub := range []string{"reference", "vocab"} {
		m, err := filepath.Glob(filepath.Join(shared.Path(t, sub), "*.gguf"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Fatal("no .gguf files in the shared data")
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var buf bytes.Buffer
			n, err := FromFile(f).WriteTo(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(buf.Len()) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
			}
			g, err := Parse(buf.Bytes())
			if err != nil {
				t.Fatalf("parsing the written file: %v", err)
			}
			if err := diffFiles(f, g, true); err != nil {
				t.Fatal(err)
			}
			padded := alignUp(uint64(len(f.data)), f.Alignment)
			if !bytes.HasPrefix(buf.Bytes(), f.data) || uint64(buf.Len()) != padded ||
				len(bytes.Trim(buf.Bytes()[len(f.data):], "\x00")) != 0 {
				t.Errorf("written file differs from the original (%d vs %d bytes)", buf.Len(), len(f.data))
			}
		})
	}
}
