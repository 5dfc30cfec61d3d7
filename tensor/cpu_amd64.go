package tensor

import (
	"os"

	"golang.org/x/sys/cpu"
)

func cpuHasAVX2() bool {
	return os.Getenv("ZHI_NOASM") == "" && cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX
}
