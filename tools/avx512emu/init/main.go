//go:build linux

// Command init is the first process of the emulated machine that run.sh
// boots: it runs /test (a Go test binary) with its own arguments, prints
// the outcome on the console, and powers the machine off so that the
// emulator exits.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if err := syscall.Mount("tmpfs", "/tmp", "tmpfs", 0, ""); err != nil {
		fmt.Println("init: mounting /tmp:", err)
	}
	cmd := exec.Command("/test", os.Args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	// The kernel hands init the parameters it does not know as environment
	// variables (run.sh's ZHI_EMU_ENV).
	cmd.Env = append(os.Environ(), "TMPDIR=/tmp", "HOME=/tmp")
	if err := cmd.Run(); err != nil {
		fmt.Println("ZHI-EMU FAIL:", err)
	} else {
		fmt.Println("ZHI-EMU PASS")
	}
	// The console is a slow serial line: wait until it has sent everything
	// (tcdrain) before the power goes.
	if err := unix.IoctlSetInt(int(os.Stdout.Fd()), unix.TCSBRK, 1); err != nil {
		fmt.Println("init: draining the console:", err)
	}
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Println("init: power off:", err)
	}
}
