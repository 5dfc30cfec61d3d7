// Command make rebuilds the model built into zhi from nothing but this
// repository: go run ./defaultmodel/make. The same recipe on any machine
// writes the same file.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"zhi/defaultmodel"
)

func main() {
	out := "defaultmodel/weights/zhi-default.gguf"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	dir, err := os.MkdirTemp("", "zhi-default-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := defaultmodel.Build(ctx, defaultmodel.DefaultRecipe(), dir, out, os.Stderr); err != nil {
		fail(err)
	}
	fmt.Println(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "make:", err)
	os.Exit(1)
}
