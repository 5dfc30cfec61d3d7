package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// Many clients at once: batching must not change what a request gets, the
// queue is bounded, clients that leave free their slot, and a stopped
// server finishes what it started.

// seededCompletion is a sampled completion that a seed makes repeatable.
func seededCompletion(i int) openai.CompletionNewParams {
	prompts := []string{"The sea", "Mountains rise", "In the city of", "A recipe for bread:", "Numbers: 1, 2,", "Dear friend,"}
	return openai.CompletionNewParams{
		Model:       openai.CompletionNewParamsModel(testModel),
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String(prompts[i%len(prompts)])},
		MaxTokens:   openai.Int(int64(12 + 3*i)),
		Seed:        openai.Int(int64(100 + i)),
		Temperature: openai.Float(0.9),
	}
}

// streamText runs a streamed completion and returns its text.
func streamText(ctx context.Context, c *openai.Client, p openai.CompletionNewParams) (string, error) {
	stream := c.Completions.NewStreaming(ctx, p)
	defer stream.Close()
	var text strings.Builder
	for stream.Next() {
		if ch := stream.Current().Choices; len(ch) > 0 {
			text.WriteString(ch[0].Text)
		}
	}
	return text.String(), stream.Err()
}

func TestParallelStreamsMatchSequential(t *testing.T) {
	s := sharedServer(t)
	c := s.client(testKey)
	ctx := testContext(t)
	const n = 5 // more than the 4 slots: one waits in the queue
	want := make([]string, n)
	for i := range n {
		var err error
		if want[i], err = streamText(ctx, c, seededCompletion(i)); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = streamText(ctx, c, seededCompletion(i)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("stream %d: %v", i, errs[i])
		}
		if got[i] != want[i] {
			t.Errorf("stream %d together with others: %q\nalone: %q", i, got[i], want[i])
		}
	}
}

// rawStream starts a streamed completion and returns a reader of its
// events; cancel drops the connection.
func rawStream(t *testing.T, s *zhiServer, body string) (events *bufio.Scanner, cancel func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/v1/completions", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("status %d", resp.StatusCode)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return bufio.NewScanner(resp.Body), cancel
}

// nextEvent returns the data of the next event.
func nextEvent(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			return data
		}
	}
	t.Fatalf("the stream ended: %v", sc.Err())
	return ""
}

// long is a request that would run for a few seconds: the context (512)
// fills before max_tokens.
const long = `{"prompt":"Once","max_tokens":1000,"stream":true,"seed":1}`

func TestQueueFullAndDisconnect(t *testing.T) {
	s := startZhi(t, "--parallel", "1", "--queue", "1", "--ctx", "512")

	// The one slot is busy once the first token of the first request
	// arrives; the second request then waits in the queue of one.
	running, stopRunning := rawStream(t, s, long)
	nextEvent(t, running)
	queued := make(chan int, 1)
	queueCtx, dropQueued := context.WithCancel(context.Background())
	defer dropQueued()
	go func() {
		// Not streamed, so that the response comes only when the job ends.
		req, _ := http.NewRequestWithContext(queueCtx, "POST", s.url+"/v1/completions", strings.NewReader(strings.Replace(long, `"stream":true`, `"stream":false`, 1)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			queued <- 0
			return
		}
		resp.Body.Close()
		queued <- resp.StatusCode
	}()
	s.waitMetric(t, "", "zhi_queue_length", func(v float64) bool { return v == 1 })

	status, body, h := s.call(t, "POST", "/v1/completions", "", `{"prompt":"x","max_tokens":1}`)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Fatalf("third request: status %d, Retry-After %q: %s", status, h.Get("Retry-After"), body)
	}
	if _, typ, _, code := errorOf(t, body); typ != "server_error" || deref(code) != "queue_full" {
		t.Errorf("type %q code %q", typ, deref(code))
	}

	// Clients that leave stop their generation: the queued one leaves the
	// queue, the running one frees the slot long before its context is
	// full.
	before := s.metrics(t, "")["zhi_generated_tokens_total"]
	dropQueued()
	stopRunning()
	if got := <-queued; got != 0 {
		t.Errorf("the dropped queued request got status %d", got)
	}
	s.waitMetric(t, "", "zhi_active_slots", func(v float64) bool { return v == 0 })
	s.waitMetric(t, "", "zhi_queue_length", func(v float64) bool { return v == 0 })
	time.Sleep(100 * time.Millisecond)
	after := s.metrics(t, "")["zhi_generated_tokens_total"]
	if after-before > 200 || after >= 500 {
		t.Errorf("generation went on after the clients left: %v tokens before, %v after", before, after)
	}
	// The freed slot serves the next request.
	if status, body, _ := s.call(t, "POST", "/v1/completions", "", `{"prompt":"x","max_tokens":2}`); status != http.StatusOK {
		t.Errorf("after the disconnects: %d %s", status, body)
	}
}

func TestShutdownFinishesRequests(t *testing.T) {
	s := startZhi(t, "--ctx", "512")
	events, _ := rawStream(t, s, `{"prompt":"Once","max_tokens":100,"stream":true,"seed":2}`)
	nextEvent(t, events)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused at once...
	addr := strings.TrimPrefix(s.url, "http://")
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 5 s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...while the request in flight runs to its end.
	var last []string
	for data := nextEvent(t, events); data != "[DONE]"; data = nextEvent(t, events) {
		last = append(last, data)
	}
	if n := len(last); n == 0 || !strings.Contains(last[n-1], `"finish_reason":"`) {
		t.Errorf("the stream ended without a finish reason: %q", last)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after the last request finished")
	}
	if s.err != nil {
		t.Errorf("exit: %v\n%s", s.err, s.output())
	}
}

// BenchmarkServe is a load test: clients (4) stream completions of 32
// tokens from the shared server, b.N requests in all. It reports the
// throughput and the percentiles of the latency and of the time to the
// first token.
func BenchmarkServe(b *testing.B) {
	s := sharedServer(b)
	c := s.client(testKey)
	const clients = 4
	type sample struct{ total, first time.Duration }
	var (
		mu      sync.Mutex
		samples []sample
		tokens  int64
	)
	work := make(chan int)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for i := range work {
				p := seededCompletion(i)
				p.MaxTokens = openai.Int(32)
				p.StreamOptions.IncludeUsage = openai.Bool(true)
				began := time.Now()
				var first time.Duration
				var used int64
				stream := c.Completions.NewStreaming(context.Background(), p)
				for stream.Next() {
					ch := stream.Current()
					if first == 0 && len(ch.Choices) > 0 && ch.Choices[0].Text != "" {
						first = time.Since(began)
					}
					used += ch.Usage.CompletionTokens
				}
				if err := stream.Err(); err != nil {
					b.Error(err)
				}
				mu.Lock()
				samples = append(samples, sample{time.Since(began), first})
				tokens += used
				mu.Unlock()
			}
		})
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(tokens)/elapsed.Seconds(), "tok/s")
	totals := make([]time.Duration, len(samples))
	firsts := make([]time.Duration, len(samples))
	for i, s := range samples {
		totals[i], firsts[i] = s.total, s.first
	}
	slices.Sort(totals)
	slices.Sort(firsts)
	for _, p := range []int{50, 90, 99} {
		b.ReportMetric(ms(percentile(totals, p)), fmt.Sprintf("p%d-ms", p))
	}
	b.ReportMetric(ms(percentile(firsts, 50)), "ttft-p50-ms")
}

// percentile of sorted durations, by the nearest-rank method.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)*p+99)/100-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
