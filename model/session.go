package model

import (
	"fmt"

	"zhi/tensor"
)

// Session is one sequence being computed: its KV cache, the worker pool that
// splits the arithmetic, and scratch buffers reused from call to call.
type Session struct {
	Cache *Cache
	Pool  *tensor.Pool
	act   tensor.Activations
	bufs  [][]float32
}

// NewSession makes a session for m whose cache holds up to ctx tokens.
func NewSession(m Model, ctx int, pool *tensor.Pool) (*Session, error) {
	c := m.Config()
	if ctx <= 0 {
		return nil, fmt.Errorf("context size %d must be positive", ctx)
	}
	return &Session{Cache: newCache(c.Layers, ctx, c.KVDim()), Pool: pool}, nil
}

// floats returns scratch buffer slot, grown to n values. Contents are
// whatever the previous user left.
func (s *Session) floats(slot, n int) []float32 {
	for len(s.bufs) <= slot {
		s.bufs = append(s.bufs, nil)
	}
	if cap(s.bufs[slot]) < n {
		s.bufs[slot] = make([]float32, n)
	}
	return s.bufs[slot][:n]
}

// Cache holds the keys and values of every position computed so far, in F16
// as the reference stores them, one slab per layer.
type Cache struct {
	n     int // positions filled
	size  int // positions it can hold
	kvDim int
	k, v  [][]uint16
}

func newCache(layers, size, kvDim int) *Cache {
	c := &Cache{size: size, kvDim: kvDim, k: make([][]uint16, layers), v: make([][]uint16, layers)}
	for l := range c.k {
		c.k[l] = make([]uint16, size*kvDim)
		c.v[l] = make([]uint16, size*kvDim)
	}
	return c
}

// Len is the number of positions the cache holds.
func (c *Cache) Len() int { return c.n }

// Size is the number of positions the cache can hold.
func (c *Cache) Size() int { return c.size }

// Truncate forgets every position from n on, so a sequence can be rewound.
func (c *Cache) Truncate(n int) {
	if n < c.n {
		c.n = max(n, 0)
	}
}

// reserve checks that n more positions fit.
func (c *Cache) reserve(n int) error {
	if c.n+n > c.size {
		return fmt.Errorf("context is full: %d tokens in cache + %d new exceed the context size of %d", c.n, n, c.size)
	}
	return nil
}
