package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Raw HTTP against the server: what an SDK would never send.

func TestErrorResponses(t *testing.T) {
	s := sharedServer(t)
	chat := func(extra string) string {
		return `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2` + extra + `}`
	}
	cases := []struct {
		name, method, path, key, body string
		status                        int
		typ, param, code              string
	}{
		{"wrong method", "GET", "/v1/chat/completions", testKey, "", 405, "invalid_request_error", "", "method_not_allowed"},
		{"wrong method on models", "POST", "/v1/models", testKey, "{}", 405, "invalid_request_error", "", "method_not_allowed"},
		{"unknown route", "GET", "/v1/assistants", testKey, "", 404, "not_found_error", "", "unknown_url"},
		{"no key", "POST", "/v1/chat/completions", "", chat(""), 401, "authentication_error", "", "missing_api_key"},
		{"wrong key", "POST", "/v1/chat/completions", "sk-other", chat(""), 401, "authentication_error", "", "invalid_api_key"},
		{"no key for models", "GET", "/v1/models", "", "", 401, "authentication_error", "", "missing_api_key"},
		{"no key for tokenize", "POST", "/tokenize", "", `{"content":"a"}`, 401, "authentication_error", "", "missing_api_key"},
		{"no key for metrics", "GET", "/metrics", "", "", 401, "authentication_error", "", "missing_api_key"},
		{"empty body", "POST", "/v1/chat/completions", testKey, "", 400, "invalid_request_error", "", ""},
		{"malformed JSON", "POST", "/v1/chat/completions", testKey, `{"messages":[`, 400, "invalid_request_error", "", ""},
		{"not an object", "POST", "/v1/completions", testKey, `["a"]`, 400, "invalid_request_error", "", ""},
		{"wrong type", "POST", "/v1/chat/completions", testKey, `{"messages":"hi"}`, 400, "invalid_request_error", "messages", ""},
		{"no messages", "POST", "/v1/chat/completions", testKey, `{"messages":[]}`, 400, "invalid_request_error", "messages", ""},
		{"image part", "POST", "/v1/chat/completions", testKey, `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "invalid_request_error", "content[0]", ""},
		{"no role", "POST", "/v1/chat/completions", testKey, `{"messages":[{"content":"hi"}]}`, 400, "invalid_request_error", "messages", ""},
		{"unknown model", "POST", "/v1/chat/completions", testKey, chat(`,"model":"gpt-4o"`), 404, "not_found_error", "model", "model_not_found"},
		{"n", "POST", "/v1/chat/completions", testKey, chat(`,"n":3`), 400, "invalid_request_error", "n", ""},
		{"five stops", "POST", "/v1/chat/completions", testKey, chat(`,"stop":["a","b","c","d","e"]`), 400, "invalid_request_error", "stop", ""},
		{"stop not text", "POST", "/v1/chat/completions", testKey, chat(`,"stop":7`), 400, "invalid_request_error", "stop", ""},
		{"zero max_tokens", "POST", "/v1/chat/completions", testKey, chat(`,"max_completion_tokens":0`), 400, "invalid_request_error", "max_completion_tokens", ""},
		{"negative temperature", "POST", "/v1/chat/completions", testKey, chat(`,"temperature":-0.5`), 400, "invalid_request_error", "temperature", ""},
		{"top_p over 1", "POST", "/v1/chat/completions", testKey, chat(`,"top_p":1.5`), 400, "invalid_request_error", "top_p", ""},
		{"presence_penalty", "POST", "/v1/chat/completions", testKey, chat(`,"presence_penalty":3`), 400, "invalid_request_error", "presence_penalty", ""},
		{"top_logprobs alone", "POST", "/v1/chat/completions", testKey, chat(`,"top_logprobs":2`), 400, "invalid_request_error", "top_logprobs", ""},
		{"too many top_logprobs", "POST", "/v1/chat/completions", testKey, chat(`,"logprobs":true,"top_logprobs":21`), 400, "invalid_request_error", "top_logprobs", ""},
		{"stream_options alone", "POST", "/v1/chat/completions", testKey, chat(`,"stream_options":{"include_usage":true}`), 400, "invalid_request_error", "stream_options", ""},
		{"tools", "POST", "/v1/chat/completions", testKey, chat(`,"tools":[{"type":"function","function":{"name":"f"}}]`), 400, "invalid_request_error", "tools", ""},
		{"json mode", "POST", "/v1/chat/completions", testKey, chat(`,"response_format":{"type":"json_object"}`), 400, "invalid_request_error", "response_format", ""},
		{"no prompt", "POST", "/v1/completions", testKey, `{"max_tokens":2}`, 400, "invalid_request_error", "prompt", ""},
		{"two prompts", "POST", "/v1/completions", testKey, `{"prompt":["a","b"]}`, 400, "invalid_request_error", "prompt", ""},
		{"empty token prompt", "POST", "/v1/completions", testKey, `{"prompt":[]}`, 400, "invalid_request_error", "prompt", ""},
		{"token outside vocabulary", "POST", "/v1/completions", testKey, `{"prompt":[128000,999999]}`, 400, "invalid_request_error", "prompt", ""},
		{"prompt over the context", "POST", "/v1/completions", testKey, `{"prompt":[` + strings.Repeat("791,", 256) + `791]}`, 400, "invalid_request_error", "prompt", "context_length_exceeded"},
		{"echo", "POST", "/v1/completions", testKey, `{"prompt":"a","echo":true}`, 400, "invalid_request_error", "echo", ""},
		{"legacy logprobs over 20", "POST", "/v1/completions", testKey, `{"prompt":"a","logprobs":50}`, 400, "invalid_request_error", "logprobs", ""},
		{"no input", "POST", "/v1/embeddings", testKey, `{"model":"tiny"}`, 400, "invalid_request_error", "input", ""},
		{"empty input", "POST", "/v1/embeddings", testKey, `{"input":["a",""]}`, 400, "invalid_request_error", "input", ""},
		{"encoding", "POST", "/v1/embeddings", testKey, `{"input":"a","encoding_format":"hex"}`, 400, "invalid_request_error", "encoding_format", ""},
		{"embedding over the context", "POST", "/v1/embeddings", testKey, `{"input":["a",[` + strings.Repeat("791,", 256) + `791]]}`, 400, "invalid_request_error", "input[1]", "context_length_exceeded"},
		{"detokenize outside vocabulary", "POST", "/detokenize", testKey, `{"tokens":[1,-5]}`, 400, "invalid_request_error", "tokens", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, h := s.call(t, c.method, c.path, c.key, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			_, typ, param, code := errorOf(t, body)
			if typ != c.typ || deref(param) != c.param || deref(code) != c.code {
				t.Errorf("type %q param %q code %q, want %q %q %q: %s", typ, deref(param), deref(code), c.typ, c.param, c.code, body)
			}
			switch status {
			case http.StatusMethodNotAllowed:
				if h.Get("Allow") == "" {
					t.Error("a 405 without Allow")
				}
			case http.StatusUnauthorized:
				if h.Get("WWW-Authenticate") == "" {
					t.Error("a 401 without WWW-Authenticate")
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestOpenRoutes(t *testing.T) {
	s := sharedServer(t)
	status, body, _ := s.call(t, "GET", "/health", "", nil)
	if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("GET /health without a key: %d %s", status, body)
	}
	status, _, h := s.call(t, "GET", "/", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("GET / without a key: %d %s", status, h.Get("Content-Type"))
	}
}

func TestBodyTooLarge(t *testing.T) {
	s := sharedServer(t)
	big := `{"prompt":"` + strings.Repeat("a", 9<<20) + `"}`
	// With a Content-Length the server refuses at once; chunked, once the
	// limit is read.
	for _, body := range []any{big, io.MultiReader(strings.NewReader(big))} {
		status, resp, _ := s.call(t, "POST", "/v1/completions", testKey, body)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413: %.200s", status, resp)
		}
		if _, _, _, code := errorOf(t, resp); deref(code) != "request_too_large" {
			t.Errorf("code %q", deref(code))
		}
	}
}

func TestUnknownFieldsAndContentParts(t *testing.T) {
	s := sharedServer(t)
	body := `{"model":"","messages":[{"role":"developer","content":"Be brief."},
		{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}],"name":"ann"}],
		"max_tokens":3,"stop":"\n\n","logit_bias":{"1":2},"user":"u1","metadata":{"a":"b"},"top_k":5,"min_p":0.1,"repeat_penalty":1.1,"seed":-1}`
	status, resp, _ := s.call(t, "POST", "/v1/chat/completions", testKey, body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, resp)
	}
	var got struct {
		Choices []struct {
			Message struct{ Role, Content string }
		}
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal(resp, &got); err != nil || len(got.Choices) != 1 || got.Usage.CompletionTokens == 0 {
		t.Fatalf("response %s: %v", resp, err)
	}
}

func TestStreamRaw(t *testing.T) {
	s := sharedServer(t)
	req, _ := http.NewRequest("POST", s.url+"/v1/chat/completions", strings.NewReader(
		`{"messages":[{"role":"user","content":"hi"}],"max_tokens":4,"stream":true,"seed":5,"logprobs":true}`))
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
	}
	events := sseEvents(t, resp.Body)
	if len(events) < 3 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("events %q: want chunks then [DONE]", events)
	}
	entries := 0
	for i, ev := range events[:len(events)-1] {
		var c struct {
			ID, Object string
			Choices    []struct {
				Delta        map[string]any
				Logprobs     *struct{ Content []any }
				FinishReason *string `json:"finish_reason"`
			}
			Usage any
		}
		if err := json.Unmarshal([]byte(ev), &c); err != nil || c.Object != "chat.completion.chunk" || len(c.Choices) != 1 || c.Usage != nil {
			t.Fatalf("event %d %s: %v", i, ev, err)
		}
		last := i == len(events)-2
		if (c.Choices[0].FinishReason != nil) != last {
			t.Errorf("event %d %s: finish_reason must be in the last chunk only", i, ev)
		}
		if last && len(c.Choices[0].Delta) != 0 {
			t.Errorf("last chunk %s: want an empty delta", ev)
		}
		if lp := c.Choices[0].Logprobs; lp != nil {
			entries += len(lp.Content)
		}
	}
	if entries != 4 {
		t.Errorf("%d logprob entries in the stream, want one per token (4)", entries)
	}
}

func TestTokenizeRoundTrip(t *testing.T) {
	s := sharedServer(t)
	text := "Hello wörld <|eot_id|>"
	status, body, _ := s.call(t, "POST", "/tokenize", testKey, `{"content":"`+text+`","add_special":true}`)
	var tok struct{ Tokens []int32 }
	if err := json.Unmarshal(body, &tok); status != http.StatusOK || err != nil {
		t.Fatalf("tokenize: %d %s", status, body)
	}
	if len(tok.Tokens) < 4 || tok.Tokens[0] != 128000 || tok.Tokens[len(tok.Tokens)-1] != 128009 {
		t.Fatalf("tokens %v: want BOS first and <|eot_id|> as one token last", tok.Tokens)
	}
	ids, _ := json.Marshal(map[string]any{"tokens": tok.Tokens[1:]})
	status, body, _ = s.call(t, "POST", "/detokenize", testKey, ids)
	var detok struct{ Content string }
	if err := json.Unmarshal(body, &detok); status != http.StatusOK || err != nil || detok.Content != text {
		t.Fatalf("detokenize: %d %s, want %q", status, body, text)
	}

	status, body, _ = s.call(t, "POST", "/tokenize", testKey, `{"content":"`+text+`","with_pieces":true,"parse_special":false}`)
	var pieces struct {
		Tokens []struct {
			ID    int32
			Piece json.RawMessage
		}
	}
	if err := json.Unmarshal(body, &pieces); status != http.StatusOK || err != nil {
		t.Fatalf("tokenize with pieces: %d %s", status, body)
	}
	var joined bytes.Buffer
	for _, p := range pieces.Tokens {
		var s string
		if err := json.Unmarshal(p.Piece, &s); err != nil {
			var b []byte
			var ints []int
			if json.Unmarshal(p.Piece, &ints) != nil {
				t.Fatalf("piece %s is neither a string nor bytes", p.Piece)
			}
			for _, v := range ints {
				b = append(b, byte(v))
			}
			s = string(b)
		}
		joined.WriteString(s)
		if p.ID == 128009 {
			t.Error("parse_special false still made <|eot_id|> one token")
		}
	}
	if joined.String() != text {
		t.Errorf("pieces spell %q, want %q", joined.String(), text)
	}
}

func TestMetrics(t *testing.T) {
	s := sharedServer(t)
	status, body, _ := s.call(t, "POST", "/v1/completions", testKey, `{"prompt":"metrics","max_tokens":3,"temperature":0}`)
	if status != http.StatusOK {
		t.Fatalf("completion: %d %s", status, body)
	}
	m := s.metrics(t, testKey)
	for _, series := range []string{"zhi_requests_total", "zhi_prompt_tokens_total", "zhi_generated_tokens_total",
		"zhi_busy_seconds_total", "zhi_tokens_per_second", `zhi_http_requests_total{route="/v1/completions",code="200"}`} {
		if m[series] <= 0 {
			t.Errorf("%s is %v, want > 0", series, m[series])
		}
	}
	if m["zhi_slots"] != 4 {
		t.Errorf("zhi_slots %v, want 4", m["zhi_slots"])
	}
	for _, series := range []string{"zhi_queue_length", "zhi_active_slots"} {
		if _, ok := m[series]; !ok {
			t.Errorf("%s missing", series)
		}
	}
}
