//go:build !linux

package quantize

import (
	"fmt"
	"math"
)

// newScratch returns size bytes of memory: outside Linux, which can reserve
// disk for a mapped scratch file, the converted tensors stay in memory until
// they are written.
func newScratch(dir string, size uint64) (*scratch, error) {
	if size > math.MaxInt {
		return nil, fmt.Errorf("%d bytes of output is too large for memory", size)
	}
	return &scratch{buf: make([]byte, size)}, nil
}
