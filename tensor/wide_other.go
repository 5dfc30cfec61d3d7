//go:build !amd64

package tensor

// Without assembly kernels, the wide kernels run their Go twins.

var (
	f16Wide  = wideTiles{decode: decodeF16Generic}
	bf16Wide = wideTiles{decode: decodeBF16}
)
