package tokenizer

import (
	"fmt"
	"strconv"
	"strings"

	"zhi/gguf"
	"zhi/tokenizer/pretokenize"
)

// Metadata keys, as the reference names them.
const (
	keyModel          = "tokenizer.ggml.model"
	keyPre            = "tokenizer.ggml.pre"
	keyTokens         = "tokenizer.ggml.tokens"
	keyScores         = "tokenizer.ggml.scores"
	keyTokenType      = "tokenizer.ggml.token_type"
	keyMerges         = "tokenizer.ggml.merges"
	keyAddBOS         = "tokenizer.ggml.add_bos_token"
	keyAddEOS         = "tokenizer.ggml.add_eos_token"
	keyAddSpacePrefix = "tokenizer.ggml.add_space_prefix"
	keyGeneralName    = "general.name"
)

// supportedModels names the values of tokenizer.ggml.model FromGGUF takes.
const supportedModels = `"llama", "gpt2", "bert"`

// FromGGUF builds the tokenizer described by a GGUF file's tokenizer.ggml.*
// metadata, with the reference's defaults for keys the file leaves out.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	model, ok := f.String(keyModel)
	if !ok {
		return nil, fmt.Errorf("tokenizer: missing %s", keyModel)
	}
	pre, _ := f.String(keyPre)
	t := &Tokenizer{model: model, pre: pre}
	t.special = specialIDs{
		bos: noToken, eos: noToken, eot: noToken, eom: noToken, unk: noToken, sep: noToken,
		fimPre: noToken, fimSuf: noToken, fimMid: noToken, fimPad: noToken, fimRep: noToken, fimSep: noToken,
	}
	switch model {
	case "llama":
		t.kind = kindSPM
		t.special.bos, t.special.eos, t.special.unk = 1, 2, 0
		t.addBOS, t.addSpacePrefix = true, true
	case "gpt2":
		t.kind = kindBPE
		t.special.bos, t.special.eos = 11, 11
	case "bert":
		t.kind = kindWPM
		t.special.bos, t.special.unk, t.special.sep = 101, 100, 102
		t.addBOS, t.addSep = true, true
	default:
		return nil, fmt.Errorf("tokenizer: unsupported tokenizer model %q (supported: %s)", model, supportedModels)
	}
	if err := t.loadTokens(f); err != nil {
		return nil, err
	}
	if t.kind == kindBPE {
		if err := t.loadBPE(f); err != nil {
			return nil, err
		}
	}
	if v, ok := f.Bool(keyAddSpacePrefix); ok {
		t.addSpacePrefix = v
	}
	t.loadSpecialIDs(f)
	if v, ok := f.Bool(keyAddBOS); ok && t.kind != kindWPM {
		t.addBOS = v
	}
	if v, ok := f.Bool(keyAddEOS); ok && t.kind != kindWPM {
		t.addEOS = v
	}
	if err := t.checkAddedTokens(); err != nil {
		return nil, err
	}
	t.findSpecialsByText()
	t.buildSpecialsCache()
	t.buildPieces()
	name, _ := f.String(keyGeneralName)
	t.setModelAttrs(name)
	if t.kind == kindSPM {
		t.buildByteTokens()
	}
	return t, nil
}

// loadTokens reads the token texts, scores and types.
func (t *Tokenizer) loadTokens(f *gguf.File) error {
	texts, ok := f.Strings(keyTokens)
	if !ok {
		return fmt.Errorf("tokenizer: missing or malformed %s", keyTokens)
	}
	if len(texts) == 0 || len(texts) > 1<<31-1 {
		return fmt.Errorf("tokenizer: %s has %d tokens", keyTokens, len(texts))
	}
	n := len(texts)
	t.texts = make([]string, n)
	t.ids = make(map[string]int32, n)
	t.scores = make([]float32, n)
	t.attrs = make([]attr, n)
	if _, present := f.Lookup(keyScores); present {
		scores, ok := f.Float32s(keyScores)
		if !ok || len(scores) < n {
			return fmt.Errorf("tokenizer: %s is not an array of %d float32 values", keyScores, n)
		}
		copy(t.scores, scores)
	}
	var types []int32
	if _, present := f.Lookup(keyTokenType); present {
		types, ok = f.Int32s(keyTokenType)
		if !ok || len(types) < n {
			return fmt.Errorf("tokenizer: %s is not an array of %d integers", keyTokenType, n)
		}
	}
	for i, text := range texts {
		if text == "" {
			text = "[EMPTY_" + strconv.Itoa(i) + "]"
		}
		t.texts[i] = text
		// A repeated text maps to its last id, as in the reference.
		t.ids[text] = int32(i)
		t.maxTokenLen = max(t.maxTokenLen, len(text))
		t.attrs[i] = attrNormal
		if types != nil {
			t.attrs[i] = attrOfType(types[i])
		}
	}
	return nil
}

// attrOfType maps a tokenizer.ggml.token_type value to attributes.
func attrOfType(typ int32) attr {
	switch typ {
	case 1:
		return attrNormal
	case 2:
		return attrUnknown
	case 3:
		return attrControl
	case 4:
		return attrUserDefined
	case 5:
		return attrUnused
	case 6:
		return attrByte
	}
	return 0 // undefined
}

// loadBPE reads the merge ranks and sets up the pre-tokenizer with the
// flags the reference ties to its name.
func (t *Tokenizer) loadBPE(f *gguf.File) error {
	merges, ok := f.Strings(keyMerges)
	if !ok {
		return fmt.Errorf("tokenizer: gpt2 model without %s", keyMerges)
	}
	t.ranks = make(map[mergePair]int32, len(merges))
	for i, m := range merges {
		// The reference splits at the first space after the first byte
		// (a rule without one becomes the pair of empty strings) and keeps
		// the first rank of a repeated rule.
		var p mergePair
		if len(m) > 1 {
			if j := strings.IndexByte(m[1:], ' '); j >= 0 {
				p = mergePair{m[:j+1], m[j+2:]}
			}
		}
		if _, seen := t.ranks[p]; !seen {
			t.ranks[p] = int32(i)
		}
	}
	name := t.pre
	switch t.pre {
	case "":
		name = "default"
	case "llama3", "llama-v3", "llama-bpe", "falcon3", "tekken":
		t.ignoreMerges, t.addBOS = true, true
	case "chameleon":
		t.addBOS = true
	case "chatglm-bpe":
		t.special.bos = noToken
	}
	s, err := pretokenize.New(name)
	if err != nil {
		return fmt.Errorf("tokenizer: pre-tokenizer %q: %w", name, err)
	}
	t.splitter = s
	return nil
}

// loadSpecialIDs applies the special token ids the metadata gives. Defaults
// outside the vocabulary are dropped; so are metadata ids outside it, which
// keep the default instead.
func (t *Tokenizer) loadSpecialIDs(f *gguf.File) {
	s := &t.special
	fields := []struct {
		name string
		id   *int32
	}{
		{"bos", &s.bos}, {"eos", &s.eos}, {"eot", &s.eot}, {"eom", &s.eom},
		{"unknown", &s.unk}, {"seperator", &s.sep},
		{"fim_pre", &s.fimPre}, {"fim_suf", &s.fimSuf}, {"fim_mid", &s.fimMid},
		{"fim_pad", &s.fimPad}, {"fim_rep", &s.fimRep}, {"fim_sep", &s.fimSep},
		// Older names of the first three FIM tokens.
		{"prefix", &s.fimPre}, {"suffix", &s.fimSuf}, {"middle", &s.fimMid},
	}
	for _, fl := range fields {
		if !t.valid(*fl.id) {
			*fl.id = noToken
		}
		v, ok := f.Uint("tokenizer.ggml." + fl.name + "_token_id")
		if ok && v < uint64(len(t.texts)) {
			*fl.id = int32(v)
		}
	}
}

// checkAddedTokens fails when Encode would have to add a token the
// vocabulary lacks.
func (t *Tokenizer) checkAddedTokens() error {
	switch {
	case t.addBOS && t.special.bos == noToken:
		return fmt.Errorf("tokenizer: BOS is to be added but the vocabulary has no BOS token")
	case t.addEOS && t.special.eos == noToken:
		return fmt.Errorf("tokenizer: EOS is to be added but the vocabulary has no EOS token")
	case t.addSep && t.special.sep == noToken:
		return fmt.Errorf("tokenizer: SEP is to be added but the vocabulary has no SEP token")
	}
	return nil
}

// Texts by which the reference finds special tokens the metadata does not
// name, and the texts of tokens that end generation.
var (
	eotTexts    = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "<｜end▁of▁sentence｜>"}
	eomTexts    = []string{"<|eom_id|>"}
	fimPreTexts = []string{"<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>"}
	fimSufTexts = []string{"<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>"}
	fimMidTexts = []string{"<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>"}
	fimPadTexts = []string{"<|fim_pad|>", "<fim-pad>", "<PAD>"}
	fimRepTexts = []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"}
	fimSepTexts = []string{"<|file_sep|>"}
	eogTexts    = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>"}
)

// findSpecialsByText fills in special tokens by their text and builds the
// end-of-generation set, making each such token a control token as the
// reference does. Where several texts match, the reference takes whichever
// its hash map yields first; the lowest id is taken here.
func (t *Tokenizer) findSpecialsByText() {
	s := &t.special
	for _, d := range []struct {
		id    *int32
		texts []string
	}{
		{&s.eot, eotTexts}, {&s.eom, eomTexts},
		{&s.fimPre, fimPreTexts}, {&s.fimSuf, fimSufTexts}, {&s.fimMid, fimMidTexts},
		{&s.fimPad, fimPadTexts}, {&s.fimRep, fimRepTexts}, {&s.fimSep, fimSepTexts},
	} {
		if *d.id != noToken {
			continue
		}
		if id := t.lowestIDOf(d.texts); id != noToken {
			*d.id = id
			t.makeControl(id)
		}
	}
	t.eog = make(map[int32]bool)
	for _, id := range []int32{s.fimPad, s.fimRep, s.fimSep} {
		if id != noToken {
			t.eog[id] = true
		}
	}
	for _, text := range eogTexts {
		if id, ok := t.ids[text]; ok {
			t.eog[id] = true
			t.makeControl(id)
		}
	}
	for _, id := range []int32{s.eos, s.eot, s.eom} {
		if id != noToken {
			t.eog[id] = true
		}
	}
}

// lowestIDOf returns the lowest id among tokens with one of texts.
func (t *Tokenizer) lowestIDOf(texts []string) int32 {
	best := noToken
	for _, text := range texts {
		if id, ok := t.ids[text]; ok && (best == noToken || id < best) {
			best = id
		}
	}
	return best
}

// makeControl turns a token found by its text into a control token; the
// reference replaces all its attributes.
func (t *Tokenizer) makeControl(id int32) {
	if t.attrs[id]&attrControl == 0 {
		t.attrs[id] = attrControl
	}
}

// setModelAttrs applies the per-model strip attributes the reference sets
// by tokenizer or model name.
func (t *Tokenizer) setModelAttrs(generalName string) {
	set := func(text string, a attr, on bool) {
		id, ok := t.ids[text]
		if !ok {
			return
		}
		if on {
			t.attrs[id] |= a
		} else {
			t.attrs[id] &^= a
		}
	}
	name := strings.ToLower(generalName)
	switch {
	case strings.Contains(t.pre, "jina-v2-de") || strings.Contains(t.pre, "jina-v2-es") || strings.Contains(t.pre, "jina-v2-code"):
		set("<mask>", attrLStrip, true)
	case strings.Contains(name, "phi-3") || strings.Contains(name, "phi3"):
		for _, id := range t.specials {
			t.attrs[id] |= attrRStrip
		}
		set("</s>", attrRStrip, true)
		for _, text := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			set(text, attrRStrip, false)
		}
	}
}

// buildByteTokens finds the token of each byte for SentencePiece byte
// fallback: <0xNN>, else the byte itself as a one-byte token.
func (t *Tokenizer) buildByteTokens() {
	for b := range 256 {
		t.byteTokens[b] = noToken
		if id, ok := t.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			t.byteTokens[b] = id
		} else if id, ok := t.ids[string([]byte{byte(b)})]; ok {
			t.byteTokens[b] = id
		}
	}
}
