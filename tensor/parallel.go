package tensor

import (
	"runtime"
	"sync"
)

// Pool is a fixed set of worker goroutines that split loops between them.
// Workers live as long as the pool, so a matrix product costs two channel
// operations per worker instead of a goroutine start.
type Pool struct {
	n    int
	work []chan task
	wg   sync.WaitGroup
}

type task struct {
	fn             func(worker, lo, hi int)
	worker, lo, hi int
}

// NewPool starts a pool of n workers; n <= 0 means one per CPU.
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	p := &Pool{n: n, work: make([]chan task, n-1)}
	for i := range p.work {
		ch := make(chan task)
		p.work[i] = ch
		go func() {
			for t := range ch {
				t.fn(t.worker, t.lo, t.hi)
				p.wg.Done()
			}
		}()
	}
	return p
}

// Threads is the number of workers, the calling goroutine included.
func (p *Pool) Threads() int { return p.n }

// For calls fn over [0, n) split into at most Threads contiguous ranges whose
// bounds are multiples of grain (except the last), and waits for all of them.
// worker, below Threads, tells calls apart so each can use its own scratch.
// The calling goroutine runs one range itself. Calls must not overlap: one
// pool serves one computation at a time.
func (p *Pool) For(n, grain int, fn func(worker, lo, hi int)) {
	if grain < 1 {
		grain = 1
	}
	chunks := (n + grain - 1) / grain
	workers := min(p.n, chunks)
	if workers <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	per := (chunks + workers - 1) / workers * grain
	p.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		lo := w * per
		hi := min(lo+per, n)
		if lo >= hi {
			p.wg.Done()
			continue
		}
		p.work[w-1] <- task{fn, w, lo, hi}
	}
	fn(0, 0, min(per, n))
	p.wg.Wait()
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	for _, ch := range p.work {
		close(ch)
	}
}
