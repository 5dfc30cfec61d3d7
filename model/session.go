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
	one   [1]Seq       // Forward's batch of one
	batch []batchEntry // the batch in progress
	// attn is the attention in progress and attnRun its method value, made
	// once so that a layer's attention allocates nothing.
	attn    attentionJob
	attnRun func(worker, lo, hi int)
}

// NewSession makes a session for m whose cache holds up to ctx tokens in
// F16, as the reference's default cache does.
func NewSession(m Model, ctx int, pool *tensor.Pool) (*Session, error) {
	return NewSessionCache(m, ctx, tensor.F16, tensor.F16, pool)
}

// NewSessionCache is NewSession with the types the cache stores keys and
// values in: F16, or Q8_0 for half the memory. Q8_0 keys are multiplied by
// queries converted to Q8_0, as the reference does with a Q8_0 key cache;
// Q8_0 values are summed in float32 (the reference needs flash attention for
// a quantized value cache, which zhi does not emulate).
func NewSessionCache(m Model, ctx int, kType, vType tensor.Type, pool *tensor.Pool) (*Session, error) {
	cache, err := NewCache(m, ctx, kType, vType)
	if err != nil {
		return nil, err
	}
	return &Session{Cache: cache, Pool: pool}, nil
}

// NewCache makes an empty cache for ctx positions of m's keys and values, in
// F16 or Q8_0, for sequences run with ForwardBatch.
func NewCache(m Model, ctx int, kType, vType tensor.Type) (*Cache, error) {
	c := m.Config()
	if ctx <= 0 {
		return nil, fmt.Errorf("context size %d must be positive", ctx)
	}
	if err := CheckCacheTypes(m, kType, vType); err != nil {
		return nil, err
	}
	return newCache(c.Layers, ctx, c.KVDim(), kType, vType), nil
}

// Seq is one sequence's part of a batch: new tokens to run at the positions
// following those its cache holds.
type Seq struct {
	Cache  *Cache
	Tokens []int32
	All    bool // output a row for every token; else for the last one only
}

// Output chooses what a forward pass returns for each wanted position.
type Output int

const (
	// Logits are VocabSize scores of the next token.
	Logits Output = iota
	// Hidden is the final hidden state, after the output norm: Embedding
	// values, as pooled into embeddings.
	Hidden
)

// batchEntry is a Seq placed in the batch: its rows are first…first+rows-1.
type batchEntry struct {
	Seq
	first, rows int
}

// plan checks a batch and lays its sequences out one after another,
// returning the number of rows.
func (s *Session) plan(seqs []Seq, vocab int) (int, error) {
	s.batch = s.batch[:0]
	n := 0
	for i, sq := range seqs {
		if len(sq.Tokens) == 0 {
			return 0, fmt.Errorf("sequence %d of the batch has no tokens to run", i)
		}
		if err := sq.Cache.reserve(len(sq.Tokens)); err != nil {
			return 0, err
		}
		for _, id := range sq.Tokens {
			if id < 0 || int(id) >= vocab {
				return 0, fmt.Errorf("token id %d is outside the vocabulary of %d", id, vocab)
			}
		}
		for _, prev := range seqs[:i] {
			if prev.Cache == sq.Cache {
				return 0, fmt.Errorf("sequence %d of the batch shares its cache with another", i)
			}
		}
		s.batch = append(s.batch, batchEntry{Seq: sq, first: n, rows: len(sq.Tokens)})
		n += len(sq.Tokens)
	}
	if n == 0 {
		return 0, fmt.Errorf("no tokens to run")
	}
	return n, nil
}

// mul computes out = w·x for the batch's rows of x (cols values each).
// Where w's kernel depends on how many rows it is given, each sequence's
// rows go through on their own, so that a sequence's results do not depend
// on what else is in the batch.
func (s *Session) mul(w *tensor.Matrix, out, x []float32, rows, cols int) {
	if len(s.batch) == 1 || w.BatchInvariant() {
		s.act.Set(x, rows, cols)
		w.MulInto(s.Pool, out, &s.act)
		return
	}
	for _, b := range s.batch {
		s.act.Set(x[b.first*cols:], b.rows, cols)
		w.MulInto(s.Pool, out[b.first*w.Rows:], &s.act)
	}
}

// mlpRows is the most rows the MLP takes at a time (mlpSlices); a variable
// so that a test can compare slices with whole batches.
var mlpRows = 128

// mlpSlices returns how many slices the MLP cuts rows rows into (slice i
// holds rows sliceBounds(i, rows, slices)), so that its two buffers of
// FeedForward values a row hold mlpRows rows rather than a whole batch (64
// MiB for a 512-token prompt of an 8B model). A row's results do not depend
// on which other rows share its product, except that a matrix with a
// batch kernel (float types, IQ4_NL) takes another kernel for one row than
// for more: so the slices are even, none a single row, and a batch of
// several sequences whose matrices go sequence by sequence (mul, which
// counts rows from the batch's first) goes whole.
func (s *Session) mlpSlices(rows int, ws ...*tensor.Matrix) int {
	if len(s.batch) > 1 {
		for _, w := range ws {
			if !w.BatchInvariant() {
				return 1
			}
		}
	}
	return max(1, (rows+mlpRows-1)/mlpRows)
}

// sliceBounds returns the rows [lo, hi) of slice i when n rows are cut into
// slices even slices.
func sliceBounds(i, n, slices int) (lo, hi int) {
	return i * n / slices, (i + 1) * n / slices
}

// keepWanted moves the rows whose output is wanted (every row of a sequence
// that asked for all, else its last) of x and y to the front, both rows of
// width cols, and returns how many there are.
func (s *Session) keepWanted(x, y []float32, cols int) int {
	kept := 0
	for i := range s.batch {
		b := &s.batch[i]
		from := b.first
		if !b.All {
			from, b.rows = b.first+b.rows-1, 1
		}
		if from != kept {
			copy(x[kept*cols:], x[from*cols:(from+b.rows)*cols])
			copy(y[kept*cols:], y[from*cols:(from+b.rows)*cols])
		}
		b.first = kept
		kept += b.rows
	}
	return kept
}

// CheckCacheTypes reports whether m's keys and values can be cached in the
// given types: F16, or Q8_0 when a head is a whole number of Q8_0 blocks.
func CheckCacheTypes(m Model, kType, vType tensor.Type) error {
	for _, t := range []tensor.Type{kType, vType} {
		if t != tensor.F16 && t != tensor.Q8_0 {
			return fmt.Errorf("cache type %s is not supported (f16, q8_0)", t)
		}
		if t == tensor.Q8_0 && m.Config().HeadDim%tensor.Q8_0.BlockSize() != 0 {
			return fmt.Errorf("a q8_0 cache needs a head size divisible by %d, not %d", tensor.Q8_0.BlockSize(), m.Config().HeadDim)
		}
	}
	return nil
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

// Cache holds the keys and values of every position computed so far, one
// slab per layer: F16 by default, as the reference stores them, or Q8_0.
// Keys are stored a position at a time. F16 values are stored transposed, a
// dimension at a time across positions (as the reference does without flash
// attention), so that the probability-weighted sum over positions reads
// contiguous memory; Q8_0 values a position at a time. The slabs are rounded
// up to whole attention padding (kvPad) so that the padded span attention
// reads always lies inside them.
type Cache struct {
	n            int // positions filled
	size         int // positions it can hold
	stride       int // positions a slab row has room for: size rounded up to kvPad
	kvDim        int
	kType, vType tensor.Type
	k16, v16     [][]uint16 // F16 slabs
	k8, v8       [][]byte   // Q8_0 slabs
	q8Row        int        // bytes of one position's keys or values in Q8_0
	q8           *tensor.Ops
}

func newCache(layers, size, kvDim int, kType, vType tensor.Type) *Cache {
	stride := (size + kvPad - 1) / kvPad * kvPad
	q8Row, _ := tensor.Q8_0.RowSize(kvDim)
	q8, _ := tensor.OpsFor(tensor.Q8_0)
	c := &Cache{size: size, stride: stride, kvDim: kvDim, kType: kType, vType: vType, q8Row: q8Row, q8: q8}
	slabs := func(t tensor.Type) ([][]uint16, [][]byte) {
		if t == tensor.Q8_0 {
			s := make([][]byte, layers)
			for l := range s {
				s[l] = make([]byte, stride*q8Row)
			}
			return nil, s
		}
		s := make([][]uint16, layers)
		for l := range s {
			s[l] = make([]uint16, stride*kvDim)
		}
		return s, nil
	}
	c.k16, c.k8 = slabs(kType)
	c.v16, c.v8 = slabs(vType)
	return c
}

// store appends the keys and values of n new positions (rows of kvDim
// values) to layer l.
func (c *Cache) store(l int, k, v []float32, n int) {
	pos0, kvDim := c.n, c.kvDim
	if c.kType == tensor.Q8_0 {
		for t := range n {
			c.q8.FromFloat(k[t*kvDim:(t+1)*kvDim], c.k8[l][(pos0+t)*c.q8Row:(pos0+t+1)*c.q8Row])
		}
	} else {
		tensor.EncodeF16(c.k16[l][pos0*kvDim:(pos0+n)*kvDim], k[:n*kvDim])
	}
	if c.vType == tensor.Q8_0 {
		for t := range n {
			c.q8.FromFloat(v[t*kvDim:(t+1)*kvDim], c.v8[l][(pos0+t)*c.q8Row:(pos0+t+1)*c.q8Row])
		}
		return
	}
	vt := c.v16[l]
	for t := range n {
		for d, x := range v[t*kvDim : (t+1)*kvDim] {
			vt[d*c.stride+pos0+t] = tensor.F32ToF16(x)
		}
	}
}

// valueRow returns dimension d of layer l's F16 values across the first
// cells positions.
func (c *Cache) valueRow(l, d, cells int) []uint16 {
	return c.v16[l][d*c.stride : d*c.stride+cells]
}

// q8Head returns the Q8_0 blocks of one head's width (from dimension off)
// of position j in slab.
func (c *Cache) q8Head(slab []byte, j, off, headDim int) []byte {
	bs, ts := tensor.Q8_0.BlockSize(), tensor.Q8_0.TypeSize()
	start := j*c.q8Row + off/bs*ts
	return slab[start : start+headDim/bs*ts]
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
