package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"zhi/chat"
	"zhi/engine"
	"zhi/train"
)

// zhi compare is the human step of preference training: the model answers
// a prompt twice, the person says which answer is better, and the choice
// becomes a {prompt, chosen, rejected} line of the file zhi align reads.

var compareCommand = command{
	name:  "compare",
	short: "show two answers to each prompt, and append the one you prefer, with the other, to a preference file for zhi align",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf                      modelFlags
			sf                      samplingFlags
			prompts, output, system string
			n                       int
			tempB                   float32
		)
		mf.register(fs)
		fs.StringVar(&prompts, "prompts", "", "file of prompts, one a line (default: type each prompt)")
		fs.StringVarP(&output, "output", "o", "prefs.jsonl", "JSONL file the choices are appended to")
		fs.StringVar(&system, "system", "", "system prompt, recorded with each choice")
		fs.IntVarP(&n, "n-predict", "n", 256, "most tokens in an answer")
		sf.register(fs)
		fs.Float32Var(&tempB, "temp-b", -1, "temperature of answer B (-1: --temp); answers A and B always get different seeds")
		return func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q", args[0])
			}
			if n <= 0 {
				return fmt.Errorf("-n %d: an answer needs at least one token", n)
			}
			a := sf.params()
			b := a
			if tempB >= 0 {
				b.Temperature = tempB
			}
			if a.Temperature <= 0 && b.Temperature <= 0 {
				return fmt.Errorf("--temp 0 makes both answers the same: give a positive --temp or --temp-b")
			}
			if err := errors.Join(a.Validate(), b.Validate()); err != nil {
				return err
			}
			var list []string
			if prompts != "" {
				var err error
				if list, err = readPromptFile(prompts); err != nil {
					return err
				}
			}
			// Two slots: B is computed while A streams.
			e, tmpl, sched, err := openChat(&mf, 2)
			if err != nil {
				return err
			}
			defer e.Close()
			defer sched.Close()
			prefs, err := openPrefs(output)
			if err != nil {
				return err
			}
			defer prefs.close()
			stopTexts, stopTokens := tmpl.StopsFor(e.Tokenizer)
			req := engine.Request{MaxTokens: n, Stop: stopTexts, StopTokens: stopTokens}
			s := &compareSession{e: e, sched: sched, tmpl: tmpl, system: system, prefs: prefs, out: os.Stdout, log: os.Stderr}
			s.reqA, s.reqB = req, req
			s.reqA.Sampling, s.reqB.Sampling = a, b
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(os.Stderr, "zhi: comparing answers of %s (chat template %s); choices go to %s\n", filepath.Base(mf.path), tmpl.Name(), output)
			err = s.run(ctx, list, readLines(os.Stdin, os.Stderr))
			fmt.Fprintf(os.Stderr, "zhi: %d choices appended to %s (%d ties, %d skipped)\n", s.chosen, output, s.ties, s.skipped)
			return err
		}
	},
}

// compareSession asks for one choice after another.
type compareSession struct {
	e          *engine.Engine
	sched      *engine.Scheduler
	tmpl       *chat.Template
	system     string
	reqA, reqB engine.Request // the answers' requests, but for the prompt and seed
	prefs      *prefsFile
	out, log   io.Writer // the prompts and answers; everything else

	chosen, ties, skipped int
}

// choice is what the person answered about a pair.
type choice int

const (
	choseA choice = iota
	choseB
	tie
	skip
	quit
)

// parseChoice reads an answer to "which is better?".
func parseChoice(s string) (choice, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "a":
		return choseA, true
	case "b":
		return choseB, true
	case "t", "tie":
		return tie, true
	case "s", "skip":
		return skip, true
	case "q", "quit":
		return quit, true
	}
	return 0, false
}

// run goes through the prompts of the list, or those typed on lines when
// the list is nil, until they or the input end, the person quits or ctx
// is cancelled (an interrupt: what was recorded stays). It fails only
// when the file cannot be written; a prompt that fails is reported and
// skipped.
func (s *compareSession) run(ctx context.Context, list []string, lines <-chan string) error {
	for i := 0; list == nil || i < len(list); i++ {
		var prompt string
		if list != nil {
			prompt = list[i]
			fmt.Fprintf(s.out, "\nPrompt %d/%d: %s\n", i+1, len(list), prompt)
		} else {
			var ok bool
			if prompt, ok = s.ask(ctx, lines, "\nPrompt (end of input quits): "); !ok {
				return nil
			}
			if prompt = strings.TrimSpace(prompt); prompt == "" {
				i--
				continue
			}
		}
		c, err := s.compare(ctx, prompt, uint64(2*i), lines)
		switch {
		case ctx.Err() != nil:
			return nil
		case c == quit:
			return err
		case err != nil:
			s.skipped++
			fmt.Fprintln(s.log, "zhi: "+oneLine(err.Error())+"; skipped")
		}
	}
	return nil
}

// compare shows two answers to prompt, asks which is better and records
// the choice. seed is added to each answer's seed, A's being even and B's
// odd, so that every answer of a session is drawn with its own seed. An
// error with quit is a failure to write the file, any other concerns the
// prompt alone.
func (s *compareSession) compare(ctx context.Context, prompt string, seed uint64, lines <-chan string) (choice, error) {
	var msgs []chat.Message
	if s.system != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: s.system})
	}
	text, err := s.tmpl.Render(append(msgs, chat.Message{Role: "user", Content: prompt}), true)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tokens := s.e.Tokenize(text, true)
	jobs := make([]*engine.Job, 2)
	for i, req := range []engine.Request{s.reqA, s.reqB} {
		req.Prompt = tokens
		req.Sampling.Seed += seed + uint64(i)
		if jobs[i], err = s.sched.Submit(ctx, req); err != nil {
			return 0, err
		}
	}
	answers := make([]string, 2)
	for i, job := range jobs {
		fmt.Fprintf(s.out, "\n--- %c ---\n", 'A'+i)
		var b strings.Builder
		for tok := range job.Tokens() {
			b.WriteString(tok.Text)
			io.WriteString(s.out, tok.Text)
		}
		fmt.Fprintln(s.out)
		if _, err := job.Wait(); err != nil {
			return 0, err
		}
		// As the file will record it: a stray byte (a character cut short
		// by -n) as U+FFFD.
		answers[i] = string([]rune(b.String()))
	}
	switch {
	case strings.TrimSpace(answers[0]) == "" || strings.TrimSpace(answers[1]) == "":
		return skip, errors.New("an answer is empty: nothing to compare")
	case answers[0] == answers[1]:
		return skip, errors.New("both answers are the same: nothing to choose")
	}
	for {
		line, ok := s.ask(ctx, lines, "\nWhich is better? a, b, t (tie), s (skip), q (quit): ")
		if !ok {
			return quit, nil
		}
		c, valid := parseChoice(line)
		if !valid {
			fmt.Fprintf(s.log, "zhi: %q is not a choice: type a, b, t, s or q\n", strings.TrimSpace(line))
			continue
		}
		switch c {
		case choseA, choseB:
			chosen, rejected := answers[0], answers[1]
			if c == choseB {
				chosen, rejected = rejected, chosen
			}
			line, err := encodePreference(preference{System: s.system, Prompt: prompt, Chosen: chosen, Rejected: rejected})
			if err != nil {
				return skip, err
			}
			if err := s.prefs.add(line); err != nil {
				return quit, err
			}
			s.chosen++
			fmt.Fprintf(s.log, "zhi: recorded %c as the better answer (%d so far)\n", 'A'+rune(c), s.chosen)
		case tie:
			s.ties++ // DPO learns nothing from a tie
		case skip:
			s.skipped++
		}
		return c, nil
	}
}

// ask shows a question and waits for a line; false means the input ended
// or ctx was cancelled.
func (s *compareSession) ask(ctx context.Context, lines <-chan string, question string) (string, bool) {
	fmt.Fprint(s.out, question)
	select {
	case line, ok := <-lines:
		if !ok {
			fmt.Fprintln(s.out)
		}
		return line, ok
	case <-ctx.Done():
		fmt.Fprintln(s.out)
		return "", false
	}
}

// readPromptFile reads a file of prompts, one a line.
func readPromptFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readPrompts(f, path)
}

// readPrompts reads prompts, one a line, without the spaces around them;
// blank lines are skipped. Errors name the file (name) and line.
func readPrompts(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, train.MaxLineBytes)
	var prompts []string
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s:%d: invalid UTF-8", name, n)
		}
		if line != "" {
			prompts = append(prompts, line)
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, n+1, train.MaxLineBytes)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", name, err)
	case len(prompts) == 0:
		return nil, fmt.Errorf("%s: no prompts", name)
	}
	return prompts, nil
}

// preference is one line of a preference file, as train.ReadPreferences
// reads it.
type preference struct {
	System   string `json:"system,omitempty"`
	Prompt   string `json:"prompt"`
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
}

// encodePreference returns p as one JSON line, newline included. Each byte
// that is not part of a UTF-8 character becomes U+FFFD.
func encodePreference(p preference) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "<|eot_id|>" readable
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	if b.Len() > train.MaxLineBytes {
		return nil, fmt.Errorf("the choice takes %d bytes, more than a line of a preference file may (%d)", b.Len(), train.MaxLineBytes)
	}
	return b.Bytes(), nil
}

// prefsFile is a preference file open for appending. Each record goes to
// the end of the file in one write and is synced to disk before the next
// question, so quitting, an interrupt or a crash loses nothing already
// recorded, and earlier lines are never touched.
type prefsFile struct {
	f    *os.File
	name string
	// newline is set when the file's last line lacks its line end (as a
	// file edited by hand may): the first record starts with one, so as not
	// to join that line.
	newline bool
}

func openPrefs(path string) (*prefsFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	p := &prefsFile{f: f, name: path}
	st, err := f.Stat()
	if err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err = f.ReadAt(last, st.Size()-1); err == nil {
			p.newline = last[0] != '\n'
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// add appends one line from encodePreference and syncs the file.
func (p *prefsFile) add(line []byte) error {
	if p.newline {
		line = append([]byte{'\n'}, line...)
	}
	if _, err := p.f.Write(line); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.newline = false
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

func (p *prefsFile) close() error { return p.f.Close() }
