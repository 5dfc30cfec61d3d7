package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"zhi/sample"
)

var nextCommand = command{
	name:  "next",
	short: "show the most likely next tokens and their probabilities",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf     modelFlags
			pf     promptFlags
			top    int
			all    bool
			asJSON bool
		)
		mf.register(fs)
		pf.register(fs)
		fs.IntVar(&top, "top", 10, "how many candidates to show")
		fs.BoolVar(&all, "all", false, "show the prediction after every prompt token, not just the last")
		fs.BoolVar(&asJSON, "json", false, `print {"tokens","positions":[{"top":[{"id","token","logit","prob"}]}]}`)
		return func(args []string) error {
			if top < 1 {
				return fmt.Errorf("--top must be at least 1")
			}
			e, err := mf.open()
			if err != nil {
				return err
			}
			defer e.Close()
			prompt, err := pf.ids(e, args)
			if err != nil {
				return err
			}
			rows, err := e.Logits(prompt, all)
			if err != nil {
				return err
			}
			type candidate struct {
				ID    int32   `json:"id"`
				Token string  `json:"token"`
				Logit float32 `json:"logit"`
				Prob  float32 `json:"prob"`
			}
			type position struct {
				Top []candidate `json:"top"`
			}
			positions := make([]position, len(rows))
			for i, logits := range rows {
				for _, c := range sample.Top(logits, top) {
					positions[i].Top = append(positions[i].Top, candidate{c.ID, string(e.Tokenizer.Piece(c.ID)), c.Logit, c.Prob})
				}
			}
			if asJSON {
				return json.NewEncoder(os.Stdout).Encode(struct {
					Tokens    []int32    `json:"tokens"`
					Positions []position `json:"positions"`
				}{prompt, positions})
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			for i, p := range positions {
				after := prompt[len(prompt)-len(positions)+i]
				if len(positions) > 1 || i > 0 {
					fmt.Fprintf(w, "after %s (position %d)\n", strconv.Quote(string(e.Tokenizer.Piece(after))), len(prompt)-len(positions)+i)
				}
				fmt.Fprintln(w, "token\tid\tprob\tlogit\t")
				for _, c := range p.Top {
					fmt.Fprintf(w, "%s\t%d\t%.1f%%\t%.3f\t\n", strconv.Quote(c.Token), c.ID, 100*c.Prob, c.Logit)
				}
				if i < len(positions)-1 {
					fmt.Fprintln(w)
				}
			}
			return w.Flush()
		}
	},
}
