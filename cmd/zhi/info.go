package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"zhi/tensor"
)

var infoCommand = command{
	name:  "info",
	short: "describe a model file: architecture, size, types, tokenizer, memory",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var mf modelFlags
		mf.register(fs)
		return func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q", args[0])
			}
			e, err := mf.open()
			if err != nil {
				return err
			}
			defer e.Close()
			c := e.Model.Config()
			var params uint64
			var weightBytes uint64
			types := map[tensor.Type]int{}
			for i := range e.File.Tensors {
				t := &e.File.Tensors[i]
				params += t.NumElements()
				weightBytes += t.Size()
				types[t.Type]++
			}
			var typeList []string
			for t, n := range types {
				typeList = append(typeList, fmt.Sprintf("%s×%d", t, n))
			}
			sort.Strings(typeList)
			size := uint64(e.File.Size())
			if !mf.builtin() {
				st, err := os.Stat(mf.path)
				if err != nil {
					return err
				}
				size = uint64(st.Size())
			}
			kBytes, _ := e.CacheK.RowSize(c.KVDim())
			vBytes, _ := e.CacheV.RowSize(c.KVDim())
			kvBytes := uint64(c.Layers * e.Context * (kBytes + vBytes))
			name, _ := e.File.String("general.name")
			tok := e.Tokenizer
			fmt.Printf("file          %s (%s, GGUF v%d)\n", mf.path, bytesString(size), e.File.Version)
			if name != "" {
				fmt.Printf("name          %s\n", name)
			}
			fmt.Printf("architecture  %s\n", c.Arch)
			fmt.Printf("parameters    %s (%d)\n", countString(params), params)
			fmt.Printf("tensor types  %s\n", strings.Join(typeList, ", "))
			fmt.Printf("layers        %d, embedding %d, feed-forward %d\n", c.Layers, c.Embedding, c.FeedForward)
			fmt.Printf("attention     %d heads, %d key/value heads, head size %d\n", c.Heads, c.KVHeads, c.HeadDim)
			fmt.Printf("rope          base %g, %d dims, scale %g\n", c.RopeBase, c.RopeDim, c.RopeScale)
			fmt.Printf("context       %d trained, %d used here\n", c.ContextLength, e.Context)
			fmt.Printf("tokenizer     %s (pre %q), %d tokens, add BOS %v\n", tok.Model(), tok.Pre(), tok.VocabSize(), tok.AddBOS())
			fmt.Printf("memory        %s weights (mapped) + %s KV cache (K %s, V %s, %d tokens)\n", bytesString(weightBytes), bytesString(kvBytes), e.CacheK, e.CacheV, e.Context)
			return nil
		}
	},
}

func bytesString(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
}

func countString(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f B", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f M", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.1f K", float64(n)/1e3)
	}
}
