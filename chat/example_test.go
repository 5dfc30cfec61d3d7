package chat_test

import (
	"fmt"
	"log"

	"zhi/chat"
)

func Example() {
	tmpl, err := chat.Builtin("chatml", chat.Options{})
	if err != nil {
		log.Fatal(err)
	}
	prompt, err := tmpl.Render([]chat.Message{
		{Role: "system", Content: "You are terse."},
		{Role: "user", Content: "Capital of France?"},
	}, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(prompt)
	fmt.Printf("stop at %q\n", tmpl.Stops())
	// Output:
	// <|im_start|>system
	// You are terse.<|im_end|>
	// <|im_start|>user
	// Capital of France?<|im_end|>
	// <|im_start|>assistant
	// stop at ["<|im_end|>"]
}
