package sample_test

import (
	"fmt"

	"zhi/sample"
)

func Example() {
	logits := []float32{0.5, 3.0, 2.5, -1.0}

	// The zero Params decode greedily.
	greedy := sample.New(sample.Params{})
	fmt.Println("greedy:", greedy.Sample(logits, nil))

	// Seeded sampling with llama.cpp's defaults: the same seed always
	// gives the same tokens. Validate before New when the values come
	// from a user.
	p := sample.Defaults(7)
	if err := p.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	s := sample.New(p)
	history := []int32{1}
	for range 8 {
		history = append(history, s.Sample(logits, history))
	}
	fmt.Println("sampled:", history[1:])

	for _, c := range sample.Top(logits, 2) {
		fmt.Printf("token %d: logit %.1f, p %.3f\n", c.ID, c.Logit, c.Prob)
	}
	// Output:
	// greedy: 1
	// sampled: [1 1 1 1 1 2 1 1]
	// token 1: logit 3.0, p 0.586
	// token 2: logit 2.5, p 0.355
}
