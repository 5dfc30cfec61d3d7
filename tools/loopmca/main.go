// Command loopmca estimates the cycles an iteration of a kernel's inner loop
// takes on a given CPU, with llvm-mca: it disassembles the function from a
// test binary with objdump, takes the last loop in it (the code from the
// target of its last backward jump to that jump) and hands it to llvm-mca
// for each CPU named. It is how docs/PERFORMANCE.md estimates the speed of
// kernels for CPUs that are not at hand.
//
//	go test -c -o /tmp/tensor.test ./tensor
//	go run ./tools/loopmca -bin /tmp/tensor.test -cpu icelake-server,znver3 dot8Q4KAVX512
//
// A Go assembly function NAME is the symbol zhi/tensor.NAME.abi0; -pkg
// changes the package. -loop picks another loop than the last (0 the first).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	bin := flag.String("bin", "", "test binary holding the kernels")
	cpus := flag.String("cpu", "icelake-server", "comma-separated llvm-mca CPU models")
	pkg := flag.String("pkg", "zhi/tensor", "package of the functions")
	loop := flag.Int("loop", -1, "which loop of the function: 0 the first, -1 the last")
	iterations := flag.Int("iterations", 300, "iterations llvm-mca simulates")
	flag.Parse()
	if *bin == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: loopmca -bin TEST_BINARY [-cpu CPUS] FUNC...")
		os.Exit(2)
	}
	for _, name := range flag.Args() {
		if err := estimate(*bin, *pkg+"."+name+".abi0", name, strings.Split(*cpus, ","), *loop, *iterations); err != nil {
			fmt.Fprintf(os.Stderr, "loopmca: %s: %v\n", name, err)
			os.Exit(1)
		}
	}
}

var (
	insnLine = regexp.MustCompile(`^\s+([0-9a-f]+):\t(.*)$`)
	jump     = regexp.MustCompile(`^(j[a-z]+)\s+([0-9a-f]+)`)
	cycles   = regexp.MustCompile(`Total Cycles:\s+(\d+)`)
	symbol   = regexp.MustCompile(`<.*>`)
)

// estimate prints llvm-mca's cycles an iteration of the chosen loop of
// symbol sym takes on each CPU.
func estimate(bin, sym, name string, cpus []string, which, iterations int) error {
	out, err := exec.Command("objdump", "-d", "--no-show-raw-insn", "--disassemble="+sym, bin).Output()
	if err != nil {
		return fmt.Errorf("objdump: %w", err)
	}
	type insn struct {
		addr uint64
		text string
	}
	var code []insn
	var loops [][2]uint64
	for _, line := range strings.Split(string(out), "\n") {
		m := insnLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		addr, _ := strconv.ParseUint(m[1], 16, 64)
		text := strings.TrimSpace(symbol.ReplaceAllString(m[2], ""))
		code = append(code, insn{addr, text})
		if j := jump.FindStringSubmatch(text); j != nil {
			if target, _ := strconv.ParseUint(j[2], 16, 64); target < addr {
				loops = append(loops, [2]uint64{target, addr})
			}
		}
	}
	if len(loops) == 0 {
		return fmt.Errorf("no loop in %s", sym)
	}
	if which < 0 {
		which += len(loops)
	}
	if which < 0 || which >= len(loops) {
		return fmt.Errorf("%d loops, no loop %d", len(loops), which)
	}
	var src strings.Builder
	src.WriteString(".Lloop:\n")
	n := 0
	for _, in := range code {
		if in.addr < loops[which][0] || in.addr > loops[which][1] {
			continue
		}
		text := in.text
		if in.addr == loops[which][1] {
			text = jump.ReplaceAllString(text, "$1 .Lloop")
		}
		src.WriteString(text + "\n")
		n++
	}
	for _, cpu := range cpus {
		cmd := exec.Command("llvm-mca", "-mcpu="+cpu, fmt.Sprintf("-iterations=%d", iterations))
		cmd.Stdin = strings.NewReader(src.String())
		report, err := cmd.CombinedOutput()
		m := cycles.FindSubmatch(report)
		if err != nil || m == nil {
			return fmt.Errorf("llvm-mca -mcpu=%s: %v\n%s", cpu, err, report)
		}
		total, _ := strconv.Atoi(string(m[1]))
		fmt.Printf("%s\t%s\t%d instructions\t%.1f cycles an iteration\n", name, cpu, n, float64(total)/float64(iterations))
	}
	return nil
}
