// Package pretokenize splits text into the chunks that byte-level BPE
// merges within, as the reference engine (llama.cpp) does for the
// pre-tokenizer a GGUF file names in tokenizer.ggml.pre.
//
// The reference defines each pre-tokenizer as a list of regular
// expressions; each one re-splits the chunks of the one before, its
// matches and the text between them all becoming chunks. It runs two of
// them (GPT-2's and Llama 3's) as hand-written matchers and the others as
// ECMAScript regexes over a copy of the text in which every non-ASCII code
// point stands for its Unicode class. This package follows those semantics
// with hand-written matchers for each expression, down to the quirks of
// that class mapping; package tests check each list against the
// reference's regexes run by a regex engine.
//
// Code points are classified with Unicode 15.1, as the reference is.
// Invalid UTF-8 is decoded as the reference decodes it, each undecodable
// byte counting as one U+FFFD; chunks are always substrings of the input,
// so they concatenate to it even then (the reference itself re-encodes the
// code points, turning such bytes into U+FFFD).
package pretokenize

import (
	"fmt"
	"sort"
	"strings"
)

// Splitter splits text into the chunks BPE merges within. The chunks are
// non-empty substrings of the text that make it up in order. Splitters are
// safe for concurrent use.
type Splitter interface {
	Split(text string) []string
}

// New returns the splitter for a tokenizer.ggml.pre name (as llama.cpp
// names them, with its aliases: e.g. "llama3", "llama-v3", "llama-bpe",
// "falcon3" map to the Llama 3 pattern; "" and "default" to the default),
// or an error listing the supported names.
func New(pre string) (Splitter, error) {
	if pre == "" {
		pre = "default"
	}
	p, ok := registry[pre]
	if !ok {
		return nil, fmt.Errorf("pretokenize: unknown pre-tokenizer %q (supported: %s)", pre, strings.Join(Names(), ", "))
	}
	return p, nil
}

// Names returns the supported names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// registry maps every supported name to its pipeline.
var registry = func() map[string]pipeline {
	m := make(map[string]pipeline)
	for _, d := range definitions {
		for _, name := range d.names {
			m[name] = d.stages
		}
	}
	return m
}()

// definitions lists the pre-tokenizers with the names the reference maps
// to each (llama_vocab::impl::load) and, in comments, its regex list
// (llm_tokenizer_bpe).
var definitions = []struct {
	names  []string
	stages pipeline
}{
	{
		// [\p{P}\$\+<=>\^~\|]+, GPT-2, \p{N}+, [0-9][0-9][0-9]
		names:  []string{"default"},
		stages: pipeline{run(defaultPunct, 0), gpt2Word, run(isNumber, 0), threeDigits},
	},
	{
		// the Llama 3 pattern (see wordRule)
		names: []string{
			"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
			"lfm2", "jina-v5-nano", "dbrx", "smaug-bpe", "glm4", "chatglm-bpe",
		},
		stages: pipeline{words(wordRule{contractions: true, maxDigits: 3, punctBreaks: true})},
	},
	{
		// the Llama 3 pattern with \p{N} for \p{N}{1,3}; bailingmoe's has
		// \s*[\r\n] for \s*[\r\n]+, which matches the same
		names: []string{
			"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
			"solar-open", "grok-2", "bailingmoe", "bailingmoe2", "llada-moe",
		},
		stages: pipeline{words(wordRule{contractions: true, maxDigits: 1, punctBreaks: true})},
	},
	{
		// Qwen 2's with marks: [^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+ and
		//  ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*
		names:  []string{"qwen35"},
		stages: pipeline{words(wordRule{contractions: true, marks: true, maxDigits: 1, punctBreaks: true})},
	},
	{
		// Qwen 2's without the contractions
		names:  []string{"ufakzeka"},
		stages: pipeline{words(wordRule{maxDigits: 1, punctBreaks: true})},
	},
	{
		// Qwen 2's with  ?[^\s\p{L}\p{N}\r\n]+ for  ?[^\s\p{L}\p{N}]+[\r\n]*
		names:  []string{"seed-coder"},
		stages: pipeline{words(wordRule{contractions: true, maxDigits: 1})},
	},
	{
		// \p{N}{1,3}, then Llama 3's with \p{N}+
		names:  []string{"minicpm5"},
		stages: pipeline{run(isNumber, 3), words(wordRule{contractions: true, punctBreaks: true})},
	},
	{
		// [^\n]+|[\n]+, then Qwen 2's
		names:  []string{"laguna"},
		stages: pipeline{linesAndBreaks, words(wordRule{contractions: true, maxDigits: 1, punctBreaks: true})},
	},
	{
		// GPT-2
		names: []string{
			"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
			"mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4",
			"mpt", "olmo", "jais", "trillion", "granite-docling",
		},
		stages: pipeline{gpt2Word},
	},
	{
		// \p{N}, GPT-2
		names: []string{
			"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2",
		},
		stages: pipeline{one(isNumber), gpt2Word},
	},
	{
		// [\p{P}\$\+<=>\^~\|`]+, GPT-2, [0-9][0-9][0-9]
		names:  []string{"falcon"},
		stages: pipeline{run(falconPunct, 0), gpt2Word, threeDigits},
	},
	{
		// [\r\n], \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+, \s?[!-/:-~！-／：-～‘-‟　-。]+, \s+$,
		// [一-龥ࠀ-一가-퟿]+, \p{N}+
		names: []string{"deepseek-llm"},
		stages: pipeline{
			one(isNewline),
			prefixedRun(isSpace, deepseekLetters.has),
			prefixedRun(isSpace, deepseekPunct.has),
			trailingSpace{},
			run(deepseekCJK.has, 0),
			run(isNumber, 0),
		},
	},
	{
		// [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N}
		names: []string{"deepseek-coder"},
		stages: pipeline{
			one(isNewline),
			prefixedRun(isSpace, isLetter),
			prefixedRun(isSpace, isPunct),
			run(deepseekCJK.has, 0),
			one(isNumber),
		},
	},
	{
		// \p{N}{1,3}, [一-龥぀-ゟ゠-ヿ]+, then deepseek3Word
		names:  []string{"deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"},
		stages: pipeline{run(isNumber, 3), run(cjkKana.has, 0), deepseek3Word},
	},
	{
		//  ?[^(\s|.,!?…。，、।۔،)]+
		names:  []string{"poro-chat", "bloom", "gpt3-finnish"},
		stages: pipeline{prefixedRun(isASCIISpace, notSentencePunct)},
	},
	{
		//  ?[^(\s|.,!?…。，、।۔،)]+, \p{N}
		names:  []string{"viking"},
		stages: pipeline{prefixedRun(isASCIISpace, notSentencePunct), one(isNumber)},
	},
	{
		// see casedWordRule
		names:  []string{"tekken"},
		stages: pipeline{words(casedWordRule{maxDigits: 1})},
	},
	{
		// see casedWordRule
		names:  []string{"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"},
		stages: pipeline{words(casedWordRule{contractions: true, maxDigits: 3})},
	},
	{
		// <sentinel:[0-9]+>, (IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z,
		// ([\t\n]|    |  ), \p{N}, [\p{P}!-/:-@\[-`{-~], GPT-2
		names: []string{"chameleon"},
		stages: pipeline{
			sentinelToken,
			imageToken,
			chameleonSpace,
			one(isNumber),
			one(chameleonPunct),
			gpt2Word,
		},
	},
}

// words turns a word rule into a stage.
func words(r interface{ end(span, int) int }) stage { return matchAt(r.end) }

// defaultPunct is [\p{P}\$\+<=>\^~\|].
func defaultPunct(r rune, c class) bool {
	return c&punct != 0 || strings.ContainsRune("$+<=>^~|", r)
}

// falconPunct is [\p{P}\$\+<=>\^~\|`].
func falconPunct(r rune, c class) bool { return defaultPunct(r, c) || r == '`' }

// chameleonPunct is [\p{P}!-/:-@\[-`{-~].
func chameleonPunct(r rune, c class) bool { return c&punct != 0 || isASCIIPunct(r) }

func isASCIISpace(r rune, _ class) bool { return r == ' ' }

// sentencePunct is the content of [^(\s|.,!?…。，、।۔،)] besides \s.
var sentencePunct = runes("(|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)")

// notSentencePunct is [^(\s|.,!?…。，、।۔،)].
func notSentencePunct(r rune, c class) bool {
	return c&space == 0 && !sentencePunct.has(r, c)
}

// deepseekLetters is DeepSeek LLM's letter class, [A-Za-zµÀ-ÖØ-öø-ƺ...]:
// cased letters as Unicode had them when it was written.
var deepseekLetters = runeSet{
	{0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
	{0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
	{0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C},
	{0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
	{0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
	{0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
	{0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
	{0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
	{0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC},
	{0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
	{0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
	{0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
	{0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
	{0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787},
	{0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
	{0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
	{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
}

// deepseekPunct is DeepSeek LLM's [!-/:-~！-／：-～‘-‟　-。]; U+3000, being
// whitespace, never matches it (see runeSet).
var deepseekPunct = runeSet{
	{0x21, 0x2F}, {0x3A, 0x7E}, {0x2018, 0x201F}, {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
}

// deepseekCJK is DeepSeek's [一-龥ࠀ-一가-퟿].
var deepseekCJK = runeSet{{0x0800, 0x9FA5}, {0xAC00, 0xD7FF}}

// cjkKana is DeepSeek V3's [一-龥぀-ゟ゠-ヿ].
var cjkKana = runeSet{{0x3040, 0x30FF}, {0x4E00, 0x9FA5}}
