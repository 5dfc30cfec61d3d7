package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a fixed set of worker goroutines that split loops between them.
// Workers live as long as the pool, so a matrix product costs two channel
// operations per worker instead of a goroutine start.
//
// A token's forward pass is a few hundred short loops, each a fraction of a
// millisecond, and waking a parked thread can take tens of microseconds on
// a virtual machine. So a worker that finishes keeps polling for its next
// task for spinTime before it parks, and the caller polls for the workers
// to finish before it does: between the loops of one forward pass nobody
// sleeps. A pool with more workers than GOMAXPROCS never polls, since a
// polling worker would hold a processor another one needs.
type Pool struct {
	n       int
	work    []chan task
	wg      sync.WaitGroup
	pending atomic.Int32  // workers still running the current call's ranges
	spin    time.Duration // how long to poll: spinTime, or 0
	chunk   chunkCall
	run     func(worker, lo, hi int) // p.runChunks, made once
}

type task struct {
	fn             func(worker, lo, hi int)
	worker, lo, hi int
}

// spinTime is how long a worker or a waiting caller polls before parking.
const spinTime = 100 * time.Microsecond

// NewPool starts a pool of n workers; n <= 0 means one per CPU.
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	p := &Pool{n: n, work: make([]chan task, n-1)}
	if n <= runtime.GOMAXPROCS(0) {
		p.spin = spinTime
	}
	p.run = p.runChunks
	for i := range p.work {
		ch := make(chan task, 1)
		p.work[i] = ch
		go func() {
			for {
				t, ok := receive(ch, p.spin)
				if !ok {
					return
				}
				t.fn(t.worker, t.lo, t.hi)
				p.pending.Add(-1)
				p.wg.Done()
			}
		}()
	}
	return p
}

// receive takes the next task from ch, polling for spin before it blocks.
// ok is false when ch is closed.
func receive(ch chan task, spin time.Duration) (t task, ok bool) {
	if spin == 0 {
		t, ok = <-ch
		return t, ok
	}
	var start time.Time
	for i := 0; ; i++ {
		select {
		case t, ok = <-ch:
			return t, ok
		default:
		}
		if i%64 != 0 {
			continue
		}
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > spin {
			t, ok = <-ch
			return t, ok
		}
	}
}

// start hands tasks to workers 1…workers-1.
func (p *Pool) start(workers int, t func(w int) task) {
	p.pending.Store(int32(workers - 1))
	p.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		p.work[w-1] <- t(w)
	}
}

// wait returns when every worker handed a task by start has finished it,
// polling for p.spin before it blocks.
func (p *Pool) wait() {
	if p.spin > 0 {
		begin := time.Now()
		for i := 0; p.pending.Load() > 0; i++ {
			if i%64 == 0 && time.Since(begin) > p.spin {
				break
			}
		}
	}
	p.wg.Wait()
}

// Threads is the number of workers, the calling goroutine included.
func (p *Pool) Threads() int { return p.n }

// shares returns grain (at least 1), how many chunks of it [0, n) holds,
// and how many workers to share them among. When that is one or none it
// has run fn over [0, n) itself, and the caller is done.
func (p *Pool) shares(n, grain int, fn func(worker, lo, hi int)) (g, chunks, workers int) {
	g = max(grain, 1)
	chunks = (n + g - 1) / g
	workers = min(p.n, chunks)
	if workers <= 1 && n > 0 {
		fn(0, 0, n)
	}
	return g, chunks, workers
}

// For calls fn over [0, n) split into at most Threads contiguous ranges whose
// bounds are multiples of grain (except the last), and waits for all of them.
// worker, below Threads, tells calls apart so each can use its own scratch.
// The calling goroutine runs one range itself. Calls must not overlap: one
// pool serves one computation at a time.
func (p *Pool) For(n, grain int, fn func(worker, lo, hi int)) {
	grain, chunks, workers := p.shares(n, grain, fn)
	if workers <= 1 {
		return
	}
	per := (chunks + workers - 1) / workers * grain
	workers = (n + per - 1) / per // the shares that are not empty
	p.start(workers, func(w int) task { return task{fn, w, w * per, min((w+1)*per, n)} })
	fn(0, 0, min(per, n))
	p.wait()
}

// ForChunks calls fn over [0, n) cut into chunks of whole grains (the last
// may be shorter), each worker taking the next chunk as it finishes one,
// and waits for all of them. Chunks shrink from a quarter of a worker's
// share to one grain as the work runs out. Unlike For's fixed shares, this keeps every
// worker busy to the end when chunks take unequal time or cores run at
// unequal speeds, as they do on machines shared with other work; but which
// worker gets a chunk varies from call to call, so fn must compute the same
// whichever worker runs it.
func (p *Pool) ForChunks(n, grain int, fn func(worker, lo, hi int)) {
	grain, _, workers := p.shares(n, grain, fn)
	if workers <= 1 {
		return
	}
	p.chunk = chunkCall{fn: fn, n: n, grain: grain, workers: workers}
	p.chunk.next.Store(0)
	p.start(workers, func(w int) task { return task{p.run, w, 0, 0} })
	p.runChunks(0, 0, 0)
	p.wait()
	p.chunk.fn = nil
}

// chunkCall is the ForChunks call in progress: kept in the pool, since
// calls do not overlap, so that a call allocates nothing.
type chunkCall struct {
	fn                func(worker, lo, hi int)
	n, grain, workers int
	next              atomic.Int64 // the first value not yet taken
}

// runChunks runs chunks of the ForChunks call in progress as worker until
// none are left. A chunk is a quarter of a worker's share of what is left,
// in whole grains: large at first, so that few are taken, and down to one
// grain at the end, so that the workers finish together.
func (p *Pool) runChunks(worker, _, _ int) {
	c := &p.chunk
	for {
		lo := int(c.next.Load())
		if lo >= c.n {
			return
		}
		size := max(c.grain, (c.n-lo)/(4*c.workers)/c.grain*c.grain)
		if c.next.CompareAndSwap(int64(lo), int64(lo+size)) {
			c.fn(worker, lo, min(lo+size, c.n))
		}
	}
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	for _, ch := range p.work {
		close(ch)
	}
}
