package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// httpMetrics counts answered requests by route and status.
type httpMetrics struct {
	mu    sync.Mutex
	count map[routeStatus]uint64
}

type routeStatus struct {
	route  string
	status int
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{count: map[routeStatus]uint64{}}
}

// add counts one request; route is the mux pattern, "" for none.
func (m *httpMetrics) add(route string, status int) {
	m.mu.Lock()
	m.count[routeStatus{route, status}]++
	m.mu.Unlock()
}

// write prints the counts in Prometheus' text format, in a stable order.
func (m *httpMetrics) write(w io.Writer) {
	m.mu.Lock()
	keys := make([]routeStatus, 0, len(m.count))
	for k := range m.count {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b routeStatus) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return a.status - b.status
	})
	fmt.Fprintf(w, "# HELP zhi_http_requests_total HTTP requests answered, by route and status code.\n")
	fmt.Fprintf(w, "# TYPE zhi_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(w, "zhi_http_requests_total{route=%s,code=\"%d\"} %d\n", strconv.Quote(k.route), k.status, m.count[k])
	}
	m.mu.Unlock()
}

// serveMetrics answers GET /metrics: the scheduler's counters and the HTTP
// requests, in Prometheus' text exposition format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	st := s.sched.Stats()
	busy := st.Busy.Seconds()
	var perSecond float64
	if busy > 0 {
		perSecond = float64(st.GeneratedTokens) / busy
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	metric := func(name, typ, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %v\n", name, help, name, typ, name, v)
	}
	metric("zhi_requests_total", "counter", "Generation and embedding requests finished, successfully or not.", st.Requests)
	metric("zhi_prompt_tokens_total", "counter", "Prompt tokens computed (not those reused from a slot's cache).", st.PromptTokens)
	metric("zhi_generated_tokens_total", "counter", "Tokens generated.", st.GeneratedTokens)
	metric("zhi_busy_seconds_total", "counter", "Seconds spent computing.", busy)
	metric("zhi_tokens_per_second", "gauge", "Generated tokens per second of computing time, since the start.", perSecond)
	metric("zhi_queue_length", "gauge", "Requests waiting for a free slot.", st.Queued)
	metric("zhi_active_slots", "gauge", "Slots running a request.", st.Active)
	metric("zhi_slots", "gauge", "Slots: sequences computed together.", st.Slots)
	s.metrics.write(w)
}
