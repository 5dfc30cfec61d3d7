package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"zhi/chat"
	"zhi/engine"
)

const chatHelp = `Type a message and press Enter; the model answers it, knowing the
conversation so far. Ctrl-C stops an answer; at the prompt it quits.
  /reset        forget the conversation
  /system TEXT  set the system prompt (none without TEXT) and start over
  /save FILE    write the conversation to FILE as JSON messages
  /help         show this
  /bye          quit (so does end of input)
`

var chatCommand = command{
	name:  "chat",
	short: "talk with a model in the terminal, using its chat template; /help lists the commands",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf     modelFlags
			sf     samplingFlags
			system string
			n      int
		)
		mf.register(fs)
		fs.StringVar(&system, "system", "", "system prompt")
		fs.IntVarP(&n, "n-predict", "n", -1, "most tokens in an answer (-1: until the model ends its turn or the context is full)")
		sf.register(fs)
		return func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q: type messages once the chat has started", args[0])
			}
			if n == 0 || n < -1 {
				return fmt.Errorf("-n %d: give a count of tokens, or -1 for no limit", n)
			}
			sampling := sf.params()
			if err := sampling.Validate(); err != nil {
				return err
			}
			// One slot: its prefix reuse makes each turn compute only what
			// the conversation added.
			e, tmpl, sched, err := openChat(&mf, 1)
			if err != nil {
				return err
			}
			defer e.Close()
			defer sched.Close()
			stopTexts, stopTokens := tmpl.StopsFor(e.Tokenizer)
			c := &chatSession{
				e:      e,
				sched:  sched,
				tmpl:   tmpl,
				system: system,
				req:    engine.Request{MaxTokens: max(n, 0), Sampling: sampling, Stop: stopTexts, StopTokens: stopTokens},
				out:    os.Stdout,
				log:    os.Stderr,
			}
			interrupts := make(chan os.Signal, 1)
			signal.Notify(interrupts, os.Interrupt)
			defer signal.Stop(interrupts)
			fmt.Fprintf(os.Stderr, "zhi: chatting with %s (chat template %s); /help lists the commands\n", filepath.Base(mf.path), tmpl.Name())
			c.run(readLines(os.Stdin, os.Stderr), interrupts, isTerminal(os.Stdin))
			return nil
		}
	},
}

// openChat opens the model of the flags to answer in conversation: with
// its chat template, and a scheduler of slots, which the caller closes
// before the engine.
func openChat(mf *modelFlags, slots int) (*engine.Engine, *chat.Template, *engine.Scheduler, error) {
	e, err := mf.open()
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl, err := chat.ForModel(e.File, e.Tokenizer, time.Now)
	if err != nil {
		e.Close()
		return nil, nil, nil, err
	}
	sched, err := engine.NewScheduler(e, engine.SchedulerOptions{Slots: slots})
	if err != nil {
		e.Close()
		return nil, nil, nil, err
	}
	return e, tmpl, sched, nil
}

// chatSession is a conversation with a model.
type chatSession struct {
	e       *engine.Engine
	sched   *engine.Scheduler
	tmpl    *chat.Template
	system  string
	history []chat.Message // the turns after the system prompt
	req     engine.Request // every answer's request, but for the prompt
	out     io.Writer      // the answers
	log     io.Writer      // everything else
}

// run reads the user's lines until the end of input, /bye or an interrupt
// at the prompt. It prints a prompt when the input is a terminal.
func (c *chatSession) run(lines <-chan string, interrupts <-chan os.Signal, prompt bool) {
	for {
		if prompt {
			fmt.Fprint(c.out, "> ")
		}
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-interrupts:
		}
		if !ok || strings.TrimSpace(line) == "/bye" {
			if prompt {
				fmt.Fprintln(c.out)
			}
			return
		}
		switch {
		case strings.HasPrefix(line, "/"):
			c.command(line)
		case strings.TrimSpace(line) != "":
			if err := c.turn(line, interrupts); err != nil {
				fmt.Fprintln(c.log, "zhi: "+oneLine(err.Error()))
			}
		}
	}
}

// command carries out a slash command other than /bye.
func (c *chatSession) command(line string) {
	name, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/reset":
		c.history = nil
		fmt.Fprintln(c.log, "zhi: conversation forgotten")
	case "/system":
		c.system, c.history = arg, nil
		fmt.Fprintln(c.log, "zhi: new system prompt; conversation forgotten")
	case "/save":
		if err := c.save(arg); err != nil {
			fmt.Fprintln(c.log, "zhi: "+oneLine(err.Error()))
			return
		}
		fmt.Fprintf(c.log, "zhi: conversation saved to %s\n", arg)
	case "/help":
		fmt.Fprint(c.log, chatHelp)
	default:
		fmt.Fprintf(c.log, "zhi: unknown command %s; /help lists the commands\n", name)
	}
}

// messages returns the conversation: the system prompt, if any, and the
// turns.
func (c *chatSession) messages() []chat.Message {
	if c.system == "" {
		return c.history
	}
	return append([]chat.Message{{Role: "system", Content: c.system}}, c.history...)
}

// save writes the conversation to a file as a JSON list of messages.
func (c *chatSession) save(path string) error {
	if path == "" {
		return errors.New("/save needs a file name")
	}
	data, err := json.MarshalIndent(c.messages(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// turn adds the user's message to the conversation and streams the model's
// answer, which an interrupt cuts short. An answer cut short stays in the
// conversation as far as it went; a turn that failed leaves no trace.
func (c *chatSession) turn(text string, interrupts <-chan os.Signal) error {
	c.history = append(c.history, chat.Message{Role: "user", Content: text})
	answer, err := c.answer(interrupts)
	if err != nil {
		c.history = c.history[:len(c.history)-1]
		return err
	}
	c.history = append(c.history, chat.Message{Role: "assistant", Content: answer})
	return nil
}

// answer renders the whole conversation, submits it and streams the
// answer, then reports the speed on the log.
func (c *chatSession) answer(interrupts <-chan os.Signal) (string, error) {
	prompt, err := c.tmpl.Render(c.messages(), true)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := c.req
	req.Prompt = c.e.Tokenize(prompt, true)
	job, err := c.sched.Submit(ctx, req)
	if err != nil {
		if errors.Is(err, engine.ErrInvalid) {
			err = fmt.Errorf("%w (/reset starts over)", err)
		}
		return "", err
	}
	var text strings.Builder
	var count int
	var first, last time.Time
	for tokens := job.Tokens(); tokens != nil; {
		select {
		case tok, ok := <-tokens:
			if !ok {
				tokens = nil
				break
			}
			if tok.ID != engine.TextOnly {
				count++
				last = time.Now()
				if first.IsZero() {
					first = last
				}
			}
			text.WriteString(tok.Text)
			io.WriteString(c.out, tok.Text)
		case <-interrupts:
			cancel()
		}
	}
	_, err = job.Wait()
	fmt.Fprintln(c.out)
	stopped := ""
	if errors.Is(err, context.Canceled) {
		stopped, err = ", stopped", nil
	}
	if err != nil {
		return "", err
	}
	if d := last.Sub(first); count > 1 && d > 0 {
		fmt.Fprintf(c.log, "[%d tokens, %.1f tok/s%s]\n", count, float64(count-1)/d.Seconds(), stopped)
	} else {
		fmt.Fprintf(c.log, "[%d tokens%s]\n", count, stopped)
	}
	return text.String(), nil
}

// readLines sends r's lines, without their line ends, until it ends or
// fails; a failure is reported on log.
func readLines(r io.Reader, log io.Writer) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(r)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			lines <- strings.TrimSuffix(s.Text(), "\r")
		}
		if err := s.Err(); err != nil {
			fmt.Fprintln(log, "zhi: reading the input: "+err.Error())
		}
	}()
	return lines
}

// isTerminal reports whether f is a terminal rather than a file or a pipe.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
