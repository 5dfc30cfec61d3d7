package gguf

import "fmt"

// Open maps the GGUF file at path into memory read-only and parses it. The
// tensor data stays in the mapping; call Close to release it.
func Open(path string) (*File, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := parse(data)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	f.unmap = unmap
	return f, nil
}
