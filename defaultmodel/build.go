package defaultmodel

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"zhi/chat"
	"zhi/gguf"
	"zhi/tensor"
	"zhi/train"
)

// Recipe is everything that decides the built-in model: the same recipe
// gives the same file, byte for byte.
type Recipe struct {
	Seed        uint64
	CorpusBytes int
	Pretrain    train.Options // Data, Output and Name are filled in by Build
	SFT         train.SFTConfig
}

// DefaultRecipe is the recipe of the model built into zhi: a 1M-parameter
// Llama with a 512-token vocabulary, pretrained on 1 MB of generated text,
// then taught the chat turns. It takes a few minutes on two cores.
func DefaultRecipe() Recipe {
	return Recipe{
		Seed:        1,
		CorpusBytes: 1 << 20,
		Pretrain: train.Options{
			ValFraction: 0.1,
			VocabSize:   512,
			Model: train.Config{Dim: 128, Layers: 4, Heads: 4, KVHeads: 2, FFN: 384, Context: 256,
				RopeBase: 10000, NormEps: 1e-5, TiedEmbeddings: true},
			Batch: 8, Accum: 1,
			LR: 3e-3, MinLR: 1e-4, Warmup: 50, WeightDecay: 0.1, Clip: 1,
			Steps:     1500,
			EvalEvery: 250, EvalBatches: 4,
			// A fixed number of workers: the sums they split must split
			// the same way on every machine for the file to come out the
			// same.
			Threads: 2,
		},
		SFT: train.SFTConfig{Epochs: 8, Batch: 8, Accum: 1, LR: 1e-3, MinLR: 1e-4, Warmup: 10,
			ClipNorm: 1, Seed: 1},
	}
}

// Build makes the model of recipe r at out (an F16 GGUF with a chatml
// template), using dir for the corpus and the pretraining files. Progress
// lines go to log.
func Build(ctx context.Context, r Recipe, dir, out string, log io.Writer) error {
	text, pairs := Corpus(r.Seed, r.CorpusBytes)
	corpus := filepath.Join(dir, "corpus.txt")
	if err := os.WriteFile(corpus, []byte(text), 0o644); err != nil {
		return err
	}
	o := r.Pretrain
	o.Data, o.Output, o.Name, o.Seed, o.Log = []string{corpus}, filepath.Join(dir, "pretrained.gguf"), "zhi-default", r.Seed, log
	res, err := train.Pretrain(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "pretrained: validation %.3f bits per byte\n", res.ValBPB)

	m, err := train.Load(o.Output)
	if err != nil {
		return err
	}
	defer m.Close()
	m.SetThreads(o.Threads)
	tmpl, err := chat.Builtin("chatml", chat.Options{})
	if err != nil {
		return err
	}
	tok, err := m.NewTokenizer()
	if err != nil {
		return err
	}
	format, err := train.NewSFTFormat(tmpl, tok)
	if err != nil {
		return err
	}
	var examples []train.SFTExample
	for _, c := range conversations(r.Seed, pairs) {
		ex, err := format.Tokenize(train.Conversation{Messages: c})
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	sft := r.SFT
	sft.Progress = func(p train.SFTProgress) {
		if p.Step%50 == 0 || p.Step == p.Steps {
			fmt.Fprintf(log, "fine-tuning step %d/%d: answer loss %.3f\n", p.Step, p.Steps, p.Loss)
		}
	}
	if err := train.FineTune(ctx, m, examples, sft); err != nil {
		return err
	}
	source, err := chat.BuiltinSource("chatml")
	if err != nil {
		return err
	}
	return m.Save(out, train.SaveOptions{Type: tensor.F16, Name: "zhi-default",
		Metadata: []gguf.KV{{Key: chat.TemplateKey, Value: gguf.String(source)}}})
}

// conversations are the fine-tuning chats: every pair on its own, then as
// many again of two or three pairs in a row, so that the model answers the
// last question of a conversation rather than an earlier one.
func conversations(seed uint64, pairs []Pair) [][]chat.Message {
	rng := rand.New(rand.NewPCG(seed, 0x636861))
	turn := func(p Pair) []chat.Message {
		return []chat.Message{{Role: "user", Content: p.Question}, {Role: "assistant", Content: p.Answer}}
	}
	var out [][]chat.Message
	for _, p := range pairs {
		out = append(out, turn(p))
	}
	for range pairs {
		var c []chat.Message
		for range 2 + rng.IntN(2) {
			c = append(c, turn(pairs[rng.IntN(len(pairs))])...)
		}
		out = append(out, c)
	}
	return out
}
