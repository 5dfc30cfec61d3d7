package server

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"zhi/chat"
	"zhi/sample"
)

func TestParseChat(t *testing.T) {
	g, msgs, e := parseChat([]byte(`{"messages":[
		{"role":"developer","content":"Be brief."},
		{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"text","text":", you"}]},
		{"role":"assistant","content":null}],
		"max_tokens":9,"max_completion_tokens":5,"stop":["a","","b"],"seed":42,"temperature":0.2,
		"top_k":7,"logprobs":true,"top_logprobs":3,"stream":true,"stream_options":{"include_usage":true}}`))
	if e != nil {
		t.Fatal(e)
	}
	wantMsgs := []chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hello, you"}, {Role: "assistant"}}
	if !slices.Equal(msgs, wantMsgs) {
		t.Errorf("messages %q, want %q", msgs, wantMsgs)
	}
	want := sample.Defaults(42)
	want.Temperature, want.TopK = 0.2, 7
	j := g.job
	if j.Sampling != want || j.MaxTokens != 5 || !slices.Equal(j.Stop, []string{"a", "b"}) || j.TopLogprobs != 3 {
		t.Errorf("request %+v: want sampling %+v, 5 tokens, stops a and b, 3 top logprobs", j, want)
	}
	if !g.stream || !g.includeUsage || !g.logprobs {
		t.Errorf("stream %v, include_usage %v, logprobs %v: want all set", g.stream, g.includeUsage, g.logprobs)
	}

	// Without a seed, or with -1, each request draws its own.
	a, _, _ := parseChat([]byte(`{"messages":[{"role":"user","content":"x"}]}`))
	b, _, _ := parseChat([]byte(`{"messages":[{"role":"user","content":"x"}],"seed":-1}`))
	if a.job.Sampling.Seed == b.job.Sampling.Seed {
		t.Error("two requests without a seed drew the same one")
	}
}

func TestParseInputs(t *testing.T) {
	cases := []struct {
		body string
		want inputs
	}{
		{`"hi"`, inputs{{text: "hi"}}},
		{`["hi","yo"]`, inputs{{text: "hi"}, {text: "yo"}}},
		{`[1,2,3]`, inputs{{tokens: []int32{1, 2, 3}, isTokens: true}}},
		{`[[1],"x",[2,3]]`, inputs{{tokens: []int32{1}, isTokens: true}, {text: "x"}, {tokens: []int32{2, 3}, isTokens: true}}},
	}
	for _, c := range cases {
		req, e := parseEmbedding([]byte(`{"input":` + c.body + `}`))
		if e != nil {
			t.Errorf("%s: %v", c.body, e)
			continue
		}
		if !slices.EqualFunc(inputs(req.Input), c.want, func(a, b input) bool {
			return a.text == b.text && a.isTokens == b.isTokens && slices.Equal(a.tokens, b.tokens)
		}) {
			t.Errorf("%s: got %+v, want %+v", c.body, req.Input, c.want)
		}
	}
	for _, bad := range []string{`[1,"x"]`, `[true]`, `{}`, `[[1.5]]`, `[4294967296]`} {
		if _, e := parseEmbedding([]byte(`{"input":` + bad + `}`)); e == nil || e.status != http.StatusBadRequest {
			t.Errorf("%s: got %v, want a 400", bad, e)
		}
	}
	g, prompt, e := parseCompletion([]byte(`{"prompt":["only one"],"logprobs":0}`))
	if e != nil || prompt.text != "only one" || !g.logprobs || g.job.TopLogprobs != 0 {
		t.Errorf("completion: %+v %+v %v", g, prompt, e)
	}
}

func TestPanicBecomesError(t *testing.T) {
	s := &Server{mux: http.NewServeMux(), metrics: newHTTPMetrics(), opts: Options{Log: log.New(io.Discard, "", 0)}}
	s.mux.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if _, typ, _, _ := errorOf(t, rec.Body.Bytes()); typ != "server_error" {
		t.Errorf("type %q, want server_error", typ)
	}
	var metrics strings.Builder
	s.metrics.write(&metrics)
	if !strings.Contains(metrics.String(), `zhi_http_requests_total{route="/boom",code="500"} 1`) {
		t.Errorf("the panic is not counted as a 500:\n%s", metrics.String())
	}
}

// checkParsed is what every parser guarantees: a 400 or 413 that names the
// problem, or a request the scheduler accepts.
func checkParsed(t *testing.T, g *generation, e *apiError) {
	t.Helper()
	if e != nil {
		if e.status != http.StatusBadRequest || e.Message == "" || e.Type != "invalid_request_error" {
			t.Fatalf("error %+v", e)
		}
		if _, err := marshal(errorBody{e}); err != nil {
			t.Fatal(err)
		}
		return
	}
	j := g.job
	if err := j.Sampling.Validate(); err != nil || j.MaxTokens < 0 || len(j.Stop) > maxStops || j.TopLogprobs < 0 || j.TopLogprobs > maxTopLogprobs {
		t.Fatalf("accepted %+v: %v", j, err)
	}
}

var fuzzSeeds = []string{
	``, `{}`, `[]`, `null`, `{"messages":5}`, `{"prompt":[[1,2],[3]]}`,
	`{"messages":[{"role":"user","content":"hi"}],"stop":"x","max_tokens":3,"seed":7,"logprobs":true,"top_logprobs":2}`,
	`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]}]}`,
	`{"prompt":"hello","logprobs":3,"stream":true,"stream_options":{"include_usage":true},"temperature":1e39}`,
	`{"prompt":[1,2,3],"n":2,"top_p":-1,"presence_penalty":2.5,"repeat_last_n":-2}`,
	`{"input":["a",[1,2]],"encoding_format":"base64"}`,
	`{"content":"Hello <|eot_id|>","add_special":true,"with_pieces":true}`,
	`{"tokens":[1,2,-3]}`,
}

func FuzzParseChat(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		g, msgs, e := parseChat([]byte(body))
		checkParsed(t, g, e)
		if e == nil && len(msgs) == 0 {
			t.Fatal("accepted without messages")
		}
	})
}

func FuzzParseCompletion(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		g, prompt, e := parseCompletion([]byte(body))
		checkParsed(t, g, e)
		if e == nil && !prompt.isTokens && prompt.tokens != nil {
			t.Fatal("a text prompt with tokens")
		}
	})
}

func FuzzParseEmbedding(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, e := parseEmbedding([]byte(body))
		checkParsed(t, &generation{}, e)
		if e == nil && (len(req.Input) == 0 || len(req.Input) > maxEmbeddingInputs) {
			t.Fatalf("accepted %d inputs", len(req.Input))
		}
	})
}

func FuzzParseTokenize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, e := parseTokenize([]byte(body))
		checkParsed(t, &generation{}, e)
		_, e = parseDetokenize([]byte(body))
		checkParsed(t, &generation{}, e)
	})
}
