package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"zhi/engine"
)

var runCommand = command{
	name:  "run",
	short: "continue a prompt, streaming the generated text",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf     modelFlags
			pf     promptFlags
			sf     samplingFlags
			n      int
			stops  []string
			asJSON bool
		)
		mf.register(fs)
		pf.register(fs)
		fs.IntVarP(&n, "n-predict", "n", 128, "tokens to generate (-1: until end of text or full context)")
		sf.register(fs)
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
			var emit func(string) error
			if !asJSON {
				emit = func(s string) error {
					_, err := os.Stdout.WriteString(s)
					return err
				}
			}
			res, err := e.Generate(prompt, engine.GenerateOptions{MaxTokens: n, Sampling: sf.params(), Stop: stops}, emit)
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
