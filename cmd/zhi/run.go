package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"zhi/engine"
	"zhi/sample"
)

var runCommand = command{
	name:  "run",
	short: "continue a prompt, streaming the generated text",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf      modelFlags
			pf      promptFlags
			n       int
			seed    int64
			stops   []string
			asJSON  bool
			p       = sample.Defaults(0)
			lastN   = p.RepeatLastN
			penalty = p.RepeatPenalty
		)
		mf.register(fs)
		pf.register(fs)
		fs.IntVarP(&n, "n-predict", "n", 128, "tokens to generate (-1: until end of text or full context)")
		fs.Float32Var(&p.Temperature, "temp", p.Temperature, "temperature (0: greedy)")
		fs.IntVar(&p.TopK, "top-k", p.TopK, "keep the K most likely tokens (0: off)")
		fs.Float32Var(&p.TopP, "top-p", p.TopP, "keep the most likely tokens up to this total probability (1: off)")
		fs.Float32Var(&p.MinP, "min-p", p.MinP, "drop tokens less likely than this fraction of the best (0: off)")
		fs.Float32Var(&penalty, "repeat-penalty", penalty, "penalize recent tokens (1: off)")
		fs.IntVar(&lastN, "repeat-last-n", lastN, "how many recent tokens the penalties see (-1: all)")
		fs.Float32Var(&p.FrequencyPenalty, "frequency-penalty", 0, "subtract this times a token's recent count")
		fs.Float32Var(&p.PresencePenalty, "presence-penalty", 0, "subtract this from recent tokens")
		fs.Int64Var(&seed, "seed", -1, "random seed (-1: a new one each run)")
		fs.StringArrayVar(&stops, "stop", nil, "stop before this text (repeatable)")
		fs.BoolVar(&asJSON, "json", false, `print {"tokens","generated","text"} at the end instead of streaming`)
		return func(args []string) error {
			e, err := mf.open()
			if err != nil {
				return err
			}
			defer e.Close()
			prompt, err := pf.ids(e, args)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("-n 0 asks for no tokens: give a count, or -1 for no limit")
			}
			p.RepeatPenalty, p.RepeatLastN = penalty, lastN
			p.Seed = uint64(seed)
			if seed < 0 {
				p.Seed = uint64(time.Now().UnixNano())
			}
			var emit func(string) error
			if !asJSON {
				emit = func(s string) error {
					_, err := os.Stdout.WriteString(s)
					return err
				}
			}
			res, err := e.Generate(prompt, engine.GenerateOptions{MaxTokens: n, Sampling: p, Stop: stops}, emit)
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Println()
				return nil
			}
			return json.NewEncoder(os.Stdout).Encode(struct {
				Tokens    []int32 `json:"tokens"`
				Generated []int32 `json:"generated"`
				Text      string  `json:"text"`
				Reason    string  `json:"stop_reason"`
			}{prompt, nonNil(res.Generated), res.Text, res.Reason})
		}
	},
}

// nonNil makes an empty list print as [] rather than null.
func nonNil(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}
