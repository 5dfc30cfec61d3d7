package train

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testCheckpoint is the state of a tiny run after two optimizer steps.
func testCheckpoint(t testing.TB) *checkpoint {
	t.Helper()
	o := DefaultOptions()
	o.Data, o.Output, o.Model = []string{"text.txt"}, "out.gguf", tinyConfig(false)
	m, err := New(o.Model, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	opt := NewAdamW()
	batch := Batch{Inputs: [][]int32{{1, 2, 3}}, Targets: [][]int32{{2, 3, 4}}}
	for range 2 {
		m.ZeroGrad()
		if _, err := m.Loss(batch); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(m, 1e-3); err != nil {
			t.Fatal(err)
		}
	}
	pcg := newBatchRNG(9)
	pcg.Uint64()
	rng, err := pcg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	return &checkpoint{
		options: o, model: m, opt: opt, rng: rng, step: 2, total: 10, tokens: 6,
		elapsed: 1500 * time.Millisecond, dataSum: 0xdeadbeef,
		history: []Record{
			{Step: 1, Tokens: 3, LR: 1e-3, Loss: 2.5, ValLoss: nan, ValBPB: nan, TokensPerSec: 10, Elapsed: 0.5},
			{Step: 2, Tokens: 6, LR: 1e-3, Loss: 2.25, ValLoss: 2.375, ValBPB: 3.5, TokensPerSec: 12.5, Elapsed: 1.5},
		},
	}
}

// TestCheckpointRoundTrip checks that a checkpoint reads back as written.
func TestCheckpointRoundTrip(t *testing.T) {
	c := testCheckpoint(t)
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := c.write(path); err != nil {
		t.Fatal(err)
	}
	r := mustReadCheckpoint(t, path)
	if !reflect.DeepEqual(r.options, c.options) || !bytes.Equal(r.rng, c.rng) || r.step != 2 || r.total != 10 ||
		r.tokens != 6 || r.elapsed != c.elapsed || r.dataSum != c.dataSum || r.opt.step != 2 {
		t.Errorf("state read back differs: %+v", r)
	}
	if len(r.history) != 2 || !math.IsNaN(r.history[0].ValLoss) || r.history[1] != c.history[1] {
		t.Errorf("history %+v, want %+v", r.history, c.history)
	}
	for i, p := range c.model.Params() {
		if !slices.Equal(p.Data, r.model.Params()[i].Data) || !slices.Equal(c.opt.m[i], r.opt.m[i]) || !slices.Equal(c.opt.v[i], r.opt.v[i]) {
			t.Fatalf("%s or its moments differ", p.Name)
		}
	}
}

// TestCheckpointDamage checks that damaged files are refused with errors
// that say what is wrong.
func TestCheckpointDamage(t *testing.T) {
	c := testCheckpoint(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	if err := c.write(path); err != nil {
		t.Fatal(err)
	}
	good := readFile(t, path)
	damage := func(name string, fn func([]byte) []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, fn(bytes.Clone(good)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, d := range []struct {
		path, want string
	}{
		{damage("flip.ckpt", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }), "damaged: checksum"},
		{damage("short.ckpt", func(b []byte) []byte { return b[:len(b)-100] }), "truncated"},
		{damage("long.ckpt", func(b []byte) []byte { return append(b, 0) }), "damaged"},
		{damage("magic.ckpt", func(b []byte) []byte { b[0] = 'X'; return b }), "not a zhi training checkpoint"},
		{damage("version.ckpt", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 9); return b }), "version 9"},
		{damage("empty.ckpt", func([]byte) []byte { return nil }), "not a zhi training checkpoint"},
	} {
		_, err := readCheckpoint(d.path)
		if err == nil || !strings.Contains(err.Error(), d.want) || !strings.Contains(err.Error(), d.path) {
			t.Errorf("%s: error %v, want one naming the file and mentioning %q", filepath.Base(d.path), err, d.want)
		}
	}
	// A payload that is a model without a run's state.
	payload, err := c.payload()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.model.builder(SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := b.WriteTo(&plain); err != nil {
		t.Fatal(err)
	}
	if _, err := decodePayload(plain.Bytes()); err == nil || !strings.Contains(err.Error(), keyOptions) {
		t.Errorf("a model file without state: %v", err)
	}
	if cp, err := decodePayload(payload); err != nil {
		t.Errorf("the payload alone: %v", err)
	} else {
		cp.model.Close()
	}
}

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint reader, framed
// and as a bare payload, which must fail cleanly or give a usable state.
func FuzzCheckpoint(f *testing.F) {
	c := testCheckpoint(f)
	payload, err := c.payload()
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(f.TempDir(), "run.ckpt")
	if err := c.write(path); err != nil {
		f.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file)
	f.Add(payload)
	f.Add(file[:checkpointHeader])
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range []func([]byte) (*checkpoint, error){decodeCheckpoint, decodePayload} {
			c, err := decode(data)
			if err != nil {
				continue
			}
			if len(c.opt.m) != len(c.model.Params()) || c.options.Model != c.model.Config {
				t.Errorf("accepted an inconsistent state")
			}
			c.model.Close()
		}
	})
}
