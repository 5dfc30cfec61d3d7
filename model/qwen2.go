package model

import "zhi/gguf"

// Qwen2 is a Llama with biases on the Q, K and V projections and NeoX-style
// rotary pairs.
func init() {
	register("qwen2", func(f *gguf.File, c *Config) (Model, error) {
		return loadLlama(f, c, family{qkvBias: true, neoxRope: true})
	})
}
