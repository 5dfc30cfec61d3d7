// Command zhi runs large language models stored as GGUF files.
//
//	zhi run -m MODEL -p PROMPT      continue a prompt
//	zhi chat -m MODEL               talk with a model in the terminal
//	zhi next -m MODEL PROMPT        show the most likely next tokens
//	zhi tokenize -m MODEL TEXT      show how text splits into tokens
//	zhi tokenizer train FILES...    train a tokenizer on text files
//	zhi train --data FILES -o OUT   pretrain a model from scratch
//	zhi finetune -m BASE --data F   fine-tune a model on question/answer pairs
//	zhi compare -m MODEL            pick the better of two answers, for align
//	zhi align -m SFT --data PREFS   align a model with preferences (DPO)
//	zhi info -m MODEL               describe a model file
//	zhi bench -m MODEL              measure speed as llama-bench does
//	zhi perplexity -m MODEL FILE    measure perplexity on a text
//	zhi quantize IN OUT TYPE        quantize a model's weights
//	zhi serve -m MODEL              answer OpenAI-compatible HTTP requests
//	zhi pull NAME                   download a model from the Hugging Face hub
//	zhi list                        list the downloaded models
//	zhi rm NAME                     remove a downloaded model
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

const usage = `zhi runs large language models stored as GGUF files.

Usage:
  zhi run -m MODEL -p PROMPT [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--seed S] [--json]
  zhi chat -m MODEL [--system TEXT] [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--seed S]
  zhi next -m MODEL PROMPT [--top K] [--all] [--json]
  zhi tokenize -m MODEL [--no-bos] [--json] TEXT
  zhi tokenizer train --vocab N -o OUT.gguf FILES...
  zhi train --data FILES -o OUT.gguf [--dim D --layers L ...] [--steps N | --time D] [--resume] [-q]
  zhi finetune -m BASE --data PAIRS.jsonl -o OUT.gguf [--epochs N] [--lr LR] [--lora-rank R [--lora-alpha A] [--lora-targets q,k,v,o] [--adapter OUT-lora.gguf]]
  zhi compare -m MODEL [--prompts FILE] [-o prefs.jsonl] [--system TEXT] [-n N] [--temp T] [--temp-b T]
  zhi align -m SFT --data PREFS.jsonl -o OUT.gguf [--beta 0.1] [--epochs N] [--lr LR] [--lora-rank R ...]
  zhi info -m MODEL
  zhi bench (-m MODEL | --shape NAME [--type TYPE] [--write FILE]) [-p 512] [-n 128] [-r 5] [-t THREADS] [--json]
  zhi perplexity -m MODEL [-c 512] [--chunks N] [--json] FILE
  zhi quantize [-t THREADS] [-q] IN.gguf OUT.gguf TYPE
  zhi serve -m MODEL [--host H] [--port P] [--api-key KEY] [--parallel N] [--ctx N] [--queue N] [--alias NAME]
  zhi pull [-q] hf.co/OWNER/REPO/FILE.gguf[@REVISION]
  zhi list
  zhi rm hf.co/OWNER/REPO/FILE.gguf

MODEL is a GGUF file or the name of a pulled model (hf.co/OWNER/REPO/FILE.gguf).

Run "zhi COMMAND --help" for a command's flags.
`

// command is one subcommand: its flags and what it does with them.
type command struct {
	name  string
	short string
	setup func(fs *pflag.FlagSet) func(args []string) error
}

var commands = []command{runCommand, chatCommand, nextCommand, tokenizeCommand, tokenizerCommand, trainCommand, finetuneCommand, compareCommand, alignCommand, infoCommand, benchCommand, perplexityCommand, quantizeCommand, serveCommand, pullCommand, listCommand, rmCommand}

func main() {
	if err := dispatch(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "zhi: "+oneLine(err.Error()))
		os.Exit(1)
	}
}

func dispatch(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		fs := pflag.NewFlagSet("zhi "+c.name, pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.SortFlags = false
		run := c.setup(fs)
		if err := fs.Parse(args[1:]); err != nil {
			if errors.Is(err, pflag.ErrHelp) {
				fmt.Fprintf(stdout, "zhi %s: %s\n\nFlags:\n%s", c.name, c.short, fs.FlagUsages())
			}
			return err
		}
		return run(fs.Args())
	}
	return fmt.Errorf("unknown command %q (commands: run, chat, next, tokenize, tokenizer, train, finetune, compare, align, info, bench, perplexity, quantize, serve, pull, list, rm)", args[0])
}

// oneLine keeps an error message to a single line, as a shell user expects.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// parseTokenList reads --tokens "1,2,3".
func parseTokenList(s string) ([]int32, error) {
	var ids []int32
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--tokens: %q is not a token id", f)
		}
		ids = append(ids, int32(v))
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("--tokens: no token ids given")
	}
	return ids, nil
}
