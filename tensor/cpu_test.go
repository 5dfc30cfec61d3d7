package tensor

import (
	"os"
	"testing"

	"golang.org/x/sys/cpu"
)

// hasAVX512 reports whether the CPU runs the AVX-512 kernels, whatever
// ZHI_NOAVX512 says, so that they are tested either way.
func hasAVX512() bool {
	return cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW &&
		cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}

// TestAVX512Present fails when ZHI_REQUIRE_AVX512=1 (tools/avx512emu sets
// it) and the AVX-512 kernels would not run, since their tests would pass
// by skipping them.
func TestAVX512Present(t *testing.T) {
	if os.Getenv("ZHI_REQUIRE_AVX512") != "1" {
		t.Skip("ZHI_REQUIRE_AVX512 is not set")
	}
	if !hasAVX512() || !cpuHasAVX512() {
		t.Fatalf("the AVX-512 kernels are off: CPU has them %v, selected %v", hasAVX512(), cpuHasAVX512())
	}
}
