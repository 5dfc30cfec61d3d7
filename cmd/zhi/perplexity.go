package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"zhi/eval"
)

var perplexityCommand = command{
	name:  "perplexity",
	short: "measure a model's perplexity and bits per byte on a text file, as llama-perplexity does",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf     modelFlags
			file   string
			chunks int
			asJSON bool
		)
		mf.register(fs)
		// The reference's llama-perplexity scores chunks of 512 tokens
		// unless told otherwise, whatever the model's context.
		mf.context = eval.DefaultContext
		ctxFlag := fs.Lookup("ctx-size")
		ctxFlag.DefValue = strconv.Itoa(eval.DefaultContext)
		ctxFlag.Usage = "chunk size in tokens; the second half of each chunk is scored"
		fs.StringVarP(&file, "file", "f", "", "text file to measure on (or give it as the argument)")
		fs.IntVar(&chunks, "chunks", -1, "measure on at most N chunks (-1: all)")
		fs.BoolVar(&asJSON, "json", false, `print {"ppl","ppl_sd","bpb","nll","tokens","bytes","chunks","ctx"}`)
		return func(args []string) error {
			switch {
			case len(args) == 1 && file == "":
				file = args[0]
			case len(args) > 0:
				return fmt.Errorf("give one text file: zhi perplexity -m MODEL FILE")
			case file == "":
				return fmt.Errorf("no text file given: zhi perplexity -m MODEL FILE")
			}
			if mf.context <= 0 {
				return fmt.Errorf("--ctx-size must be positive for perplexity")
			}
			if chunks == 0 || chunks < -1 {
				return fmt.Errorf("--chunks must be positive, or -1 for all")
			}
			text, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			if len(text) == 0 {
				return fmt.Errorf("%s is empty", file)
			}
			e, err := mf.open()
			if err != nil {
				return err
			}
			defer e.Close()
			if trained := e.Model.Config().ContextLength; mf.context > trained {
				fmt.Fprintf(os.Stderr, "perplexity: warning: the model was trained on only %d context tokens (%d given)\n", trained, mf.context)
			}
			start := time.Now()
			r, err := eval.Perplexity(e, string(text), eval.Options{
				Context:   mf.context,
				MaxChunks: chunks,
				Progress: func(sofar eval.Result, total int) {
					if sofar.Chunks == 1 {
						pass := time.Since(start).Seconds()
						fmt.Fprintf(os.Stderr, "perplexity: calculating perplexity over %d chunks, n_ctx=%d\n", total, mf.context)
						fmt.Fprintf(os.Stderr, "perplexity: %.2f seconds per pass - ETA %s\n", pass, eta(pass*float64(total)))
					}
					fmt.Fprintf(os.Stderr, "[%d]%.4f,", sofar.Chunks, sofar.PPL)
					if sofar.Chunks == total {
						fmt.Fprintln(os.Stderr)
					}
				},
			})
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			if asJSON {
				return json.NewEncoder(os.Stdout).Encode(struct {
					PPL    float64 `json:"ppl"`
					PPLSD  float64 `json:"ppl_sd"`
					BPB    float64 `json:"bpb"`
					NLL    float64 `json:"nll"`
					Tokens int     `json:"tokens"`
					Bytes  int     `json:"bytes"`
					Chunks int     `json:"chunks"`
					Ctx    int     `json:"ctx"`
				}{r.PPL, r.PPLSD, r.BPB, r.NLL, r.Tokens, r.Bytes, r.Chunks, mf.context})
			}
			fmt.Printf("Final estimate: PPL = %.4f +/- %.5f\n", r.PPL, r.PPLSD)
			fmt.Printf("bits per byte: %.4f (%d tokens scored, %d bytes, in %d chunks of %d)\n", r.BPB, r.Tokens, r.Bytes, r.Chunks, mf.context)
			return nil
		}
	},
}

// eta renders an estimate of the time left as the reference does: hours
// when there are any, then minutes with two decimals.
func eta(seconds float64) string {
	total := int(seconds)
	s := ""
	if total >= 3600 {
		s = fmt.Sprintf("%d hours ", total/3600)
		total %= 3600
	}
	return s + fmt.Sprintf("%.2f minutes", float64(total)/60)
}
