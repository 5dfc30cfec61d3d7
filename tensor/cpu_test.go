package tensor

import "golang.org/x/sys/cpu"

// hasAVX512 reports whether the CPU runs the AVX-512 kernels, whatever
// ZHI_NOAVX512 says, so that they are tested either way.
func hasAVX512() bool {
	return cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW &&
		cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}
