package tokenizer

import (
	"fmt"
	"os"

	"zhi/gguf"
)

func ExampleTokenizer_Encode() {
	// A GGUF file with a tiny "llama" vocabulary; real model files work
	// the same way.
	dir, err := os.MkdirTemp("", "vocab")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path, err := writeGGUF(dir, tinySPM())
	if err != nil {
		fmt.Println(err)
		return
	}

	f, err := gguf.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := FromGGUF(f)
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}

	ids := tok.Encode("hello world", true, false)
	fmt.Println(ids)
	for _, id := range ids {
		fmt.Printf("%q\n", tok.Piece(id))
	}
	fmt.Printf("%q\n", tok.Decode(ids[1:]))
	// Output:
	// [1 19 24]
	// "<s>"
	// " hello"
	// " world"
	// "hello world"
}
