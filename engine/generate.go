package engine

import (
	"context"
	"strings"

	"zhi/sample"
)

// GenerateOptions configure Generate.
type GenerateOptions struct {
	MaxTokens int           // stop after this many new tokens; <= 0 means until the context is full
	Sampling  sample.Params // how the next token is chosen
	Stop      []string      // stop when the text produces one of these; it is not included
}

// Stop reasons reported by Generate.
const (
	StopEOG    = "eog"    // the model produced an end-of-generation token
	StopString = "stop"   // the text reached one of the stop strings
	StopLength = "length" // MaxTokens or the context size was reached
)

// Generate runs the prompt, then samples one token at a time with the KV
// cache, calling emit with each piece of text as soon as it is complete (whole
// UTF-8 characters, held back while it might be the start of a stop string).
// emit may be nil; an error from it ends generation and is returned.
func (e *Engine) Generate(prompt []int32, o GenerateOptions, emit func(text string) error) (*Result, error) {
	s, err := NewScheduler(e, SchedulerOptions{Slots: 1})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job, err := s.Submit(ctx, Request{Prompt: prompt, MaxTokens: o.MaxTokens, Sampling: o.Sampling, Stop: o.Stop})
	if err != nil {
		return nil, err
	}
	for t := range job.Tokens() {
		if emit == nil || t.Text == "" {
			continue
		}
		if err := emit(t.Text); err != nil {
			cancel()
			job.Wait()
			return nil, err
		}
	}
	return job.Wait()
}

// stopMatcher holds back text that could still turn into a stop string.
type stopMatcher struct {
	stops   []string
	pending string
}

func newStopMatcher(stops []string) *stopMatcher {
	var nonEmpty []string
	for _, s := range stops {
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	return &stopMatcher{stops: nonEmpty}
}

// feed adds text and returns what is safe to show, and whether a stop string
// was reached (the returned text then ends just before it).
func (m *stopMatcher) feed(text string) (string, bool) {
	m.pending += text
	cut := -1
	for _, s := range m.stops {
		if i := strings.Index(m.pending, s); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 {
		ready := m.pending[:cut]
		m.pending = ""
		return ready, true
	}
	// Keep the longest tail that is a prefix of some stop string.
	keep := 0
	for _, s := range m.stops {
		for k := min(len(s)-1, len(m.pending)); k > keep; k-- {
			if strings.HasSuffix(m.pending, s[:k]) {
				keep = k
				break
			}
		}
	}
	ready := m.pending[:len(m.pending)-keep]
	m.pending = m.pending[len(m.pending)-keep:]
	return ready, false
}

// flush returns whatever is still held back.
func (m *stopMatcher) flush() string {
	p := m.pending
	m.pending = ""
	return p
}
