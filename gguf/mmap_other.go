//go:build !unix

package gguf

import "os"

// mapFile reads the whole file: this platform has no syscall.Mmap. unmap is
// always nil, the garbage collector releases the data.
func mapFile(path string) (data []byte, unmap func() error, err error) {
	data, err = os.ReadFile(path)
	return data, nil, err
}
