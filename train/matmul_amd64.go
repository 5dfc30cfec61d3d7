package train

import (
	"os"

	"golang.org/x/sys/cpu"
)

// useAVX2 selects the assembly kernel; ZHI_NOASM=1 turns it off, as it
// does the tensor package's kernels.
var useAVX2 = os.Getenv("ZHI_NOASM") == "" && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX512 selects the kernel for pairs of tiles; ZHI_NOAVX512=1 turns it
// off alone, to compare the two on one machine.
var useAVX512 = useAVX2 && cpu.X86.HasAVX512F && os.Getenv("ZHI_NOAVX512") == ""

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
	if k < 1 || a.rs < 0 || a.ps < 0 || ldc < nr || len(a.data) <= (mr-1)*a.rs+(k-1)*a.ps || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
		panic("train: kernel operands too short")
	}
	kernel6x16AVX2(k, &a.data[0], 4*a.rs, 4*a.ps, &b[0], &c[0], ldc, set)
}

// kernel6x32AVX512 is kernelPairGeneric in AVX-512 (matmul_amd64.s), both
// tiles in twelve ZMM registers. Strides are in bytes.
//
//go:noescape
func kernel6x32AVX512(k int, a *float32, ars, aps int, b *float32, bnext int, c *float32, ldc int, set bool)

// kernelPair is kernelPairGeneric, in assembly when the CPU allows: one
// AVX-512 kernel, or the AVX2 one twice.
func kernelPair(k int, a aPanel, b []float32, bnext int, c []float32, ldc int, set bool) {
	if !useAVX512 {
		kernel(k, a, b, c, ldc, set)
		kernel(k, a, b[bnext:], c[nr:], ldc, set)
		return
	}
	if k < 1 || a.rs < 0 || a.ps < 0 || bnext < 0 || ldc < 2*nr || len(a.data) <= (mr-1)*a.rs+(k-1)*a.ps ||
		len(b) < bnext+k*nr || len(c) < (mr-1)*ldc+2*nr {
		panic("train: kernel operands too short")
	}
	kernel6x32AVX512(k, &a.data[0], 4*a.rs, 4*a.ps, &b[0], 4*bnext, &c[0], ldc, set)
}

// packRowsAVX2 and packColsAVX2 are packPanelGeneric in AVX2 (pack_amd64.s)
// for B stored by rows and B stored as a transpose. Strides are in bytes.
//
//go:noescape
func packRowsAVX2(dst, src *float32, rs, k int)

//go:noescape
func packColsAVX2(dst, src *float32, cs, k int)

// packColumnsAVX2 is packColumnsGeneric in assembly; cs is in bytes.
//
//go:noescape
func packColumnsAVX2(dst, src *float32, cs, k int)

// packColumns is packColumnsGeneric, in assembly when the CPU allows.
func packColumns(dst []float32, a mat) {
	k := a.cols
	if !useAVX2 || k == 0 || len(dst) < k*mr || a.cs < 0 || len(a.data) < (k-1)*a.cs+mr {
		packColumnsGeneric(dst, a)
		return
	}
	packColumnsAVX2(&dst[0], &a.data[0], 4*a.cs, k)
}

// packPanel is packPanelGeneric, in assembly when the CPU allows.
func packPanel(dst []float32, b mat) {
	k := b.rows
	switch {
	case !useAVX2 || k == 0 || len(dst) < k*nr:
	case b.cs == 1 && b.rs >= 0 && len(b.data) >= (k-1)*b.rs+nr:
		packRowsAVX2(&dst[0], &b.data[0], 4*b.rs, k)
		return
	case b.rs == 1 && b.cs >= 0 && len(b.data) >= (nr-1)*b.cs+k:
		k8 := k &^ 7
		if k8 > 0 {
			packColsAVX2(&dst[0], &b.data[0], 4*b.cs, k8)
		}
		packPanelGeneric(dst[k8*nr:], b.sub(k8, k-k8, 0, nr))
		return
	}
	packPanelGeneric(dst, b)
}
