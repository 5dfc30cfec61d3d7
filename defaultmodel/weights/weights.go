// Package weights holds the built-in model's file, made by
// go run ./defaultmodel/make.
package weights

import _ "embed"

// GGUF is the built-in model: a small Llama that knows the sentences and
// answers of the generated corpus (see package defaultmodel).
//
//go:embed zhi-default.gguf
var GGUF []byte
