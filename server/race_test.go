//go:build race

package server

// Under "go test -race" the server binary is built with the race detector
// too, so that the subprocess tests check the handlers as well.
func init() { zhiBuildFlags = append(zhiBuildFlags, "-race") }
