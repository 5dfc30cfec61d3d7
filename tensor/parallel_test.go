package tensor

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolCoversEachIndexOnce checks For and ForChunks: every index of the
// range is passed exactly once, in ranges of whole grains (but the last),
// worker numbers are below Threads, and no worker number is in use twice at
// the same time (callers index scratch space by it). It includes calls
// after the workers have parked and calls whose ranges outlast the polling.
func TestPoolCoversEachIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads)
		busy := make([]atomic.Bool, threads)
		for _, c := range []struct{ n, grain int }{{0, 1}, {1, 16}, {7, 1}, {100, 16}, {1000, 7}, {33, 100}} {
			for _, chunked := range []bool{false, true} {
				for _, pause := range []time.Duration{0, 2 * spinTime} {
					seen := make([]atomic.Int32, c.n)
					fn := func(worker, lo, hi int) {
						if worker < 0 || worker >= threads {
							t.Errorf("worker %d of %d", worker, threads)
							return
						}
						if lo%c.grain != 0 || (hi%c.grain != 0 && hi != c.n) {
							t.Errorf("range [%d, %d) is not in whole grains of %d", lo, hi, c.grain)
						}
						if busy[worker].Swap(true) {
							t.Errorf("worker %d used twice at once", worker)
						}
						for i := lo; i < hi; i++ {
							seen[i].Add(1)
						}
						if pause > 0 && worker == 0 {
							time.Sleep(pause) // the others finish and poll, then park
						}
						busy[worker].Store(false)
					}
					if chunked {
						p.ForChunks(c.n, c.grain, fn)
					} else {
						p.For(c.n, c.grain, fn)
					}
					for i := range seen {
						if got := seen[i].Load(); got != 1 {
							t.Fatalf("threads %d, n %d, grain %d, chunked %v: index %d passed %d times", threads, c.n, c.grain, chunked, i, got)
						}
					}
					time.Sleep(pause) // let the workers park before the next call
				}
			}
		}
		p.Close()
	}
}
