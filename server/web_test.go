package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func TestPageHandler(t *testing.T) {
	h := pageHandler()
	for _, tc := range []struct {
		method, path string
		status       int
		ctype        string
		body         string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", `<script src="app.js"`},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", `id="messages"`},
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8", "function renderMarkdown"},
		{"GET", "/style.css", 200, "text/css; charset=utf-8", "prefers-color-scheme"},
		{"GET", "/icon.svg", 200, "image/svg+xml", "<svg"},
		{"HEAD", "/app.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/web/app.js", 404, "", ""},
		{"GET", "/missing.js", 404, "", ""},
		{"POST", "/", 405, "", ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.path, got, tc.ctype)
		}
		if !strings.Contains(string(body), tc.body) || (tc.method == "HEAD") != (len(body) == 0) {
			t.Errorf("%s %s: body of %d bytes lacks %q", tc.method, tc.path, len(body), tc.body)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "http") {
			t.Errorf("%s %s: Content-Security-Policy %q does not confine the page to its origin", tc.method, tc.path, csp)
		}
		if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") == "" {
			t.Errorf("%s %s: Cache-Control %q, ETag %q", tc.method, tc.path, res.Header.Get("Cache-Control"), res.Header.Get("ETag"))
		}
	}

	// A browser revalidating an unchanged asset gets an empty 304.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app.js", nil))
	req := httptest.NewRequest("GET", "/app.js", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("revalidation: status %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
	}
}

// TestPageAssetsStayLocal checks the assets for references to other origins,
// which the CSP would block and which an offline machine cannot reach.
func TestPageAssetsStayLocal(t *testing.T) {
	assets, err := loadPageAssets(webFiles)
	if err != nil {
		t.Fatal(err)
	}
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import|fetch\(\s*["'\x60](https?:)?//`)
	for name, a := range assets {
		if loc := external.FindIndex(a.body); loc != nil {
			t.Errorf("%s refers to another origin: %q", name, a.body[loc[0]:min(loc[1]+40, len(a.body))])
		}
	}
}

// browserPage is the chat page open in a headless Chromium, with what the
// page logged and requested so far.
type browserPage struct {
	ctx    context.Context
	origin string

	mu       sync.Mutex
	errors   []string // console errors, uncaught exceptions, error log entries
	requests []string // URLs of every request the page made
}

const (
	chromiumPath       = "/usr/bin/chromium"
	browserStepTimeout = 5 * time.Second
)

// requireChromium skips the test when Chromium is not installed, unless
// ZHI_REQUIRE_BROWSER=1.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("ZHI_REQUIRE_BROWSER") == "1" {
			t.Fatalf("ZHI_REQUIRE_BROWSER=1 but Chromium is missing: %v", err)
		}
		t.Skipf("Chromium not installed: %v", err)
	}
}

// startPage serves handler on a local test server and opens its page in
// Chromium, skipping the test as requireChromium does.
func startPage(t *testing.T, handler http.Handler) *browserPage {
	t.Helper()
	requireChromium(t)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return openPage(t, srv.URL)
}

// openPage starts Chromium and opens origin's "/" in it; the caller has
// checked that Chromium is installed.
func openPage(t *testing.T, origin string) *browserPage {
	t.Helper()
	// Chromium's helpers may still write to the profile briefly after the
	// browser exits, so its removal retries instead of using t.TempDir.
	profile, err := os.MkdirTemp("", "zhi-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 860),
	)
	t.Cleanup(cancelAlloc)
	p := &browserPage{origin: origin}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(p.record))
	t.Cleanup(cancel)
	p.ctx = ctx

	// The first action starts the browser, which lives as long as its context,
	// so that context cannot carry a deadline: a timer cancels it instead.
	watchdog := time.AfterFunc(20*time.Second, cancel)
	err = chromedp.Do(ctx, chromedp.Navigate(origin+"/"))
	watchdog.Stop()
	if err != nil {
		t.Fatalf("open the page in Chromium: %v", err)
	}
	p.do(t, chromedp.WaitVisible(chromedp.ID("prompt")))
	return p
}

// record keeps the events the test checks. It runs on chromedp's reading
// goroutine, so it only appends under the lock.
func (p *browserPage) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p.errors = append(p.errors, "console: "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		p.errors = append(p.errors, "exception: "+text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			p.errors = append(p.errors, fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, ev.Request.URL)
	}
}

// do runs the actions with a deadline and fails the test on an error.
func (p *browserPage) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](t *testing.T, p *browserPage, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript expression is truthy, and shows the
// conversation when it never becomes so.
func (p *browserPage) waitFor(t *testing.T, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(browserStepTimeout))); err != nil {
		state, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerHTML`))
		t.Fatalf("waiting for %s: %v\npage: %s", expr, err, state)
	}
}

// text returns the text of the first element the CSS selector matches.
func (p *browserPage) text(t *testing.T, selector string) string {
	t.Helper()
	return evalJS[string](t, p, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, selector))
}

// sendPrompt types a message and sends it with the Send button.
func (p *browserPage) sendPrompt(t *testing.T, text string) {
	t.Helper()
	p.do(t,
		chromedp.SendKeys(chromedp.ID("prompt"), text),
		chromedp.Click(chromedp.ID("send")),
	)
}

// checkClean fails the test when the page logged errors other than the
// allowed ones, or asked another origin for anything. It forgets the errors
// it checked, so that the next check sees only new ones.
func (p *browserPage) checkClean(t *testing.T, allowed ...string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() { p.errors = nil }()
next:
	for _, e := range p.errors {
		for _, a := range allowed {
			if strings.Contains(e, a) {
				continue next
			}
		}
		t.Errorf("page error: %s", e)
	}
	if len(p.requests) == 0 {
		t.Error("no requests recorded: the network recorder is broken")
	}
	for _, u := range p.requests {
		if !strings.HasPrefix(u, p.origin+"/") {
			t.Errorf("request to another origin: %s", u)
		}
	}
}

// waitLogged waits until the page logged an error containing text. Chromium
// logs each failed response itself, so seeing that entry also shows the
// recorder works and that checkClean will not miss it.
func (p *browserPage) waitLogged(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	for !p.logged(text) {
		if time.Now().After(deadline) {
			t.Fatalf("Chromium's log of %q never arrived: the console recorder is broken", text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logged reports whether the page logged an error containing text.
func (p *browserPage) logged(text string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		if strings.Contains(e, text) {
			return true
		}
	}
	return false
}

// fakeToken is one generated token of the fake API and its alternatives.
type fakeToken struct {
	text string
	prob float64
	alts []string // other candidates, sharing what prob leaves
}

// fakeAnswer is "Hello **world**!" and a one-item list, token by token.
var fakeAnswer = []fakeToken{
	{text: "Hello", prob: 0.62, alts: []string{"Hi", "Hey"}},
	{text: " **", prob: 0.55, alts: []string{",", "!"}},
	{text: "world", prob: 0.971, alts: []string{"there", "you", "everyone", "friend"}},
	{text: "**", prob: 0.99},
	{text: "!", prob: 0.8, alts: []string{"."}},
	{text: "\n\n", prob: 0.7},
	{text: "-", prob: 0.9},
	{text: " one", prob: 0.45, alts: []string{" two", " first"}},
}

// fakeChatAPI imitates the OpenAI-compatible API closely enough for the page:
// the last user message "fail" gets an error, "slow" a stream that never
// ends, anything else fakeAnswer.
type fakeChatAPI struct {
	mu       sync.Mutex
	requests []recordedChat
	aborted  chan struct{}
}

type recordedChat struct {
	auth string
	body chatBodyForTest
}

type chatBodyForTest struct {
	Model         string                           `json:"model"`
	Messages      []struct{ Role, Content string } `json:"messages"`
	Stream        bool                             `json:"stream"`
	Logprobs      bool                             `json:"logprobs"`
	TopLogprobs   int                              `json:"top_logprobs"`
	Temperature   *float64                         `json:"temperature"`
	TopP          *float64                         `json:"top_p"`
	MaxTokens     *int                             `json:"max_tokens"`
	Seed          *int64                           `json:"seed"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (f *fakeChatAPI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", pageHandler())
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"id":"tiny-test","object":"model","owned_by":"zhi"}]}`)
	})
	mux.HandleFunc("POST /v1/chat/completions", f.chat)
	return mux
}

func (f *fakeChatAPI) lastRequest(t *testing.T) recordedChat {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the page sent no chat request")
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeChatAPI) chat(w http.ResponseWriter, r *http.Request) {
	var body chatBodyForTest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, recordedChat{auth: r.Header.Get("Authorization"), body: body})
	f.mu.Unlock()

	switch body.Messages[len(body.Messages)-1].Content {
	case "fail":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"message":"the model is on fire","type":"invalid_request_error"}}`)
		return
	case "slow":
		writeFakeStream(w, []fakeToken{{text: "Thinking", prob: 1}})
		select {
		case <-r.Context().Done():
			close(f.aborted)
		case <-time.After(2 * browserStepTimeout):
		}
		return
	}
	writeFakeStream(w, fakeAnswer)
	writeFakeChunk(w, map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"}}})
	writeFakeChunk(w, map[string]any{"choices": []any{}, "usage": map[string]int{
		"prompt_tokens": 7, "completion_tokens": len(fakeAnswer), "total_tokens": 7 + len(fakeAnswer)}})
	io.WriteString(w, "data: [DONE]\n\n")
}

// writeFakeStream writes one chat.completion.chunk per token, with its
// logprob and top alternatives, pausing a little so the page streams.
func writeFakeStream(w http.ResponseWriter, tokens []fakeToken) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	for _, tok := range tokens {
		top := []map[string]any{logprobEntry(tok.text, tok.prob)}
		for _, alt := range tok.alts {
			top = append(top, logprobEntry(alt, (1-tok.prob)/float64(len(tok.alts))))
		}
		entry := logprobEntry(tok.text, tok.prob)
		entry["top_logprobs"] = top
		writeFakeChunk(w, map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": "tiny-test",
			"choices": []any{map[string]any{
				"index":         0,
				"delta":         map[string]any{"content": tok.text},
				"logprobs":      map[string]any{"content": []any{entry}},
				"finish_reason": nil,
			}},
		})
		time.Sleep(15 * time.Millisecond)
	}
}

func logprobEntry(token string, prob float64) map[string]any {
	return map[string]any{"token": token, "logprob": math.Log(prob), "bytes": []byte(token)}
}

func writeFakeChunk(w http.ResponseWriter, chunk map[string]any) {
	b, _ := json.Marshal(chunk)
	fmt.Fprintf(w, "data: %s\n\n", b)
	http.NewResponseController(w).Flush()
}

func TestWebPageInBrowser(t *testing.T) {
	api := &fakeChatAPI{aborted: make(chan struct{})}
	p := startPage(t, api.handler())
	p.waitFor(t, `document.querySelector("#model").value === "tiny-test"`)

	t.Run("markdown", func(t *testing.T) {
		for _, tc := range []struct{ in, want string }{
			{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
			{`"q" & 'a'`, "<p>&quot;q&quot; &amp; &#39;a&#39;</p>"},
			{"# Title #\n### Sub", "<h1>Title</h1><h3>Sub</h3>"},
			{"**b**, *i*, `c*d*` and snake_case_name", "<p><strong>b</strong>, <em>i</em>, <code>c*d*</code> and snake_case_name</p>"},
			{"a\nb\n\nc", "<p>a<br>b</p><p>c</p>"},
			{"```go\nx := <y>\n```\nafter", `<pre><code class="language-go">x := &lt;y&gt;</code></pre><p>after</p>`},
			{"```\nstill streaming", "<pre><code>still streaming</code></pre>"},
			{"- a\n- b\n  - c\n3. d", `<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ol start="3"><li>d</li></ol>`},
			{"[docs](https://example.com/a_b_c)", `<p><a href="https://example.com/a_b_c" target="_blank" rel="noopener noreferrer">docs</a></p>`},
			{"[x](javascript:alert(1)) [y](data:text/html,hi)", "<p>[x](javascript:alert(1)) [y](data:text/html,hi)</p>"},
			{`[x](https://a.b/"onclick="alert(1))`, `<p><a href="https://a.b/&quot;onclick=&quot;alert(1" target="_blank" rel="noopener noreferrer">x</a>)</p>`},
			{"> quoted *text*", "<blockquote><p>quoted <em>text</em></p></blockquote>"},
			{"| a | b |\n|---|:-:|\n| 1 | **2** |", "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td><strong>2</strong></td></tr></tbody></table>"},
			{"---", "<hr>"},
		} {
			in, _ := json.Marshal(tc.in)
			if got := evalJS[string](t, p, "renderMarkdown("+string(in)+")"); got != tc.want {
				t.Errorf("renderMarkdown(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		}
		// The answer is rendered again on every frame while it streams, so
		// unbalanced markup must not make rendering quadratic.
		ms := evalJS[float64](t, p, `(() => {
			const start = performance.now();
			renderMarkdown("**a ".repeat(20000) + "\n" + "[".repeat(40000) + "\n# a" + " ".repeat(40000) + "b");
			return performance.now() - start;
		})()`)
		if ms > 1000 {
			t.Errorf("rendering 200 kB of unbalanced markup took %.0f ms", ms)
		}
	})

	t.Run("chat", func(t *testing.T) {
		p.do(t,
			chromedp.SendKeys(chromedp.ID("system"), "Be brief."),
			chromedp.SetValue(chromedp.ID("temperature"), "0.3"),
			chromedp.SetValue(chromedp.ID("top-p"), "0.9"),
			chromedp.SetValue(chromedp.ID("max-tokens"), "64"),
			chromedp.SetValue(chromedp.ID("seed"), "42"),
			chromedp.SetValue(chromedp.ID("api-key"), "sk-test"),
		)
		p.sendPrompt(t, "Say hello")
		p.waitFor(t, `document.querySelector("#stats").textContent.includes("tokens/s")`)
		if got := p.text(t, ".msg.assistant strong"); got != "world" {
			t.Errorf("the answer's **world** renders as <strong>%s</strong>, want world", got)
		}
		if got := p.text(t, ".msg.assistant li"); got != "one" {
			t.Errorf("the answer's list item is %q, want one", got)
		}
		if got := p.text(t, ".msg.user"); got != "Say hello" {
			t.Errorf("user bubble %q", got)
		}
		if got := p.text(t, "#stats"); !strings.HasPrefix(got, fmt.Sprintf("%d tokens", len(fakeAnswer))) {
			t.Errorf("stats %q do not count %d tokens", got, len(fakeAnswer))
		}

		req := api.lastRequest(t)
		b := req.body
		if req.auth != "Bearer sk-test" {
			t.Errorf("Authorization %q, want Bearer sk-test", req.auth)
		}
		if b.Model != "tiny-test" || !b.Stream || !b.Logprobs || b.TopLogprobs != 5 || !b.StreamOptions.IncludeUsage {
			t.Errorf("request %+v lacks model, stream, logprobs, top_logprobs 5 or include_usage", b)
		}
		if b.Temperature == nil || *b.Temperature != 0.3 || b.TopP == nil || *b.TopP != 0.9 ||
			b.MaxTokens == nil || *b.MaxTokens != 64 || b.Seed == nil || *b.Seed != 42 {
			t.Errorf("sampling settings not sent as set: %+v", b)
		}
		if len(b.Messages) != 2 || b.Messages[0].Role != "system" || b.Messages[0].Content != "Be brief." ||
			b.Messages[1].Role != "user" || b.Messages[1].Content != "Say hello" {
			t.Errorf("messages %+v, want the system prompt and the user's", b.Messages)
		}

		// Every generated token is selectable and shows its alternatives.
		if n := evalJS[int](t, p, `document.querySelectorAll("#tokens .token").length`); n != len(fakeAnswer) {
			t.Fatalf("%d token spans, want %d", n, len(fakeAnswer))
		}
		p.do(t, chromedp.Click(chromedp.CSS(`#tokens .token[data-index="2"]`)))
		probs := p.text(t, "#probs")
		for _, want := range []string{`"world"`, "97.1%", `"there"`, "0.7%", `"friend"`} {
			if !strings.Contains(probs, want) {
				t.Errorf("probabilities %q lack %q", probs, want)
			}
		}
		if n := evalJS[int](t, p, `document.querySelectorAll("#probs .alts li").length`); n != 5 {
			t.Errorf("%d alternatives listed, want 5", n)
		}
		if w := evalJS[string](t, p, `document.querySelector("#probs .alts li .bar span").style.width`); w != "97.1%" {
			t.Errorf("bar of the top alternative is %q wide, want 97.1%%", w)
		}

		// Enter sends the next turn, which carries the whole conversation.
		p.do(t, chromedp.SendKeys(chromedp.ID("prompt"), "Again\r"))
		p.waitFor(t, `document.querySelectorAll(".msg.assistant strong").length === 2 && !document.querySelector(".streaming")`)
		if msgs := api.lastRequest(t).body.Messages; len(msgs) != 4 || msgs[2].Role != "assistant" ||
			msgs[2].Content != "Hello **world**!\n\n- one" || msgs[3].Content != "Again" {
			t.Errorf("second turn sent %+v, want system, user, the first answer and the new prompt", msgs)
		}
		if path := os.Getenv("ZHI_WEB_SCREENSHOT"); path != "" {
			p.do(t, chromedp.Click(chromedp.CSS(`#tokens .token[data-index="7"]`)))
			shot, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
			if err == nil {
				err = os.WriteFile(path, shot, 0o644)
			}
			if err != nil {
				t.Errorf("screenshot: %v", err)
			}
		}
		p.checkClean(t)
	})

	t.Run("stop", func(t *testing.T) {
		p.do(t, chromedp.Click(chromedp.ID("new-chat")))
		p.sendPrompt(t, "slow")
		p.waitFor(t, `document.querySelector(".msg.assistant").textContent === "Thinking" && !document.querySelector("#stop").hidden`)
		p.do(t, chromedp.Click(chromedp.ID("stop")))
		select {
		case <-api.aborted:
		case <-time.After(browserStepTimeout):
			t.Fatal("the server never saw the stream aborted")
		}
		p.waitFor(t, `document.querySelector("#stop").hidden && !document.querySelector("#send").hidden`)
		if got := p.text(t, "#stats"); !strings.Contains(got, "stopped") {
			t.Errorf("stats %q do not say the answer was stopped", got)
		}
		if n := evalJS[int](t, p, `document.querySelectorAll(".msg").length`); n != 2 {
			t.Errorf("%d messages after New chat and one stopped turn, want 2", n)
		}
		p.checkClean(t)
	})

	t.Run("error", func(t *testing.T) {
		p.do(t, chromedp.Click(chromedp.ID("new-chat")))
		p.sendPrompt(t, "fail")
		p.waitFor(t, `!!document.querySelector(".msg.error")`)
		if got := p.text(t, ".msg.error"); got != "Error 400: the model is on fire" {
			t.Errorf("error shown as %q", got)
		}
		if n := evalJS[int](t, p, `document.querySelectorAll(".msg.user, .msg.assistant").length`); n != 0 {
			t.Errorf("%d chat bubbles left after a failed turn, want 0", n)
		}
		if got := evalJS[string](t, p, `document.querySelector("#prompt").value`); got != "fail" {
			t.Errorf("prompt after the failure is %q, want it back for a retry", got)
		}
		p.waitLogged(t, "status of 400")
		p.checkClean(t, "status of 400")
	})
}

// TestPageWithRealServer drives the page that a real "zhi serve" on the
// tiny model serves: what the page shows of an answer must be what the API
// gives for the same request, token by token.
func TestPageWithRealServer(t *testing.T) {
	requireChromium(t)
	s := sharedServer(t)
	p := openPage(t, s.url)
	const prompt = "Write a poem about the sea."
	// The page asks for the model list before it knows a key.
	p.waitFor(t, `document.querySelector("#stats").textContent === "Could not list models. Error 401: no API key given: send the header \"Authorization: Bearer KEY\""`)
	p.waitLogged(t, "status of 401")
	p.checkClean(t, "status of 401")

	t.Run("chat", func(t *testing.T) {
		const (
			system    = "You are a poet."
			topP      = 0.95
			maxTokens = 12
			seed      = 1234
		)
		p.do(t, chromedp.SendKeys(chromedp.ID("api-key"), testKey+"\t"))
		p.waitFor(t, fmt.Sprintf(`document.querySelector("#model").value === %q`, testModel))
		if got := p.text(t, "#stats"); got != "" {
			t.Errorf("stats still say %q after the models were listed", got)
		}
		p.do(t,
			chromedp.SendKeys(chromedp.ID("system"), system),
			chromedp.SetValue(chromedp.ID("temperature"), "0"),
			chromedp.SetValue(chromedp.ID("top-p"), fmt.Sprint(topP)),
			chromedp.SetValue(chromedp.ID("max-tokens"), fmt.Sprint(maxTokens)),
			chromedp.SetValue(chromedp.ID("seed"), fmt.Sprint(seed)),
		)
		p.sendPrompt(t, prompt)
		p.waitFor(t, `document.querySelector("#stats").textContent.includes("tokens/s") && !document.querySelector(".streaming")`)

		// The same request through the API, whole instead of streamed.
		body, _ := json.Marshal(map[string]any{
			"model": testModel,
			"messages": []map[string]string{
				{"role": "system", "content": system},
				{"role": "user", "content": prompt},
			},
			"temperature": 0, "top_p": topP, "max_tokens": maxTokens, "seed": seed,
			"logprobs": true, "top_logprobs": 5,
		})
		status, data, _ := s.call(t, "POST", "/v1/chat/completions", testKey, body)
		if status != http.StatusOK {
			t.Fatalf("POST /v1/chat/completions: %d %s", status, data)
		}
		var want struct {
			Choices []struct {
				Message  struct{ Content string }
				Logprobs struct{ Content []struct{ Token string } }
			}
			Usage struct {
				CompletionTokens int `json:"completion_tokens"`
			}
		}
		if err := json.Unmarshal(data, &want); err != nil || len(want.Choices) != 1 {
			t.Fatalf("answer %s: %v", data, err)
		}
		answer, n := want.Choices[0].Message.Content, want.Usage.CompletionTokens
		if answer == "" || n == 0 {
			t.Fatalf("the API answered nothing: %s", data)
		}

		if got := evalJS[string](t, p, `chat.history[chat.history.length - 1].content`); got != answer {
			t.Errorf("the page got the answer\n%q\nthe API gives\n%q", got, answer)
		}
		quoted, _ := json.Marshal(answer)
		if !evalJS[bool](t, p, `document.querySelector(".msg.assistant").innerHTML === renderMarkdown(`+string(quoted)+`)`) {
			t.Errorf("the page shows %q, not the API's answer %q", p.text(t, ".msg.assistant"), answer)
		}
		if got := p.text(t, "#stats"); !strings.HasPrefix(got, fmt.Sprintf("%d tokens · ", n)) {
			t.Errorf("stats %q do not count the API's %d tokens", got, n)
		}

		// The token strip holds the API's tokens, and each shows what else
		// the model considered.
		var wantTokens []string
		for _, lp := range want.Choices[0].Logprobs.Content {
			wantTokens = append(wantTokens, lp.Token)
		}
		if got := evalJS[[]string](t, p, `Array.from(document.querySelectorAll("#tokens .token"), (_, i) => tokenState.list[i].token)`); len(got) != n ||
			strings.Join(got, "\x00") != strings.Join(wantTokens, "\x00") {
			t.Errorf("token strip %q, want the API's %d tokens %q", got, n, wantTokens)
		}
		last := n - 1
		p.do(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#tokens .token[data-index="%d"]`, last))))
		alts := evalJS[[]struct{ Label, Pct, Chosen string }](t, p, `Array.from(document.querySelectorAll("#probs .alts li"), (li) => ({
			Label: li.querySelector("code").textContent,
			Pct: li.querySelector(".pct").textContent,
			Chosen: li.className,
		}))`)
		chosenLabel, _ := json.Marshal(wantTokens[last])
		head := p.text(t, "#probs .probs-head")
		var sum float64
		chosen := 0
		for _, a := range alts {
			pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(a.Pct, "<"), "%"), 64)
			if err != nil {
				t.Fatalf("alternative %+v: percentage: %v", a, err)
			}
			sum += pct
			if a.Chosen == "chosen" {
				chosen++
				if a.Label != string(chosenLabel) || !strings.HasSuffix(head, " was sampled at "+a.Pct) {
					t.Errorf("chosen alternative %+v is not the sampled token %s of %q", a, chosenLabel, head)
				}
			}
		}
		// Each percentage is rounded to 0.1, by up to 0.05 each.
		if len(alts) == 0 || len(alts) > 5 || chosen != 1 || sum > 100+0.05*float64(len(alts)) {
			t.Errorf("alternatives %+v: want up to 5, one of them chosen, summing to at most 100%% (got %.1f%%)", alts, sum)
		}
		p.checkClean(t)
	})

	t.Run("wrong key", func(t *testing.T) {
		// chromedp's SetValue cannot set an empty value.
		evalJS[bool](t, p, `(document.querySelector("#api-key").value = "") === ""`)
		p.do(t,
			chromedp.Click(chromedp.ID("new-chat")),
			chromedp.SendKeys(chromedp.ID("api-key"), "sk-wrong\t"),
		)
		p.waitFor(t, `document.querySelector("#stats").textContent === "Could not list models. Error 401: the API key is not valid"`)
		p.sendPrompt(t, prompt)
		p.waitFor(t, `!!document.querySelector(".msg.error")`)
		if got := p.text(t, ".msg.error"); got != "Error 401: the API key is not valid" {
			t.Errorf("error shown as %q", got)
		}
		if n := evalJS[int](t, p, `document.querySelectorAll(".msg.user, .msg.assistant").length`); n != 0 {
			t.Errorf("%d chat bubbles left after a refused turn, want 0", n)
		}
		if got := evalJS[string](t, p, `document.querySelector("#prompt").value`); got != prompt {
			t.Errorf("prompt after the failure is %q, want it back for a retry", got)
		}
		p.waitLogged(t, "status of 401")
		p.checkClean(t, "status of 401")
	})
}
