package model_test

import (
	"testing"

	"zhi/gguf"
	"zhi/model"
)

// loadModel opens the GGUF at path and builds its model; the file is closed
// when the test ends.
func loadModel(t *testing.T, path string) model.Model {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := model.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
