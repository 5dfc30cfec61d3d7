// Package sample picks the next token from a vector of logits.
//
// A Sampler applies the stages of llama.cpp's default sampler chain, in its
// order: repetition/frequency/presence penalties, top-k, top-p, min-p,
// temperature, and a seeded random draw. A temperature <= 0 selects greedy
// decoding: the arg-max of the (penalized) logits.
//
// Throughout the package a NaN logit counts as -Inf: it is never chosen
// while a number is available, and its probability is zero.
package sample

import (
	"errors"
	"fmt"
	"math"
)

// Params configure a Sampler. The zero value is greedy decoding.
type Params struct {
	Temperature      float32 // <= 0: greedy (argmax)
	TopK             int     // <= 0: off
	TopP             float32 // >= 1 or <= 0: off
	MinP             float32 // <= 0: off
	RepeatPenalty    float32 // 1 or 0: off
	FrequencyPenalty float32
	PresencePenalty  float32
	RepeatLastN      int // how many recent tokens the penalties look at; 0 = none, -1 = all history given
	Seed             uint64
}

// Defaults returns llama.cpp's defaults (temp 0.8, top_k 40, top_p 0.95,
// min_p 0.05, repeat_penalty 1.0, last_n 64) with the given seed.
func Defaults(seed uint64) Params {
	return Params{
		Temperature:   0.8,
		TopK:          40,
		TopP:          0.95,
		MinP:          0.05,
		RepeatPenalty: 1.0,
		RepeatLastN:   64,
		Seed:          seed,
	}
}

// Validate reports every parameter that is out of range, joined into one
// error; it returns nil for usable parameters.
func (p Params) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("sample: "+format, args...))
	}
	finite := func(name string, v float32) bool {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			bad("%s is %v, want a finite number", name, v)
			return false
		}
		return true
	}
	finite("temperature", p.Temperature)
	if finite("top_p", p.TopP) && p.TopP < 0 {
		bad("top_p is %v, want >= 0 (0 or >= 1 turns it off)", p.TopP)
	}
	if finite("min_p", p.MinP) && (p.MinP < 0 || p.MinP > 1) {
		bad("min_p is %v, want a value in [0, 1] (0 turns it off)", p.MinP)
	}
	if finite("repeat_penalty", p.RepeatPenalty) && p.RepeatPenalty < 0 {
		bad("repeat_penalty is %v, want >= 0 (0 or 1 turns it off)", p.RepeatPenalty)
	}
	finite("frequency_penalty", p.FrequencyPenalty)
	finite("presence_penalty", p.PresencePenalty)
	if p.RepeatLastN < -1 {
		bad("repeat_last_n is %d, want >= -1 (-1 means all history)", p.RepeatLastN)
	}
	return errors.Join(errs...)
}

// penalizes reports whether the penalty stage can change any logit.
func (p Params) penalizes() bool {
	if p.RepeatLastN == 0 {
		return false
	}
	return (p.RepeatPenalty != 0 && p.RepeatPenalty != 1) ||
		p.FrequencyPenalty != 0 || p.PresencePenalty != 0
}
