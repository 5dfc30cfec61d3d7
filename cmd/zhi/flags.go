package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"zhi/engine"
	"zhi/store"
	"zhi/tensor"
)

// modelFlags are the flags of every command that opens a model.
type modelFlags struct {
	path    string
	threads int
	context int
	cacheK  string
	cacheV  string
}

func (m *modelFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&m.path, "model", "m", "", "GGUF model file, or the name of a model in the store ("+nameForm+")")
	fs.IntVarP(&m.threads, "threads", "t", 0, "worker threads (0: one per CPU)")
	fs.IntVarP(&m.context, "ctx-size", "c", 0, fmt.Sprintf("context size in tokens (0: the model's, at most %d)", engine.DefaultContext))
	fs.StringVar(&m.cacheK, "cache-type-k", "f16", "type of the cached keys: f16 or q8_0")
	fs.StringVar(&m.cacheV, "cache-type-v", "f16", "type of the cached values: f16 or q8_0")
}

func (m *modelFlags) open() (*engine.Engine, error) {
	if m.path == "" {
		return nil, fmt.Errorf("no model given: use -m MODEL.gguf")
	}
	if m.threads < 0 || m.context < 0 {
		return nil, fmt.Errorf("--threads and --ctx-size must not be negative")
	}
	var types [2]tensor.Type
	for i, name := range []string{m.cacheK, m.cacheV} {
		t, err := tensor.ParseType(name)
		if err != nil || (t != tensor.F16 && t != tensor.Q8_0) {
			return nil, fmt.Errorf("cache type %q is not supported: use f16 or q8_0", name)
		}
		types[i] = t
	}
	// The commands report the model's file, so a name gives way to its path.
	var err error
	if m.path, err = resolveModel(m.path); err != nil {
		return nil, err
	}
	return engine.Open(m.path, engine.Options{Threads: m.threads, Context: m.context, CacheK: types[0], CacheV: types[1]})
}

// resolveModel turns a model name (hf.co/OWNER/REPO/FILE.gguf) into the path
// of its file in the store; a path to a file is returned as it is.
func resolveModel(nameOrPath string) (string, error) {
	if _, err := os.Stat(nameOrPath); err == nil {
		return nameOrPath, nil // no store needed, even without a home directory
	}
	s, err := store.Default()
	if err != nil {
		return "", err
	}
	return s.Resolve(nameOrPath)
}

// promptFlags choose the input tokens: a text, or ids as given.
type promptFlags struct {
	text   string
	tokens string
}

func (p *promptFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&p.text, "prompt", "p", "", "prompt text")
	fs.StringVar(&p.tokens, "tokens", "", "comma-separated token ids used as given, in place of a prompt")
}

// ids returns the prompt's tokens; positional arguments are the prompt when
// -p is not given.
func (p *promptFlags) ids(e *engine.Engine, args []string) ([]int32, error) {
	text := p.text
	if len(args) > 0 {
		if text != "" || p.tokens != "" {
			return nil, fmt.Errorf("unexpected argument %q: the prompt was already given", args[0])
		}
		text = strings.Join(args, " ")
	}
	if p.tokens != "" {
		if text != "" {
			return nil, fmt.Errorf("give either a prompt or --tokens, not both")
		}
		return parseTokenList(p.tokens)
	}
	if text == "" {
		return nil, fmt.Errorf("no prompt given: use -p TEXT or --tokens IDS")
	}
	return e.Tokenize(text, true), nil
}
