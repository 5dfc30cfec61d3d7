package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"zhi/chat"
	"zhi/tokenizer"
)

// Supervised fine-tuning teaches a model the answers of conversations. An
// example is tokenized as the model sees it when it chats: the prompt is
// the conversation rendered by the model's chat template up to the
// assistant's turn (the generation prompt included), and the answer is the
// assistant's text followed by the template's end-of-turn marker, which
// teaches the model to stop. The loss covers the answer tokens only.

// SFTFormat renders and tokenizes conversations for fine-tuning.
type SFTFormat struct {
	template *chat.Template
	tok      *tokenizer.Tokenizer
	end      []int32 // tokens of the end-of-turn marker
	endText  string
}

// NewSFTFormat returns the format of a chat template and tokenizer (see
// chat.ForModel). The end of an answer is the template's first stop, or
// the tokenizer's EOS when the template has none.
func NewSFTFormat(template *chat.Template, tok *tokenizer.Tokenizer) (*SFTFormat, error) {
	f := &SFTFormat{template: template, tok: tok}
	if stops := template.Stops(); len(stops) > 0 {
		f.endText = stops[0]
		f.end = tok.Encode(f.endText, false, true)
	} else if eos, ok := tok.EOS(); ok {
		f.endText, f.end = tok.Text(eos), []int32{eos}
	}
	if len(f.end) == 0 {
		return nil, fmt.Errorf("train: template %s has no end-of-turn marker and the tokenizer no EOS", template.Name())
	}
	return f, nil
}

// SFTExample is a conversation as tokens: Tokens is what the model reads,
// and Answer[i] tells whether Tokens[i] is part of an answer, a token the
// model learns to produce. Answer[0] is false.
type SFTExample struct {
	Tokens []int32
	Answer []bool
}

// answerTokens counts the tokens of e the loss covers.
func (e SFTExample) answerTokens() int {
	n := 0
	for _, a := range e.Answer {
		if a {
			n++
		}
	}
	return n
}

// Tokenize turns a conversation into examples, usually one. Each assistant
// turn is an answer. Turns go into one sequence as long as the template
// renders the conversation so far as the previous sequence plus more text;
// where it does not (a template that rewrites earlier turns, as Llama 2's
// adds spaces around answers), the turn starts a sequence of its own, its
// prompt being the whole conversation before it.
func (f *SFTFormat) Tokenize(c Conversation) ([]SFTExample, error) {
	var out []SFTExample
	var cur SFTExample
	text := "" // the text cur holds
	for i, m := range c.Messages {
		if m.Role != "assistant" {
			continue
		}
		prompt, err := f.template.Render(c.Messages[:i], true)
		if err != nil {
			return nil, err
		}
		if rest, ok := strings.CutPrefix(prompt, text); ok && cur.Tokens != nil {
			cur.add(f.tok.Encode(rest, false, true), false)
		} else {
			if cur.Tokens != nil {
				out = append(out, cur)
			}
			cur = SFTExample{}
			cur.add(f.tok.Encode(prompt, true, true), false)
			if len(cur.Tokens) == 0 {
				// An empty prompt, without BOS: nothing to predict the answer from.
				return nil, errors.New("the prompt renders to no tokens")
			}
		}
		// The answer is text the model writes: special-token names in it
		// are text, as the model could not write them otherwise.
		cur.add(f.tok.Encode(m.Content, false, false), true)
		cur.add(f.end, true)
		text = prompt + m.Content + f.endText
	}
	if cur.Tokens == nil {
		return nil, errors.New("no answer to learn")
	}
	return append(out, cur), nil
}

func (e *SFTExample) add(tokens []int32, answer bool) {
	e.Tokens = append(e.Tokens, tokens...)
	for range tokens {
		e.Answer = append(e.Answer, answer)
	}
}

// Preference tokenizes a preference example for DPO as Tokenize would a
// conversation of the prompt and either answer.
func (f *SFTFormat) Preference(p TextPreference) (Preference, error) {
	var msgs []chat.Message
	if p.System != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: p.System})
	}
	prompt, err := f.template.Render(append(msgs, chat.Message{Role: "user", Content: p.Prompt}), true)
	if err != nil {
		return Preference{}, err
	}
	pr := Preference{
		Prompt:   f.tok.Encode(prompt, true, true),
		Chosen:   append(f.tok.Encode(p.Chosen, false, false), f.end...),
		Rejected: append(f.tok.Encode(p.Rejected, false, false), f.end...),
	}
	if len(pr.Prompt) == 0 {
		return Preference{}, errors.New("the prompt renders to no tokens")
	}
	return pr, nil
}

// TokenizeAll tokenizes conversations, leaving out the examples of more
// than maxTokens tokens; it returns how many it left out. Errors name the
// conversation's file, name, and line.
func (f *SFTFormat) TokenizeAll(name string, convs []Conversation, maxTokens int) (examples []SFTExample, dropped int, err error) {
	for _, c := range convs {
		ex, err := f.Tokenize(c)
		if err != nil {
			return nil, 0, fmt.Errorf("train: %s:%d: %w", name, c.Line, err)
		}
		for _, e := range ex {
			if len(e.Tokens) > maxTokens {
				dropped++
				continue
			}
			examples = append(examples, e)
		}
	}
	return examples, dropped, nil
}

// SFTBatch lays examples out as one batch padded to the longest: row i
// predicts the tokens of examples[i] after its first, with mask 1 where
// that token is an answer's and 0 elsewhere, padding included.
func SFTBatch(examples []SFTExample) Batch {
	t := 0
	for _, e := range examples {
		t = max(t, len(e.Tokens)-1)
	}
	var b Batch
	for _, e := range examples {
		in, tg, mask := make([]int32, t), make([]int32, t), make([]float32, t)
		copy(in, e.Tokens[:len(e.Tokens)-1])
		copy(tg, e.Tokens[1:])
		for j, a := range e.Answer[1:] {
			if a {
				mask[j] = 1
			}
		}
		b.Inputs, b.Targets, b.Mask = append(b.Inputs, in), append(b.Targets, tg), append(b.Mask, mask)
	}
	return b
}

// SFTConfig configures FineTune.
type SFTConfig struct {
	Epochs      int     // passes over the examples
	Batch       int     // examples per forward pass
	Accum       int     // forward passes per optimizer step
	LR, MinLR   float32 // peak learning rate, and the one the cosine ends at
	Warmup      int     // steps of linear warmup
	WeightDecay float32 // AdamW's decoupled weight decay
	ClipNorm    float32 // largest global gradient norm; 0: no clipping
	Seed        uint64  // order of the examples
	// LoRA, when set, is attached to the model and trains in its place:
	// the model's own weights do not change apart from the adapter's
	// contribution.
	LoRA *LoRA
	// Val are held-out examples whose answer loss is measured after each
	// epoch.
	Val []SFTExample
	// Progress, when set, is called after each step.
	Progress func(SFTProgress)
}

// SFTProgress reports one step of FineTune.
type SFTProgress struct {
	Step, Steps int     // steps done, from 1, and planned
	Epoch       int     // from 1
	Loss        float32 // mean cross-entropy of the step's answer tokens
	LR          float32
	GradNorm    float32 // before clipping
	Tokens      int     // answer tokens of the step
	Elapsed     time.Duration
	// ValLoss is the answer loss of the validation examples, measured
	// when HasVal: at the end of each epoch.
	ValLoss float32
	HasVal  bool
}

// SFTSteps is the number of optimizer steps FineTune takes over n
// examples.
func SFTSteps(n int, c SFTConfig) int {
	return c.loop().steps(n)
}

func (c SFTConfig) loop() loopConfig {
	return loopConfig{epochs: c.Epochs, batch: c.Batch, accum: c.Accum, warmup: c.Warmup,
		lr: c.LR, minLR: c.MinLR, weightDecay: c.WeightDecay, clipNorm: c.ClipNorm, lora: c.LoRA}
}

// FineTune trains m on the answers of examples with AdamW, a linear warmup
// and a cosine decay of the learning rate. The loss of a step is the mean
// over all the answer tokens of its Batch·Accum examples, whatever their
// split into forward passes.
func FineTune(ctx context.Context, m *Model, examples []SFTExample, c SFTConfig) error {
	if err := c.check(m, examples); err != nil {
		return err
	}
	if c.LoRA != nil {
		c.LoRA.sync()
	}
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x5f0e7d1c))
	gradient := func(idx []int) (SFTProgress, error) {
		group := make([]SFTExample, len(idx))
		for k, i := range idx {
			group[k] = examples[i]
		}
		var p SFTProgress
		var err error
		p.Loss, p.Tokens, err = m.answerLoss(group, c.Batch, true)
		return p, err
	}
	report := func(p SFTProgress, s loopStep) error {
		p.Step, p.Steps, p.Epoch, p.LR, p.GradNorm = s.step, s.steps, s.epoch, s.lr, s.gradNorm
		if s.lastOfEpoch && len(c.Val) > 0 {
			var err error
			if p.ValLoss, err = m.AnswerLoss(c.Val, c.Batch); err != nil {
				return err
			}
			p.HasVal = true
		}
		p.Elapsed = time.Since(s.start)
		if c.Progress != nil {
			c.Progress(p)
		}
		return nil
	}
	return trainLoop(ctx, m, len(examples), c.loop(), rng, gradient, report)
}

func (c SFTConfig) check(m *Model, examples []SFTExample) error {
	if len(examples) == 0 {
		return errors.New("train: no examples to fine-tune on")
	}
	if err := c.loop().check(m); err != nil {
		return err
	}
	for _, set := range [][]SFTExample{examples, c.Val} {
		for i, e := range set {
			if len(e.Tokens) < 2 || len(e.Tokens) != len(e.Answer) || e.answerTokens() == 0 || e.Answer[0] {
				return fmt.Errorf("train: example %d has no answer to learn", i)
			}
		}
	}
	return nil
}

// AnswerLoss is the mean cross-entropy of the answer tokens of examples,
// run batch examples at a time. Gradients are left alone.
func (m *Model) AnswerLoss(examples []SFTExample, batch int) (float32, error) {
	loss, _, err := m.answerLoss(examples, batch, false)
	return loss, err
}

// answerLoss returns the mean cross-entropy over all the answer tokens of
// examples and their number, running them batch at a time; with backward
// it adds the loss's gradient to the parameters' (it does not clear them
// first).
func (m *Model) answerLoss(examples []SFTExample, batch int, backward bool) (float32, int, error) {
	if batch <= 0 {
		return 0, 0, fmt.Errorf("train: batch %d must be positive", batch)
	}
	total := 0
	for _, e := range examples {
		total += e.answerTokens()
	}
	if total == 0 {
		return 0, 0, errors.New("train: no answer tokens")
	}
	var sum float64
	for lo := 0; lo < len(examples); lo += batch {
		b := SFTBatch(examples[lo:min(lo+batch, len(examples))])
		logp, err := m.TokenLogprobs(b.Inputs, b.Targets)
		if err != nil {
			return 0, 0, err
		}
		// Each answer token weighs 1/total, so that the passes together
		// give the mean over all the examples.
		for i, row := range b.Mask {
			for j, w := range row {
				row[j] = w / float32(total)
				sum -= float64(row[j]) * float64(logp[i][j])
			}
		}
		if backward {
			if err := m.Backward(b.Mask); err != nil {
				return 0, 0, err
			}
		}
	}
	return float32(sum), total, nil
}
