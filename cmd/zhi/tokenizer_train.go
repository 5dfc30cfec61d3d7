package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"zhi/tokenizer/bpetrain"
)

var tokenizerCommand = command{
	name:  "tokenizer",
	short: "train a byte-level BPE tokenizer: zhi tokenizer train --vocab N -o OUT.gguf FILES...",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			vocabSize int
			out       string
		)
		fs.IntVar(&vocabSize, "vocab", 0, fmt.Sprintf("vocabulary size, byte and special tokens included (%d to %d)", bpetrain.MinVocabSize, bpetrain.MaxVocabSize))
		fs.StringVarP(&out, "output", "o", "", "GGUF file to write the tokenizer to")
		return func(args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("usage: zhi tokenizer train --vocab N -o OUT.gguf FILES...")
			}
			if args[0] != "train" {
				return fmt.Errorf("unknown tokenizer subcommand %q (subcommands: train)", args[0])
			}
			return trainTokenizer(vocabSize, out, args[1:])
		}
	},
}

// trainTokenizer trains a vocabulary on the text files and writes it.
func trainTokenizer(vocabSize int, out string, files []string) error {
	switch {
	case vocabSize == 0:
		return fmt.Errorf("--vocab is required")
	case out == "":
		return fmt.Errorf("-o is required")
	case len(files) == 0:
		return fmt.Errorf("no text files to train on")
	}
	start := time.Now()
	var c bpetrain.Corpus
	for _, f := range files {
		if err := c.AddFile(f); err != nil {
			return err
		}
	}
	v, err := c.Train(vocabSize)
	if err != nil {
		return err
	}
	if err := v.WriteFile(out); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d tokens, %d merges, trained on %s in %d files in %.1f s\n",
		out, len(v.Tokens), len(v.Merges), bytesString(uint64(c.Bytes())), len(files), time.Since(start).Seconds())
	return nil
}
