// Package server answers HTTP requests for one model the way OpenAI's API
// does, so that its SDKs and the tools built on them work unchanged:
// chat and text completions (streamed as server-sent events or not),
// embeddings and the model list, plus llama.cpp's /tokenize and
// /detokenize, /health, and Prometheus metrics at /metrics.
//
// Requests run on an engine.Scheduler, which decodes the sequences of many
// clients together in one batch; a request whose client goes away stops
// generating, because the scheduler runs it under the request's context.
//
// Where OpenAI's API and local servers differ, the server chooses:
// sampling fields a request leaves out keep llama.cpp's defaults
// (temperature 0.8, top_k 40, top_p 0.95, min_p 0.05; top_k, min_p,
// repeat_penalty and repeat_last_n may be given too); without max_tokens a
// completion runs until an end-of-generation token or a full context;
// without a seed (or with -1) each request draws its own; n, best_of and
// batched prompts are limited to one; a prompt longer than the context is
// refused, never cut.
package server

import (
	"crypto/subtle"
	"fmt"
	"log"
	"net/http"
	"time"

	"zhi/chat"
	"zhi/engine"
)

// DefaultMaxBody is the largest request body accepted when Options leave
// it unset.
const DefaultMaxBody = 8 << 20

// Options configure New.
type Options struct {
	// ModelID is the name /v1/models lists; requests may name it or leave
	// "model" empty, and any other name is a 404.
	ModelID string
	// APIKey, when set, is required as "Authorization: Bearer APIKey" on
	// every route but /health and the web page.
	APIKey string
	// MaxBody is the largest request body in bytes, beyond which requests
	// get a 413; 0 means DefaultMaxBody.
	MaxBody int64
	// Log receives one line per handler panic; nil means the standard
	// logger.
	Log *log.Logger
}

// Server is the HTTP handler of the API. It runs requests on a scheduler it
// does not own: the caller closes the scheduler after shutting the HTTP
// server down.
type Server struct {
	engine *engine.Engine
	sched  *engine.Scheduler
	tmpl   *chat.Template
	// The chat template's stops: texts, and single tokens that are not
	// end-of-generation tokens.
	stopTexts  []string
	stopTokens []int32
	opts       Options
	started    time.Time
	mux        *http.ServeMux
	metrics    *httpMetrics
}

// New returns a Server for the model e runs through sched, with the chat
// template the model file names.
func New(e *engine.Engine, sched *engine.Scheduler, o Options) (*Server, error) {
	tmpl, err := chat.ForModel(e.File, e.Tokenizer, time.Now)
	if err != nil {
		return nil, fmt.Errorf("server: chat template: %w", err)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Log == nil {
		o.Log = log.Default()
	}
	s := &Server{
		engine:  e,
		sched:   sched,
		tmpl:    tmpl,
		opts:    o,
		started: time.Now(),
		mux:     http.NewServeMux(),
		metrics: newHTTPMetrics(),
	}
	s.stopTexts, s.stopTokens = tmpl.StopsFor(e.Tokenizer)
	s.routes()
	return s, nil
}

// routes registers every route. Patterns carry no method, so that a wrong
// method gets a 405 in the API's JSON shape rather than the mux's text.
func (s *Server) routes() {
	s.handle("POST", "/v1/chat/completions", s.chatCompletions)
	s.handle("POST", "/v1/completions", s.completions)
	s.handle("POST", "/v1/embeddings", s.embeddings)
	s.handle("GET", "/v1/models", s.listModels)
	s.handle("GET", "/v1/models/{model...}", s.getModel)
	s.handle("POST", "/tokenize", s.tokenize)
	s.handle("POST", "/detokenize", s.detokenize)
	s.handle("GET", "/metrics", s.serveMetrics)
	s.mux.Handle("/health", s.only("GET", http.HandlerFunc(s.health)))
	s.mux.Handle("/v1/", s.authorized(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, "not_found_error", "", "unknown_url",
			"unknown route %s %s", r.Method, r.URL.Path))
	})))
	s.mux.Handle("/", pageHandler())
}

// handle registers an API route: it needs the API key and takes one
// method.
func (s *Server) handle(method, path string, h http.HandlerFunc) {
	s.mux.Handle(path, s.authorized(s.only(method, h)))
}

// ServeHTTP answers one request and counts it in the metrics by route and
// status. A panic in a handler becomes a 500 in the API's JSON shape
// instead of a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		v := recover()
		if v == http.ErrAbortHandler {
			panic(v)
		}
		if v != nil {
			s.opts.Log.Printf("zhi: panic serving %s %s: %v", r.Method, r.URL.Path, v)
			if !rec.wroteHeader {
				writeError(rec, internalError(fmt.Errorf("%v", v)))
			}
		}
		// The mux sets the pattern it matched on r itself.
		s.metrics.add(r.Pattern, rec.status)
	}()
	s.mux.ServeHTTP(rec, r)
}

// only answers requests of one method (GET also takes HEAD) and refuses
// the others with a 405.
func (s *Server) only(method string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == "GET" && r.Method == "HEAD") {
			w.Header().Set("Allow", method)
			writeError(w, newError(http.StatusMethodNotAllowed, "invalid_request_error", "", "method_not_allowed",
				"%s %s is not allowed: use %s", r.Method, r.URL.Path, method))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorized refuses requests without the API key, when one is set. The
// comparison takes the same time whatever the key given.
func (s *Server) authorized(h http.Handler) http.Handler {
	if s.opts.APIKey == "" {
		return h
	}
	want := []byte("Bearer " + s.opts.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if got == "" {
			writeError(w, newError(http.StatusUnauthorized, "authentication_error", "", "missing_api_key",
				"no API key given: send the header \"Authorization: Bearer KEY\""))
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			writeError(w, newError(http.StatusUnauthorized, "authentication_error", "", "invalid_api_key",
				"the API key is not valid"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// checkModel accepts the served model's name or none.
func (s *Server) checkModel(name string) *apiError {
	if name == "" || name == s.opts.ModelID {
		return nil
	}
	return s.unknownModel(name)
}

// unknownModel is the 404 for a model name this server does not run.
func (s *Server) unknownModel(name string) *apiError {
	return newError(http.StatusNotFound, "not_found_error", "model", "model_not_found",
		"the model %q does not exist: this server runs %q", name, s.opts.ModelID)
}

// recorder remembers whether a response has begun, so that a panic after
// it is not answered twice, and its status, for the metrics.
type recorder struct {
	http.ResponseWriter
	wroteHeader bool
	status      int
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.wroteHeader, r.status = true, code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection, to flush
// streamed events.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
