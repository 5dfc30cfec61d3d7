package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"zhi/defaultmodel/weights"
	"zhi/engine"
	"zhi/sample"
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
	fs.StringVarP(&m.path, "model", "m", "", "GGUF model file, or the name of a model in the store ("+nameForm+"); none: the built-in model")
	fs.IntVarP(&m.threads, "threads", "t", 0, "worker threads (0: one per CPU)")
	fs.IntVarP(&m.context, "ctx-size", "c", 0, fmt.Sprintf("context size in tokens (0: the model's, at most %d)", engine.DefaultContext))
	fs.StringVar(&m.cacheK, "cache-type-k", "f16", "type of the cached keys: f16 or q8_0")
	fs.StringVar(&m.cacheV, "cache-type-v", "f16", "type of the cached values: f16 or q8_0")
}

// builtinName is what the commands call the model built into zhi.
const builtinName = "zhi-default"

// builtin reports whether no model was given, so the built-in one runs.
func (m *modelFlags) builtin() bool { return m.path == "" || m.path == builtinName }

func (m *modelFlags) open() (*engine.Engine, error) {
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
	o := engine.Options{Threads: m.threads, Context: m.context, CacheK: types[0], CacheV: types[1]}
	if m.builtin() {
		m.path = builtinName
		// A copy, so that the tensors lie at the alignment the heap gives.
		return engine.OpenBytes(builtinName, bytes.Clone(weights.GGUF), o)
	}
	// The commands report the model's file, so a name gives way to its path.
	var err error
	if m.path, err = resolveModel(m.path); err != nil {
		return nil, err
	}
	return engine.Open(m.path, o)
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

// samplingFlags choose how generated tokens are drawn, with the reference's
// defaults.
type samplingFlags struct {
	p    sample.Params
	seed int64
}

func (s *samplingFlags) register(fs *pflag.FlagSet) {
	s.p = sample.Defaults(0)
	fs.Float32Var(&s.p.Temperature, "temp", s.p.Temperature, "temperature (0: greedy)")
	fs.IntVar(&s.p.TopK, "top-k", s.p.TopK, "keep the K most likely tokens (0: off)")
	fs.Float32Var(&s.p.TopP, "top-p", s.p.TopP, "keep the most likely tokens up to this total probability (1: off)")
	fs.Float32Var(&s.p.MinP, "min-p", s.p.MinP, "drop tokens less likely than this fraction of the best (0: off)")
	fs.Float32Var(&s.p.RepeatPenalty, "repeat-penalty", s.p.RepeatPenalty, "penalize recent tokens (1: off)")
	fs.IntVar(&s.p.RepeatLastN, "repeat-last-n", s.p.RepeatLastN, "how many recent tokens the penalties see (-1: all)")
	fs.Float32Var(&s.p.FrequencyPenalty, "frequency-penalty", 0, "subtract this times a token's recent count")
	fs.Float32Var(&s.p.PresencePenalty, "presence-penalty", 0, "subtract this from recent tokens")
	fs.Int64Var(&s.seed, "seed", -1, "random seed (-1: a new one each run)")
}

// params returns the sampling parameters the flags chose.
func (s *samplingFlags) params() sample.Params {
	p := s.p
	p.Seed = uint64(s.seed)
	if s.seed < 0 {
		p.Seed = uint64(time.Now().UnixNano())
	}
	return p
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
