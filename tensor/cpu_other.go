//go:build !amd64

package tensor

func cpuHasAVX2() bool { return false }

func cpuHasAVX512() bool { return false }
