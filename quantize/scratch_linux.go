//go:build linux

package quantize

import (
	"errors"
	"fmt"
	"math"
	"os"
	"syscall"
)

// newScratch returns size bytes of writable memory backed by an unlinked
// file in dir, so that the kernel can write the pages out instead of keeping
// them all in memory: a model's quantized weights may be larger than the
// RAM. The disk space is reserved first, so that a full disk is an error
// here rather than a fault when a page is first written.
func newScratch(dir string, size uint64) (*scratch, error) {
	if size == 0 {
		return &scratch{}, nil
	}
	if size > math.MaxInt {
		return nil, fmt.Errorf("%d bytes of output is too large to map", size)
	}
	f, err := os.CreateTemp(dir, ".zhi-quantize-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return nil, err
	}
	if err := reserve(f, int64(size)); err != nil {
		return nil, fmt.Errorf("reserving %d bytes of scratch space in %s: %w", size, dir, err)
	}
	buf, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping scratch space: %w", err)
	}
	return &scratch{buf: buf, unmap: func() error { return syscall.Munmap(buf) }}, nil
}

// reserve allocates size bytes of disk for f, writing zeros where the file
// system cannot allocate without writing.
func reserve(f *os.File, size int64) error {
	err := syscall.Fallocate(int(f.Fd()), 0, 0, size)
	if !errors.Is(err, syscall.EOPNOTSUPP) {
		return err
	}
	zeros := make([]byte, 1<<20)
	for size > 0 {
		n, err := f.Write(zeros[:min(int64(len(zeros)), size)])
		if err != nil {
			return err
		}
		size -= int64(n)
	}
	return nil
}
