package pretokenize

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
	"zhi/internal/shared"

	"zhi/gguf"
)

// splitCases are worked examples: each is checked as written and against
// the reference's regexes.
var splitCases = []struct {
	name, text string
	want       []string
}{
	{"llama-bpe", "I'M here", []string{"I", "'M", " here"}},
	{"llama-bpe", "don't DON'T we'Ve", []string{"don", "'t", " DON", "'T", " we", "'Ve"}},
	{"llama-bpe", "1234567", []string{"123", "456", "7"}},
	{"llama-bpe", "here  1234567", []string{"here", " ", " ", "123", "456", "7"}},
	{"llama-bpe", "  \n\n  x", []string{"  \n\n", " ", " x"}},
	{"llama-bpe", "trailing  ", []string{"trailing", "  "}},
	{"llama-bpe", "Hi 🦙🦙!", []string{"Hi", " 🦙🦙!"}},
	{"llama-bpe", "大语言模型", []string{"大语言模型"}},
	{"llama-bpe", "func main() {\n\tif x {\n\t\treturn\n\t}\n}", []string{
		"func", " main", "()", " {\n", "\tif", " x", " {\n", "\t", "\treturn", "\n", "\t", "}\n", "}",
	}},
	{"llama-bpe", "Привет мир! héllo 世界 مرحبا", []string{"Привет", " мир", "!", " héllo", " 世界", " مرحبا"}},
	{"llama-bpe", "a\xffb", []string{"a", "\xffb"}},
	{"gpt-2", "I'M I'm", []string{"I", "'", "M", " I", "'m"}},
	{"gpt-2", "1234567 x 89", []string{"1234567", " x", " 89"}},
	{"gpt-2", "  \n\n  x", []string{"  \n\n ", " x"}},
	{"gpt-2", "hello\n\nworld", []string{"hello", "\n", "\n", "world"}},
	{"gpt-2", "Hi 🦙🦙!", []string{"Hi", " 🦙🦙!"}},
	{"gpt-2", "大语言模型", []string{"大语言模型"}},
	{"gpt-2", "\tif x:\n\t\treturn", []string{"\t", "if", " x", ":", "\n\t", "\t", "return"}},
	{"gpt-2", "a\xffb", []string{"a", "\xff", "b"}},
	{"qwen2", "I'M 1234", []string{"I", "'M", " ", "1", "2", "3", "4"}},
	{"qwen2", "大语言模型 is\r\n\r\n", []string{"大语言模型", " is", "\r\n\r\n"}},
	{"deepseek-r1-qwen", "x=1;", []string{"x", "=", "1", ";"}},
	{"default", "Hello, world!!! 12345 $x", []string{"Hello", ",", " world", "!!!", " ", "123", "45", " ", "$", "x"}},
	{"falcon", "a`b 1234", []string{"a", "`", "b", " ", "123", "4"}},
	{"starcoder", "x = 12;", []string{"x", " =", " ", "1", "2", ";"}},
	{"refact", "I'M 42", []string{"I", "'", "M", " ", "4", "2"}},
	{"mpt", "hello world", []string{"hello", " world"}},
	{"deepseek-coder", "def f(x):\n    return x+1", []string{
		"def", " f", "(", "x", "):", "\n", "   ", " return", " x", "+", "1",
	}},
	{"deepseek-llm", "Hello 世界 123\n", []string{"Hello", " ", "世界", " ", "123", "\n"}},
	{"deepseek-llm", "大语言模型", []string{"大语言模型"}},
	{"deepseek-v3", "Hello, 世界 1234 ~x~", []string{"Hello", ",", " ", "世界", " ", "123", "4", " ", "~x", "~"}},
	{"tekken", "HelloWorld ABCdef", []string{"Hello", "World", " ABCdef"}},
	{"gpt-4o", "I'M fine, 12345", []string{"I'M", " fine", ",", " ", "123", "45"}},
	{"poro-chat", "Hello, world. Tämä on  testi!", []string{
		"Hello", ",", " world", ".", " Tämä", " on", " ", " testi", "!",
	}},
	{"viking", "abc 123", []string{"abc", " ", "1", "2", "3"}},
	{"chameleon", "<sentinel:12>IMGIMGABZ  x", []string{"<", "sentinel", ":", "1", "2", ">", "IMGIMGABZ", "  ", "x"}},
}

func TestSplitCases(t *testing.T) {
	for _, c := range splitCases {
		sp, err := New(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := sp.Split(c.text); !slices.Equal(got, c.want) {
			t.Errorf("%s: Split(%q)\n got %q\nwant %q", c.name, c.text, got, c.want)
		}
		checkAgainstReference(t, c.name, c.text)
	}
}

// trickyTexts exercise the edges of every pattern.
var trickyTexts = []string{
	"", " ", "  ", "\n", "\r\n", "x", "I'M", "'s", "'", "1234567", "  \n\n  x", "\t\t  \n",
	"大语言模型", "🦙", "a\u0301", "\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe4\xb8",
	"func main() {\n\tif x {\n\t\treturn\n\t}\n}", "Привет мир! 世界", "~~``$$", "IMGIMGAAAAAZ <sentinel:>",
	"\u00a0\u3000\u2028\u0085 x \u3000", "e\u0301\u0301 ٣٣ Ⅻ ½",
}

// TestConcatenation checks that every splitter returns non-empty chunks
// that make up the text.
func TestConcatenation(t *testing.T) {
	for _, name := range Names() {
		sp, _ := New(name)
		for _, text := range trickyTexts {
			chunks := sp.Split(text)
			if got := strings.Join(chunks, ""); got != text {
				t.Errorf("%s: Split(%q) joins to %q", name, text, got)
			}
			if slices.Contains(chunks, "") {
				t.Errorf("%s: Split(%q) = %q has an empty chunk", name, text, chunks)
			}
		}
	}
}

func TestNew(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() is not sorted: %q", names)
	}
	for _, name := range []string{
		"default", "llama-bpe", "llama3", "llama-v3", "falcon3", "qwen2", "deepseek-r1-qwen", "gpt-2",
		"phi-2", "jina-es", "deepseek-llm", "deepseek-coder", "falcon", "mpt", "starcoder", "refact",
		"command-r", "stablelm2", "olmo", "dbrx", "smaug-bpe", "poro-chat", "viking", "jais", "tekken",
		"smollm", "codeshell", "bloom", "gpt3-finnish", "exaone", "chameleon", "minerva-7b", "gpt-4o",
	} {
		if !slices.Contains(names, name) {
			t.Errorf("Names() lacks %q", name)
		}
	}
	def, _ := New("default")
	empty, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	text := "Hello, world!!! 12345"
	if !slices.Equal(empty.Split(text), def.Split(text)) {
		t.Error(`New("") is not the default pre-tokenizer`)
	}
	_, err = New("no-such-pre")
	if err == nil || !strings.Contains(err.Error(), "no-such-pre") || !strings.Contains(err.Error(), "llama-bpe") {
		t.Errorf("New(unknown) error = %v, want one naming it and the supported names", err)
	}
}

func TestDecodeRune(t *testing.T) {
	const bad = utf8.RuneError
	for _, c := range []struct {
		in   string
		want rune
		n    int
	}{
		{"a", 'a', 1},
		{"é", 'é', 2},
		{"🦙", '🦙', 4},
		{"\x80", bad, 1},         // continuation byte
		{"\xc3", bad, 1},         // truncated
		{"\xe4\xb8", bad, 1},     // truncated
		{"\xe4\x41\x41", bad, 1}, // bad continuation
		{"\xc0\x80", 0, 2},       // overlong: the reference accepts it
		{"\xe0\x80\x80", 0, 3},   // overlong
		{"\xed\xa0\x80", 0xD800, 3},
		{"\xf4\x8f\xbf\xbf", 0x10FFFF, 4},
		{"\xf4\x90\x80\x80", bad, 1}, // past U+10FFFF
		{"\xf7\xbf\xbf\xbf", bad, 1},
		{"\xf8\x88\x80\x80\x80", bad, 1},
		{"\xff", bad, 1},
	} {
		if r, n := DecodeRune(c.in); r != c.want || n != c.n {
			t.Errorf("DecodeRune(%q) = %U, %d; want %U, %d", c.in, r, n, c.want, c.n)
		}
	}
}

// TestUnicodeVersion guards the Unicode 15.1 patch: a newer Go would class
// code points the reference leaves undefined.
func TestUnicodeVersion(t *testing.T) {
	if unicode.Version != "15.0.0" && unicode.Version != "15.1.0" {
		t.Fatalf("Go's Unicode tables are %s; the reference's are 15.1.0: review unicode151", unicode.Version)
	}
}

func TestClasses(t *testing.T) {
	tab := classes()
	// The reference's whitespace set (unicode_set_whitespace).
	ws := []rune{
		0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
		0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got := tab.of(r)&space != 0; got != slices.Contains(ws, r) {
			t.Errorf("%U: whitespace = %v", r, got)
		}
	}
	for _, c := range []struct {
		r    rune
		want class
	}{
		{'a', letter}, {'Z', letter}, {'0', number}, {'!', punct}, {'$', symbol}, {'~', symbol},
		{' ', space}, {'\t', space}, {0x00A0, space}, {0x0301, mark}, {0x0903, mark}, {0x00B5, letter},
		{0x01C5, letter}, {0x02B0, letter}, {0x0663, number}, {0x216B, number}, {0x00B2, number},
		{0xFFFD, symbol}, {0x1F999, symbol}, {0xFEFF, 0}, {0x200B, 0}, {0x0378, 0}, {0xD800, 0},
		{0xE000, 0}, {0x10FFFF, 0}, {-1, 0}, {unicode.MaxRune + 1, 0},
		// Unicode 15.1
		{0x2EBF0, letter}, {0x2EE5D, letter}, {0x2EE5E, 0}, {0x2FFC, symbol}, {0x2FFF, symbol}, {0x31EF, symbol},
	} {
		if got := tab.of(c.r); got != c.want {
			t.Errorf("class of %U = %b, want %b", c.r, got, c.want)
		}
	}
	// Outside the 15.1 additions the table is Go's, block sharing and all.
	for r := rune(0); r <= unicode.MaxRune; r += 7 {
		if r >= 0x2EBF0 && r <= 0x2EE5D || r >= 0x2FFC && r <= 0x2FFF || r == 0x31EF {
			continue
		}
		var want class
		for _, p := range []struct {
			t *unicode.RangeTable
			c class
		}{{unicode.L, letter}, {unicode.N, number}, {unicode.P, punct}, {unicode.S, symbol}, {unicode.M, mark}, {unicode.White_Space, space}} {
			if unicode.Is(p.t, r) {
				want |= p.c
			}
		}
		if got := tab.of(r); got != want {
			t.Fatalf("class of %U = %b, want %b", r, got, want)
		}
	}
}

// TestVocabPreNames checks that the pre-tokenizer of every byte-level BPE
// vocabulary of the reference's tests is supported.
func TestVocabPreNames(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(shared.Path(t, "vocab"), "*.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range files {
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		model, _ := f.String("tokenizer.ggml.model")
		pre, _ := f.String("tokenizer.ggml.pre")
		f.Close()
		if model != "gpt2" {
			continue
		}
		checked++
		if _, err := New(pre); err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
		}
	}
	if checked == 0 {
		t.Error("no byte-level BPE vocabulary found")
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range trickyTexts {
		f.Add(s)
	}
	for _, c := range splitCases {
		f.Add(c.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, l := range referenceLists {
			name := l.names[0]
			sp, _ := New(name)
			chunks := sp.Split(text)
			if got := strings.Join(chunks, ""); got != text {
				t.Fatalf("%s: Split(%q) joins to %q", name, text, got)
			}
			if slices.Contains(chunks, "") {
				t.Fatalf("%s: Split(%q) = %q has an empty chunk", name, text, chunks)
			}
			if want := referenceSplit(t, name, text); !slices.Equal(chunks, want) {
				t.Fatalf("%s: Split(%q)\n got %q\nwant %q", name, text, chunks, want)
			}
		}
	})
}

// benchText is about 10 KB of prose, code, numbers, CJK and emoji.
var benchText = strings.Repeat("The quick brown fox can't jump over 1234567 lazy dogs; it's 3.14159 times "+
	"SLOWER than you'd think!\n\nfunc main() {\n\tfor i := 0; i < 10; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n"+
	"大语言模型是什么? Привет, мир! 🦙🦙 héllo wörld — “quoted”   spaces\t\ttabs\r\n", 36)

func benchmarkSplit(b *testing.B, name string) {
	sp, err := New(name)
	if err != nil {
		b.Fatal(err)
	}
	sp.Split(benchText) // build the class table outside the timing
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		sp.Split(benchText)
	}
}

func BenchmarkSplitLlama3(b *testing.B) { benchmarkSplit(b, "llama-bpe") }
func BenchmarkSplitGPT2(b *testing.B)   { benchmarkSplit(b, "gpt-2") }
func BenchmarkSplitQwen2(b *testing.B)  { benchmarkSplit(b, "qwen2") }

func ExampleNew() {
	sp, _ := New("llama-bpe")
	fmt.Printf("%q\n", sp.Split("I'M here: 1234567 tokens!\n\n"))
	// Output: ["I" "'M" " here" ":" " " "123" "456" "7" " tokens" "!\n\n"]
}
