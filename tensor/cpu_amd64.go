package tensor

import (
	"os"

	"golang.org/x/sys/cpu"
)

func cpuHasAVX2() bool {
	return os.Getenv("ZHI_NOASM") == "" && cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX
}

// cpuHasAVX512 reports whether the CPU has the AVX-512 subsets the 512-bit
// kernels use (F, BW, VL and VNNI), unless ZHI_NOAVX512 is set.
func cpuHasAVX512() bool {
	return cpuHasAVX2() && os.Getenv("ZHI_NOAVX512") == "" &&
		cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}
