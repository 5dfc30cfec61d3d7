package tokenizer

// Encode returns the token ids of text, as the reference's llama_tokenize
// gives them.
//
// With addSpecial, the tokens the vocabulary asks for are added: BOS first
// (add_bos_token; true by default for "llama" and "bert", and for "gpt2"
// with the Llama 3 pre-tokenizers), EOS last (add_eos_token); "bert" always
// adds its CLS (BOS) and SEP tokens.
//
// Texts of special tokens in the input become those tokens before anything
// else is tokenized. With parseSpecial that covers control, user-defined
// and unknown tokens; without it only user-defined ones, so that control
// tokens such as <s> or <|eot_id|> are never produced from plain text.
//
// A "llama" vocabulary with add_space_prefix (the default) puts a space in
// front of the input and of every run of text that follows a special token.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	var out []int32
	if addSpecial && t.addBOS {
		out = append(out, t.special.bos)
	}
	prevSpecial := true
	for _, fr := range t.partition(text, parseSpecial) {
		if fr.id != noToken {
			out = append(out, fr.id)
			prevSpecial = true
			continue
		}
		switch t.kind {
		case kindSPM:
			s := fr.text
			if t.addSpacePrefix && prevSpecial {
				s = " " + s
			}
			out = t.encodeSPM(out, s)
		case kindBPE:
			out = t.encodeBPE(out, fr.text)
		case kindWPM:
			out = t.encodeWPM(out, fr.text)
		}
		prevSpecial = false
	}
	if addSpecial && t.addEOS {
		out = append(out, t.special.eos)
	}
	if addSpecial && t.addSep {
		out = append(out, t.special.sep)
	}
	return out
}
