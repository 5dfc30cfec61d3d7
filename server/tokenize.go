package server

import (
	"net/http"
	"unicode/utf8"
)

// tokenizeRequest is the body of POST /tokenize, as llama.cpp's server
// takes it.
type tokenizeRequest struct {
	Content    string `json:"content"`
	AddSpecial bool   `json:"add_special"`
	// ParseSpecial turns special-token text such as <|eot_id|> into its
	// token; absent means true.
	ParseSpecial *bool `json:"parse_special"`
	WithPieces   bool  `json:"with_pieces"`
}

func parseTokenize(body []byte) (*tokenizeRequest, *apiError) {
	var req tokenizeRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	return &req, nil
}

// tokenPiece is a token with its text: a string when it is valid UTF-8,
// else its bytes as numbers.
type tokenPiece struct {
	ID    int32 `json:"id"`
	Piece any   `json:"piece"`
}

// tokenize answers POST /tokenize with {"tokens":[ids]}, or with
// [{"id","piece"}] when with_pieces is set.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	body, e := readBody(w, r, s.opts.MaxBody)
	if e != nil {
		writeError(w, e)
		return
	}
	req, e := parseTokenize(body)
	if e != nil {
		writeError(w, e)
		return
	}
	tok := s.engine.Tokenizer
	ids := tok.Encode(req.Content, req.AddSpecial, req.ParseSpecial == nil || *req.ParseSpecial)
	if !req.WithPieces {
		writeJSON(w, http.StatusOK, struct {
			Tokens []int32 `json:"tokens"`
		}{ids})
		return
	}
	pieces := make([]tokenPiece, len(ids))
	for i, id := range ids {
		p := tok.Piece(id)
		pieces[i] = tokenPiece{ID: id, Piece: byteValues(p)}
		if utf8.Valid(p) {
			pieces[i].Piece = string(p)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Tokens []tokenPiece `json:"tokens"`
	}{pieces})
}

// detokenizeRequest is the body of POST /detokenize.
type detokenizeRequest struct {
	Tokens []int32 `json:"tokens"`
}

func parseDetokenize(body []byte) (*detokenizeRequest, *apiError) {
	var req detokenizeRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	return &req, nil
}

// detokenize answers POST /detokenize with {"content": text}.
func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) {
	body, e := readBody(w, r, s.opts.MaxBody)
	if e != nil {
		writeError(w, e)
		return
	}
	req, e := parseDetokenize(body)
	if e != nil {
		writeError(w, e)
		return
	}
	tok := s.engine.Tokenizer
	for i, id := range req.Tokens {
		if id < 0 || int(id) >= tok.VocabSize() {
			writeError(w, badRequest("tokens", "tokens[%d] is %d, outside the vocabulary (0..%d)", i, id, tok.VocabSize()-1))
			return
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Content string `json:"content"`
	}{tok.Decode(req.Tokens)})
}
