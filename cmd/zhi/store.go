package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"zhi/store"
)

const nameForm = "hf.co/OWNER/REPO/FILE.gguf"

var pullCommand = command{
	name:  "pull",
	short: "download models from the Hugging Face hub into the store ($ZHI_MODELS or ~/.zhi/models) and print their paths: zhi pull " + nameForm + "[@REVISION]",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var quiet bool
		fs.BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
		return func(args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("usage: zhi pull %s[@REVISION]...", nameForm)
			}
			s, err := store.Default()
			if err != nil {
				return err
			}
			// On an interrupt the download stops cleanly, keeping what
			// arrived for the next pull.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			for _, name := range args {
				o := hubOptions()
				finish := func() {}
				if !quiet {
					o.Progress, finish = pullProgress(path.Base(name))
				}
				p, err := s.Pull(ctx, name, o)
				finish()
				if err != nil {
					return err
				}
				fmt.Println(p)
			}
			return nil
		}
	},
}

var listCommand = command{
	name:  "list",
	short: "list the models in the store ($ZHI_MODELS or ~/.zhi/models)",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q", args[0])
			}
			s, err := store.Default()
			if err != nil {
				return err
			}
			models, err := s.List()
			if err != nil {
				return err
			}
			if len(models) == 0 {
				fmt.Fprintf(os.Stderr, "no models in %s (zhi pull %s)\n", s.Dir, nameForm)
				return nil
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSIZE\tMODIFIED")
			for _, m := range models {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name, bytesString(uint64(m.Size)), m.Modified.Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		}
	},
}

var rmCommand = command{
	name:  "rm",
	short: "remove models from the store: zhi rm " + nameForm,
	setup: func(fs *pflag.FlagSet) func([]string) error {
		return func(args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("usage: zhi rm %s...", nameForm)
			}
			s, err := store.Default()
			if err != nil {
				return err
			}
			for _, name := range args {
				if err := s.Remove(name); err != nil {
					return err
				}
				fmt.Printf("removed %s\n", name)
			}
			return nil
		}
	},
}

// hubOptions reads the hub's address and the user's token from the
// environment, with the names the hub's own tools use as fallbacks.
func hubOptions() store.PullOptions {
	endpoint := os.Getenv("ZHI_HF_ENDPOINT")
	if endpoint == "" {
		endpoint = os.Getenv("HF_ENDPOINT")
	}
	return store.PullOptions{Endpoint: endpoint, Token: os.Getenv("HF_TOKEN")}
}

// pullProgress shows a download's progress on stderr: a bar on a terminal,
// a line per tenth of the file elsewhere. finish ends the bar's line.
func pullProgress(file string) (progress func(done, total int64), finish func()) {
	if st, err := os.Stderr.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		last := int64(-1)
		return func(done, total int64) {
			if tenth := done * 10 / total; tenth != last {
				last = tenth
				fmt.Fprintf(os.Stderr, "%s: %d%% of %s\n", file, tenth*10, bytesString(uint64(total)))
			}
		}, func() {}
	}
	var (
		bar  *progressbar.ProgressBar
		prev int64
	)
	finish = func() {
		if bar != nil && !bar.IsFinished() {
			bar.Exit()
		}
	}
	return func(done, total int64) {
		// A download that starts over starts a new bar.
		if bar == nil || done < prev {
			finish()
			bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(os.Stderr),
				progressbar.OptionSetDescription(file),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowCount(),
				progressbar.OptionFullWidth(),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }),
			)
		}
		prev = done
		bar.Set64(done)
	}, finish
}
