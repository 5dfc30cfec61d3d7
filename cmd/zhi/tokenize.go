package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

var tokenizeCommand = command{
	name:  "tokenize",
	short: "show the token ids and pieces of a text",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf     modelFlags
			text   string
			noBOS  bool
			asJSON bool
		)
		mf.register(fs)
		fs.StringVarP(&text, "prompt", "p", "", "text to tokenize (or give it as the argument)")
		fs.BoolVar(&noBOS, "no-bos", false, "do not add the BOS/EOS tokens the model asks for")
		fs.BoolVar(&asJSON, "json", false, `print {"ids":[...]}`)
		return func(args []string) error {
			if len(args) > 0 {
				if text != "" {
					return fmt.Errorf("unexpected argument %q: the text was already given with -p", args[0])
				}
				text = strings.Join(args, " ")
			}
			e, err := mf.open()
			if err != nil {
				return err
			}
			defer e.Close()
			ids := e.Tokenize(text, !noBOS)
			if asJSON {
				return json.NewEncoder(os.Stdout).Encode(struct {
					IDs []int32 `json:"ids"`
				}{nonNil(ids)})
			}
			for _, id := range ids {
				fmt.Printf("%6d %s\n", id, strconv.Quote(string(e.Tokenizer.Piece(id))))
			}
			return nil
		}
	},
}
