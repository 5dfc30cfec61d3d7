package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"zhi/quantize"
)

var quantizeCommand = command{
	name:  "quantize",
	short: "convert a model's F32/F16/BF16 weights to a quantized type: zhi quantize IN.gguf OUT.gguf TYPE",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			threads int
			quiet   bool
		)
		fs.IntVarP(&threads, "threads", "t", 0, "worker threads (0: one per CPU)")
		fs.BoolVarP(&quiet, "quiet", "q", false, "no progress line per tensor on stderr")
		return func(args []string) error {
			if len(args) != 3 {
				return fmt.Errorf("usage: zhi quantize IN.gguf OUT.gguf TYPE, TYPE one of %s", fileTypeNames())
			}
			in, out := args[0], args[1]
			ft, err := quantize.ParseFileType(args[2])
			if err != nil {
				return err
			}
			if threads < 0 {
				return fmt.Errorf("--threads must not be negative")
			}
			opt := quantize.Options{Threads: threads}
			if !quiet {
				opt.Log = os.Stderr
			}
			start := time.Now()
			sum, err := quantize.File(in, out, ft, opt)
			if err != nil {
				return err
			}
			st, err := os.Stat(out)
			if err != nil {
				return err
			}
			fmt.Printf("wrote %s (%s, %s): %d tensors, %d converted, %d with a fallback type for their row length\n",
				out, ft, bytesString(uint64(st.Size())), sum.Tensors, sum.Converted, sum.Fallbacks)
			fmt.Printf("tensor data %s -> %s (%.1f%%) in %.1f s\n", bytesString(sum.InBytes), bytesString(sum.OutBytes),
				100*float64(sum.OutBytes)/float64(max(sum.InBytes, 1)), time.Since(start).Seconds())
			return nil
		}
	},
}

func fileTypeNames() string {
	var names []string
	for _, ft := range quantize.FileTypes() {
		names = append(names, ft.String())
	}
	return strings.Join(names, ", ")
}
