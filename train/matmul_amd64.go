package train

import (
	"os"

	"golang.org/x/sys/cpu"
)

// useAVX2 selects the assembly kernel; ZHI_NOASM=1 turns it off, as it
// does the tensor package's kernels.
var useAVX2 = os.Getenv("ZHI_NOASM") == "" && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16AVX2 is kernelGeneric in AVX2 (matmul_amd64.s), its tile in
// twelve YMM registers, with fused multiply-adds. Strides are in bytes.
//
//go:noescape
func kernel6x16AVX2(k int, a *float32, ars, aps int, b, c *float32, ldc int, set bool)

// kernel is kernelGeneric, in assembly when the CPU allows.
func kernel(k int, a aPanel, b, c []float32, ldc int, set bool) {
	if !useAVX2 {
		kernelGeneric(k, a, b, c, ldc, set)
		return
	}
	if k < 1 || a.rs < 0 || a.ps < 0 || len(a.data) <= (mr-1)*a.rs+(k-1)*a.ps || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
		panic("train: kernel operands too short")
	}
	kernel6x16AVX2(k, &a.data[0], 4*a.rs, 4*a.ps, &b[0], &c[0], ldc, set)
}
