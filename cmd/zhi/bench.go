package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/pflag"

	"zhi/bench"
	"zhi/engine"
	"zhi/quantize"
)

var benchCommand = command{
	name:  "bench",
	short: "measure prompt processing (ppN) and generation (tgN) speed as llama-bench does",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			path, shape, typ string
			write            string
			threads          int
			asJSON           bool
			cpuProfile       string
			o                = bench.Options{Prompts: []int{512}, Gens: []int{128}, Reps: 5, Batch: 2048, Seed: 1}
		)
		fs.StringVarP(&path, "model", "m", "", "GGUF model file")
		fs.StringVar(&shape, "shape", "", "measure a model of this shape with random weights instead of a file: "+strings.Join(bench.ShapeNames(), ", "))
		fs.StringVar(&typ, "type", "Q4_K_M", "quantization mix of the --shape model, as llama-quantize makes it: "+benchTypeNames())
		fs.IntSliceVarP(&o.Prompts, "n-prompt", "p", o.Prompts, "prompt sizes to test, comma-separated (0: none)")
		fs.IntSliceVarP(&o.Gens, "n-gen", "n", o.Gens, "generation lengths to test, comma-separated (0: none)")
		fs.IntVarP(&o.Reps, "repetitions", "r", o.Reps, "timed runs of each test")
		fs.IntVarP(&o.Batch, "batch-size", "b", o.Batch, "most prompt tokens per forward pass")
		fs.IntVarP(&threads, "threads", "t", 0, "worker threads (0: one per CPU)")
		fs.BoolVar(&asJSON, "json", false, "print a JSON array of results with llama-bench's field names")
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the timed runs to this file (for go tool pprof)")
		fs.StringVar(&write, "write", "", "write the --shape model to this GGUF file instead of measuring it, for another engine to load the same weights")
		return func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q", args[0])
			}
			if threads < 0 {
				return fmt.Errorf("--threads must not be negative")
			}
			if write != "" {
				return writeBenchModel(write, path, shape, typ, threads)
			}
			e, info, err := openBenchModel(path, shape, typ, fs.Changed("type"), threads)
			if err != nil {
				return err
			}
			defer e.Close()
			var results []*bench.Result
			report := func(r *bench.Result) error {
				results = append(results, r)
				if asJSON {
					return nil
				}
				if len(results) == 1 {
					if err := bench.WriteTableHeader(os.Stdout); err != nil {
						return err
					}
				}
				return bench.WriteTableRow(os.Stdout, r)
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if err := bench.Run(e, info, o, report); err != nil {
				return err
			}
			if !asJSON {
				return nil
			}
			out, err := json.MarshalIndent(results, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Printf("%s\n", out)
			return err
		}
	},
}

// openBenchModel opens the model file at path, or builds a random model of
// the named shape and type when path is empty.
func openBenchModel(path, shape, typ string, typeGiven bool, threads int) (*engine.Engine, bench.ModelInfo, error) {
	o := engine.Options{Threads: threads}
	switch {
	case path != "" && shape != "":
		return nil, bench.ModelInfo{}, fmt.Errorf("give either -m MODEL or --shape NAME, not both")
	case path != "":
		if typeGiven {
			return nil, bench.ModelInfo{}, fmt.Errorf("--type applies to --shape models; a file's types are its own")
		}
		path, err := resolveModel(path)
		if err != nil {
			return nil, bench.ModelInfo{}, err
		}
		e, err := engine.Open(path, o)
		if err != nil {
			return nil, bench.ModelInfo{}, err
		}
		return e, bench.Describe(e.File, path), nil
	case shape != "":
		s, err := bench.LookupShape(shape)
		if err != nil {
			return nil, bench.ModelInfo{}, err
		}
		ft, err := quantize.ParseFileType(typ)
		if err != nil {
			return nil, bench.ModelInfo{}, err
		}
		e, err := bench.OpenRandom(s, ft, o)
		if err != nil {
			return nil, bench.ModelInfo{}, err
		}
		return e, bench.Describe(e.File, "random:"+s.Name), nil
	}
	return nil, bench.ModelInfo{}, fmt.Errorf("no model given: use -m MODEL.gguf, or --shape NAME for random weights")
}

// writeBenchModel writes the random model of the named shape and type to
// path, which must not exist yet.
func writeBenchModel(path, model, shape, typ string, threads int) error {
	if model != "" || shape == "" {
		return fmt.Errorf("--write takes a --shape model, not -m")
	}
	s, err := bench.LookupShape(shape)
	if err != nil {
		return err
	}
	ft, err := quantize.ParseFileType(typ)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists", path)
	}
	if err := bench.WriteRandomModel(path, s, ft, 1, threads); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "zhi: wrote %s (%s, %s, random weights)\n", path, s.Name, typ)
	return nil
}

// benchTypeNames names the mixes --type accepts.
func benchTypeNames() string {
	var names []string
	for _, ft := range quantize.FileTypes() {
		names = append(names, ft.String())
	}
	return strings.Join(names, ", ")
}
