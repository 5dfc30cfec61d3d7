package server

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"

	"zhi/engine"
)

// maxEmbeddingInputs is how many inputs one request may embed, as in
// OpenAI's API.
const maxEmbeddingInputs = 2048

// embeddingRequest is the body of POST /v1/embeddings.
type embeddingRequest struct {
	Model string          `json:"model"`
	Input embeddingInputs `json:"input"`
	// EncodingFormat is "float" (the default) or "base64": the float32
	// values little-endian, in base64, which OpenAI's Python SDK asks for.
	EncodingFormat string `json:"encoding_format"`
}

// parseEmbedding reads and checks an embeddings request.
func parseEmbedding(body []byte) (*embeddingRequest, *apiError) {
	var req embeddingRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	switch {
	case len(req.Input) == 0:
		return nil, badRequest("input", "input is missing")
	case len(req.Input) > maxEmbeddingInputs:
		return nil, badRequest("input", "input holds %d items: at most %d are allowed", len(req.Input), maxEmbeddingInputs)
	case req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64":
		return nil, badRequest("encoding_format", "encoding_format %q is not supported: use \"float\" or \"base64\"", req.EncodingFormat)
	}
	for i, in := range req.Input {
		if !in.isTokens && in.text == "" {
			return nil, badRequest("input", "input[%d] is an empty string", i)
		}
	}
	return &req, nil
}

// embedding is one item of the response; Embedding is a []float32 or a
// base64 string.
type embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type embeddingList struct {
	Object string      `json:"object"`
	Data   []embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// embeddings answers POST /v1/embeddings. The inputs run one after another,
// so a large batch takes one slot at a time and leaves the others to
// concurrent requests.
func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	body, e := readBody(w, r, s.opts.MaxBody)
	if e != nil {
		writeError(w, e)
		return
	}
	req, e := parseEmbedding(body)
	if e == nil {
		e = s.checkModel(req.Model)
	}
	if e != nil {
		writeError(w, e)
		return
	}
	list := embeddingList{Object: "list", Data: make([]embedding, len(req.Input)), Model: s.opts.ModelID}
	for i, in := range req.Input {
		job, e := s.submit(r.Context(), engine.Request{Prompt: s.tokens(in), Embed: true}, fmt.Sprintf("input[%d]", i))
		if e != nil {
			writeError(w, e)
			return
		}
		res, err := job.Wait()
		if err != nil {
			if r.Context().Err() == nil {
				writeError(w, internalError(err))
			}
			return
		}
		list.Data[i] = embedding{Object: "embedding", Index: i, Embedding: res.Embedding}
		if req.EncodingFormat == "base64" {
			list.Data[i].Embedding = encodeFloats(res.Embedding)
		}
		list.Usage.PromptTokens += res.PromptTokens
	}
	list.Usage.TotalTokens = list.Usage.PromptTokens
	writeJSON(w, http.StatusOK, list)
}

// encodeFloats is the base64 of the values as little-endian float32s.
func encodeFloats(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}
