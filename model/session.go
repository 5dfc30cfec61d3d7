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
// as the reference stores them, one slab per layer. Keys are stored a
// position at a time; values are stored transposed, a dimension at a time
// across positions (as the reference does without flash attention), so that
// the probability-weighted sum over positions reads contiguous memory. The
// slabs are rounded up to whole attention padding (kvPad) so that the padded
// span attention reads always lies inside them.
type Cache struct {
	n      int // positions filled
	size   int // positions it can hold
	stride int // positions a slab row has room for: size rounded up to kvPad
	kvDim  int
	k, v   [][]uint16
}

func newCache(layers, size, kvDim int) *Cache {
	stride := (size + kvPad - 1) / kvPad * kvPad
	c := &Cache{size: size, stride: stride, kvDim: kvDim, k: make([][]uint16, layers), v: make([][]uint16, layers)}
	for l := range c.k {
		c.k[l] = make([]uint16, stride*kvDim)
		c.v[l] = make([]uint16, stride*kvDim)
	}
	return c
}

// store appends the keys and values of n new positions (rows of kvDim
// values) to layer l.
func (c *Cache) store(l int, k, v []float32, n int) {
	pos0, kvDim := c.n, c.kvDim
	tensor.EncodeF16(c.k[l][pos0*kvDim:(pos0+n)*kvDim], k[:n*kvDim])
	vt := c.v[l]
	for t := range n {
		for d, x := range v[t*kvDim : (t+1)*kvDim] {
			vt[d*c.stride+pos0+t] = tensor.F32ToF16(x)
		}
	}
}

// valueRow returns dimension d of layer l's values across the first cells
// positions.
func (c *Cache) valueRow(l, d, cells int) []uint16 {
	return c.v[l][d*c.stride : d*c.stride+cells]
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
