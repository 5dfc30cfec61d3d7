//go:build !amd64

package tensor

// Without assembly kernels, the wide kernels run their Go twins.

var (
	f16Wide  = wideTiles{}
	bf16Wide = wideTiles{bf16: true}
)
