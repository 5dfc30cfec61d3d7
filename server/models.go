package server

import "net/http"

// modelInfo is OpenAI's model object.
type modelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (s *Server) modelInfo() modelInfo {
	return modelInfo{ID: s.opts.ModelID, Object: "model", Created: s.started.Unix(), OwnedBy: "zhi"}
}

// listModels answers GET /v1/models: the one model served.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Object string      `json:"object"`
		Data   []modelInfo `json:"data"`
	}{"list", []modelInfo{s.modelInfo()}})
}

// getModel answers GET /v1/models/{model}.
func (s *Server) getModel(w http.ResponseWriter, r *http.Request) {
	if name := r.PathValue("model"); name != s.opts.ModelID {
		writeError(w, s.unknownModel(name))
		return
	}
	writeJSON(w, http.StatusOK, s.modelInfo())
}

// health answers GET /health; it needs no API key, for load balancers.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
	}{"ok"})
}
