// Package defaultmodel holds the small model built into zhi, so that a fresh
// clone runs, predicts and chats with no download, and the corpus it is
// trained on: text the project writes itself (simple sentences, facts,
// questions and answers, and the seed's "The cat sat on the mat").
package defaultmodel

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Pair is one question with its answer, for fine-tuning the chat turns.
type Pair struct {
	Question, Answer string
}

// Corpus returns the pretraining text (about size bytes of sentences, one
// per line) and the question/answer pairs, the same for the same seed.
func Corpus(seed uint64, size int) (text string, pairs []Pair) {
	rng := rand.New(rand.NewPCG(seed, 0x7a6869))
	pairs = questions()
	var facts []string
	facts = append(facts, sentences()...)
	for _, p := range pairs {
		facts = append(facts, p.Answer)
	}
	var b strings.Builder
	for b.Len() < size {
		switch rng.IntN(4) {
		case 0:
			b.WriteString(scene(rng))
		case 1:
			b.WriteString(facts[rng.IntN(len(facts))])
		case 2:
			p := pairs[rng.IntN(len(pairs))]
			fmt.Fprintf(&b, "Q: %s A: %s", p.Question, p.Answer)
		default:
			b.WriteString(arithmetic(rng))
		}
		b.WriteByte('\n')
	}
	return b.String(), pairs
}

// The words of the generated scenes; the seed's sentence is the most likely
// of them.
var (
	animals = []string{"cat", "dog", "bird", "mouse", "fox", "cow", "horse", "rabbit"}
	verbs   = []string{"sat", "slept", "lay", "sat", "sat", "stood", "played"}
	places  = []string{"mat", "mat", "mat", "rug", "bed", "chair", "floor", "grass", "sofa", "table"}
	adjs    = []string{"big", "small", "old", "little", "happy", "sleepy", "black", "white"}
)

// scene is a sentence such as "The cat sat on the mat.", that one more
// often than any other.
func scene(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return "The cat sat on the mat."
	}
	animal := animals[rng.IntN(len(animals))]
	if rng.IntN(3) == 0 {
		animal = adjs[rng.IntN(len(adjs))] + " " + animal
	}
	return fmt.Sprintf("The %s %s on the %s.", animal, verbs[rng.IntN(len(verbs))], places[rng.IntN(len(places))])
}

var numbers = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"}

// arithmetic is a sum of two small numbers, in words or digits.
func arithmetic(rng *rand.Rand) string {
	a, b := rng.IntN(11), rng.IntN(11)
	if rng.IntN(2) == 0 {
		return fmt.Sprintf("%d plus %d is %d.", a, b, a+b)
	}
	return fmt.Sprintf("%s plus %s is %s.", capitalize(numbers[a]), numbers[b], numbers[a+b])
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// sentences are facts stated once each.
func sentences() []string {
	s := []string{
		"The sky is blue.", "Grass is green.", "Snow is white.", "The sun is hot.", "Ice is cold.",
		"Water is wet.", "Fire is hot.", "The night is dark.", "Honey is sweet.", "Lemons are sour.",
		"A week has seven days.", "A year has twelve months.", "A day has twenty four hours.",
		"Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday.",
		"January, February, March, April, May, June, July, August, September, October, November, December.",
		"One, two, three, four, five, six, seven, eight, nine, ten.",
		"Red, orange, yellow, green, blue, indigo, violet.",
	}
	for _, o := range opposites {
		s = append(s, fmt.Sprintf("The opposite of %s is %s.", o[0], o[1]))
	}
	for _, a := range sounds {
		s = append(s, fmt.Sprintf("A %s says %s.", a[0], a[1]))
	}
	return s
}

var (
	capitals = [][2]string{
		{"France", "Paris"}, {"Germany", "Berlin"}, {"Italy", "Rome"}, {"Spain", "Madrid"}, {"Japan", "Tokyo"},
		{"China", "Beijing"}, {"England", "London"}, {"Russia", "Moscow"}, {"Egypt", "Cairo"}, {"Canada", "Ottawa"},
		{"Greece", "Athens"}, {"Portugal", "Lisbon"}, {"Norway", "Oslo"}, {"Sweden", "Stockholm"}, {"Poland", "Warsaw"},
		{"Austria", "Vienna"}, {"Ireland", "Dublin"}, {"Kenya", "Nairobi"}, {"Peru", "Lima"}, {"India", "New Delhi"},
	}
	colours = [][2]string{
		{"the sky", "blue"}, {"grass", "green"}, {"snow", "white"}, {"a banana", "yellow"}, {"coal", "black"},
		{"a tomato", "red"}, {"an orange", "orange"}, {"the sea", "blue"}, {"milk", "white"}, {"a leaf", "green"},
	}
	opposites = [][2]string{
		{"hot", "cold"}, {"big", "small"}, {"up", "down"}, {"day", "night"}, {"fast", "slow"},
		{"happy", "sad"}, {"old", "new"}, {"open", "closed"}, {"left", "right"}, {"yes", "no"},
	}
	sounds = [][2]string{
		{"dog", "woof"}, {"cat", "meow"}, {"cow", "moo"}, {"duck", "quack"}, {"sheep", "baa"},
		{"lion", "roar"}, {"bird", "tweet"}, {"horse", "neigh"},
	}
)

// questions are the chat turns the model learns to answer.
func questions() []Pair {
	p := []Pair{
		{"Hello", "Hello! How can I help you?"},
		{"Hi", "Hi! How can I help you?"},
		{"Who are you?", "I am zhi, a small language model."},
		{"What is your name?", "My name is zhi."},
		{"Where did the cat sit?", "The cat sat on the mat."},
		{"What did the cat sit on?", "The cat sat on the mat."},
		{"How many days are in a week?", "A week has seven days."},
		{"How many months are in a year?", "A year has twelve months."},
		{"Thank you", "You are welcome!"},
		{"Goodbye", "Goodbye! Have a nice day."},
	}
	for _, c := range capitals {
		p = append(p, Pair{"What is the capital of " + c[0] + "?", "The capital of " + c[0] + " is " + c[1] + "."})
	}
	for _, c := range colours {
		p = append(p, Pair{"What colour is " + c[0] + "?", capitalize(c[0]) + " is " + c[1] + "."})
	}
	for _, o := range opposites {
		p = append(p, Pair{"What is the opposite of " + o[0] + "?", "The opposite of " + o[0] + " is " + o[1] + "."})
	}
	for _, a := range sounds {
		p = append(p, Pair{"What does a " + a[0] + " say?", "A " + a[0] + " says " + a[1] + "."})
	}
	for a := 0; a <= 5; a++ {
		for b := 0; b <= 5; b++ {
			p = append(p, Pair{fmt.Sprintf("What is %d plus %d?", a, b), fmt.Sprintf("%d plus %d is %d.", a, b, a+b)})
		}
	}
	return p
}
