package pretokenize

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/dlclark/regexp2/v2"
)

// This file checks the hand-written matchers against the reference's own
// regex lists (src/llama-vocab.cpp, llm_tokenizer_bpe), run by a regex
// engine the way the reference runs them (src/unicode.cpp,
// unicode_regex_split): each expression re-splits the chunks of the one
// before; one that uses \p{..} sees every non-ASCII code point replaced by
// a byte standing for its class and each \p{..} rewritten to that byte plus
// its ASCII members; one that does not sees the code points with non-ASCII
// whitespace replaced by U+000B. \s and \S are those of the C locale.

// The reference's lists, verbatim as C++ string literals (Go reads their
// escapes the same way), non-ASCII characters written as escapes.
const (
	refGPT2   = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
	refLlama3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
	refQwen2  = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
	refPoro   = " ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+"
	refDSCJK  = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+"
)

var referenceLists = []struct {
	names []string
	exprs []string
}{
	{[]string{"default"}, []string{"[\\p{P}\\$\\+<=>\\^~\\|]+", refGPT2, "\\p{N}+", "[0-9][0-9][0-9]"}},
	{[]string{
		"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
		"lfm2", "jina-v5-nano", "dbrx", "smaug-bpe", "glm4", "chatglm-bpe",
	}, []string{refLlama3}},
	{[]string{
		"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
		"solar-open", "grok-2",
	}, []string{refQwen2}},
	{[]string{"bailingmoe", "bailingmoe2", "llada-moe"}, []string{
		"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"qwen35"}, []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"ufakzeka"}, []string{
		"[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"seed-coder"}, []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"minicpm5"}, []string{
		"\\p{N}{1,3}",
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"laguna"}, []string{"[^\\n]+|[\\n]+", refQwen2}},
	{[]string{
		"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
		"mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4",
		"mpt", "olmo", "jais", "trillion", "granite-docling",
	}, []string{refGPT2}},
	{[]string{
		"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2",
	}, []string{"\\p{N}", refGPT2}},
	{[]string{"falcon"}, []string{"[\\p{P}\\$\\+<=>\\^~\\|`]+", refGPT2, "[0-9][0-9][0-9]"}},
	{[]string{"deepseek-llm"}, []string{
		"[\r\n]",
		"\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af" +
			"\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5" +
			"\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba" +
			"\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45" +
			"\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe" +
			"\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc" +
			"\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134" +
			"\u2139\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee" +
			"\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf" +
			"\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f\U000104b0-\U000104d3" +
			"\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U000118a0-\U000118df" +
			"\U0001e900-\U0001e943]+",
		"\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+",
		"\\s+$",
		refDSCJK,
		"\\p{N}+",
	}},
	{[]string{"deepseek-coder"}, []string{"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", refDSCJK, "\\p{N}"}},
	{[]string{"deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"}, []string{
		"\\p{N}{1,3}",
		"[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
		"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"poro-chat", "bloom", "gpt3-finnish"}, []string{refPoro}},
	{[]string{"viking"}, []string{refPoro, "\\p{N}"}},
	{[]string{"tekken"}, []string{
		"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"}, []string{
		"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}},
	{[]string{"chameleon"}, []string{
		"<sentinel:[0-9]+>",
		"(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
		"([\\t\\n]|    |  )",
		"\\p{N}",
		"[\\p{P}!-/:-@\\[-`{-~]",
		refGPT2,
	}},
}

// categoryCollapse is the reference's rewriting of each \p{..}: the byte
// that stands for the class, then the class's ASCII members. Its ASCII list
// for \p{S} lacks '~'.
var categoryCollapse = map[string]string{
	`\p{N}`:  `\u00D10-9`,
	`\p{L}`:  `\u00D2A-Za-z`,
	`\p{Lu}`: `\u00D2A-Za-z`,
	`\p{Ll}`: `\u00D2A-Za-z`,
	`\p{Lt}`: `\u00D2A-Za-z`,
	`\p{Lm}`: `\u00D2A-Za-z`,
	`\p{Lo}`: `\u00D2A-Za-z`,
	`\p{P}`:  `\u00D3!-#%-*,-/:-;?-@\[-\]_\{\}`,
	`\p{M}`:  `\u00D4`,
	`\p{S}`:  `\u00D5\$\+<->\^\x60\|`,
}

// translate rewrites a reference expression for the regex engine: the
// \p{..} as the reference rewrites them, and \s, \S as the C locale has
// them.
func translate(expr string) (pattern string, collapsed bool) {
	var b strings.Builder
	inside := false
	for i := 0; i < len(expr); i++ {
		ch := expr[i]
		switch {
		case ch == '[':
			inside = true
		case ch == ']':
			inside = false
		case ch == '\\' && i+1 < len(expr):
			i++
			switch expr[i] {
			case 'p':
				end := strings.IndexByte(expr[i:], '}')
				name := `\` + expr[i:i+end+1]
				repl, ok := categoryCollapse[name]
				if !ok {
					panic("unknown category " + name)
				}
				collapsed = true
				if !inside {
					repl = "[" + repl + "]"
				}
				b.WriteString(repl)
				i += end
			case 's':
				if inside {
					b.WriteString(`\t-\r `)
				} else {
					b.WriteString(`[\t-\r ]`)
				}
			case 'S':
				b.WriteString(`[^\t-\r ]`)
			default:
				b.WriteByte('\\')
				b.WriteByte(expr[i])
			}
			continue
		}
		b.WriteByte(ch)
	}
	return b.String(), collapsed
}

// collapse returns the code point the reference's regex sees for r.
func collapse(r rune, byClass bool) rune {
	switch {
	case r < 0x80:
		return r
	case unicode.Is(unicode.White_Space, r):
		return 0x0B
	case !byClass:
		return r
	case unicode.IsNumber(r):
		return 0xD1
	case unicode.IsLetter(r):
		return 0xD2
	case unicode.IsPunct(r):
		return 0xD3
	case unicode.IsMark(r):
		return 0xD4
	case unicode.IsSymbol(r):
		return 0xD5
	}
	return 0xD0
}

type compiledExpr struct {
	re        *regexp2.Regexp
	collapsed bool
}

var compiledRefs = sync.OnceValue(func() map[string][]compiledExpr {
	m := make(map[string][]compiledExpr)
	for _, l := range referenceLists {
		var exprs []compiledExpr
		for _, e := range l.exprs {
			pat, collapsed := translate(e)
			re := regexp2.MustCompile(pat, regexp2.ECMAScript|regexp2.Unicode)
			exprs = append(exprs, compiledExpr{re, collapsed})
		}
		for _, name := range l.names {
			m[name] = exprs
		}
	}
	return m
})

// referenceSplit splits text with the regex engine and the reference's
// list for name.
func referenceSplit(t testing.TB, name, text string) []string {
	t.Helper()
	var cps []rune
	var offs []int
	for i := 0; i < len(text); {
		r, n := DecodeRune(text[i:])
		cps = append(cps, r)
		offs = append(offs, i)
		i += n
	}
	offs = append(offs, len(text))
	if len(cps) == 0 {
		return nil
	}
	ends := []int{len(cps)}
	for _, e := range compiledRefs()[name] {
		seen := make([]rune, len(cps))
		for i, r := range cps {
			seen[i] = collapse(r, e.collapsed)
		}
		var out []int
		start := 0
		for _, end := range ends {
			pos := 0
			err := e.re.FindRunesMatches(seen[start:end], 0, func(m regexp2.MatchView) bool {
				at, n, _ := m.GroupRange(0)
				if n == 0 {
					t.Fatalf("%s: %q: empty match of %s", name, text, e.re)
				}
				if at > pos {
					out = append(out, start+at)
				}
				out = append(out, start+at+n)
				pos = at + n
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if start+pos < end {
				out = append(out, end)
			}
			start = end
		}
		ends = out
	}
	chunks := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		chunks[i] = text[offs[start]:offs[end]]
		start = end
	}
	return chunks
}

// oracleAlphabet holds the pieces random test texts are made of: one of
// each kind of code point the patterns tell apart, and the sequences some
// of them look for.
var oracleAlphabet = []string{
	"a", "z", "A", "Z", "e", "s", "S", "t", "T", "re", "RE", "vE", "ll", "Ll", "m", "d", "D", "x",
	"'", "'s", "'T", "'re", "'LL", "'ve", "'m", "'d",
	"0", "1", "7", "12", "345", "6789",
	" ", " ", " ", "  ", "    ", "\t", "\n", "\r", "\r\n", "\v", "\f",
	"!", "\"", "#", "$", "%", "&", "(", ")", "*", "+", ",", "-", ".", "/", ":", ";", "<", "=", ">",
	"?", "@", "[", "\\", "]", "^", "_", "`", "{", "|", "}", "~",
	"é", "É", "ß", "\u01c5", "\u02b0", "\u00b5", "\u03a9", "\u2126", "\u212a", "\u1fbe", "\u1ffc", "\uff21", "\uff5a", "\ufb00", "\u0450", "\u0400",
	"中", "文", "龥", "龦", "가", "힣", "ぁ", "ア", "゠", "ー", "ࠀ", "ह", "ि", "\u0301", "\u0903", "\u20dd",
	"٣", "Ⅻ", "½", "²",
	"\u00a0", "\u3000", "\u2028", "\u0085", "\u1680", "\u2003", "\u202f",
	"…", "。", "，", "、", "।", "۔", "،", "«", "‘", "‟", "！", "／", "：", "～", "¿",
	"€", "∑", "©", "^", "🦙", "😀", "\u200b", "\u00ad", "\x00", "\x1f", "\x7f", "\ufffd", "\u0378", "\ue000",
	"𐐀", "𝔸", "𞤀", "𠀀",
	"IMGIMG", "<sentinel:", ">",
	"\xff", "\xc3", "\xe4\xb8", "\xc0\x80",
}

// randomText builds a text of up to n pieces of the alphabet.
func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range rng.IntN(n + 1) {
		b.WriteString(oracleAlphabet[rng.IntN(len(oracleAlphabet))])
	}
	return b.String()
}

// TestListsCoverNames checks that the reference lists above name exactly
// the supported pre-tokenizers, so that every one is checked against its
// list.
func TestListsCoverNames(t *testing.T) {
	var listed []string
	for _, l := range referenceLists {
		listed = append(listed, l.names...)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, Names()) {
		t.Errorf("reference lists name\n%q\nsupported names are\n%q", listed, Names())
	}
}

func checkAgainstReference(t *testing.T, name, text string) {
	t.Helper()
	sp, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	got, want := sp.Split(text), referenceSplit(t, name, text)
	if !slices.Equal(got, want) {
		t.Errorf("%s: Split(%q)\n got %q\nwant %q", name, text, got, want)
	}
}

// TestAgainstReferenceRegexes splits random texts with every pre-tokenizer
// and with the reference's regexes.
func TestAgainstReferenceRegexes(t *testing.T) {
	iterations := 400
	if testing.Short() {
		iterations = 50
	}
	for _, l := range referenceLists {
		t.Run(l.names[0], func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(l.exprs))))
			for i := range iterations {
				text := randomText(rng, 1+i%40)
				for _, name := range l.names {
					checkAgainstReference(t, name, text)
				}
				if t.Failed() {
					return
				}
			}
		})
	}
}
