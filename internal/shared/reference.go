package shared

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// Reference is a NAME.ref.json file: what llama.cpp computed for one of the
// reference models on each prompt of prompts.txt.
type Reference struct {
	Model  string `json:"model"` // file name of the GGUF beside the json
	NVocab int    `json:"n_vocab"`
	Cases  []Case `json:"cases"`
}

// Case is one prompt's reference results.
type Case struct {
	Prompt       string     `json:"prompt"`
	Tokens       []int32    `json:"tokens"`    // the prompt tokenized, BOS as the metadata asks
	Positions    []Position `json:"positions"` // the prediction after each prompt token
	Greedy       []int32    `json:"greedy"`    // argmax continuation
	GreedyMargin []float64  `json:"greedy_margin"`
	GreedyText   string     `json:"greedy_text"`
}

// Position is the reference's prediction after one prompt token.
type Position struct {
	LogSumExp float64      `json:"logsumexp"`
	Top       [][2]float64 `json:"top"` // [id, logit], highest first
}

// LoadReference reads a NAME.ref.json file.
func LoadReference(t testing.TB, path string) *Reference {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref Reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &ref
}

// Tolerance is how far a logit of the model named may be from the
// reference's: relative for float weights, absolute for quantized ones, as
// ../shared/reference/README.md sets out.
func Tolerance(model string, logit float64) float64 {
	for _, f := range []string{"-f32", "-f16", "-bf16"} {
		if strings.Contains(model, f) {
			return 1e-3 * max(1, math.Abs(logit))
		}
	}
	return 2e-2
}
