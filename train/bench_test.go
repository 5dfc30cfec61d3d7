package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLoss6M times a forward and backward pass of a 6.2M-parameter
// model (tied embeddings) on a batch of 8 sequences of 256 tokens. Besides
// tokens per second it reports tokens per CPU-second where the system tells
// CPU time, which machines shared with other work measure more steadily.
func BenchmarkLoss6M(b *testing.B) {
	c := Config{Dim: 256, Layers: 6, Heads: 8, KVHeads: 8, FFN: 768, Vocab: 4096, Context: 256,
		RopeBase: 10000, NormEps: 1e-5, TiedEmbeddings: true}
	m, err := New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	batch := Batch{}
	for range 8 {
		in, tg := make([]int32, c.Context), make([]int32, c.Context)
		for i := range in {
			in[i], tg[i] = int32(rng.IntN(c.Vocab)), int32(rng.IntN(c.Vocab))
		}
		batch.Inputs, batch.Targets = append(batch.Inputs, in), append(batch.Targets, tg)
	}
	if _, err := m.Loss(batch); err != nil { // allocates the activations
		b.Fatal(err)
	}
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Loss(batch); err != nil {
			b.Fatal(err)
		}
	}
	tokens := float64(b.N * 8 * c.Context)
	b.ReportMetric(tokens/b.Elapsed().Seconds(), "tokens/s")
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(tokens/cpu, "tokens/cpu-s")
	}
}

// reportFlops reports the rate of a benchmark that does flops floating-point
// operations an iteration.
func reportFlops(b *testing.B, flops float64) {
	b.ReportMetric(float64(b.N)*flops/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// BenchmarkKernel times the register-blocked kernel alone, its operands in
// L1: the ceiling of every product.
func BenchmarkKernel(b *testing.B) {
	const k = 256
	rng := rand.New(rand.NewPCG(1, 2))
	a, p, c := randSlice(rng, k*mr, 1), randSlice(rng, 2*k*nr, 1), make([]float32, mr*2*nr)
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			kernel(k, aPanel{a, 1, mr}, p, c, nr, true)
		}
		reportFlops(b, 2*k*mr*nr)
	})
	b.Run("pair", func(b *testing.B) {
		for b.Loop() {
			kernelPair(k, aPanel{a, 1, mr}, p, k*nr, c, 2*nr, true)
		}
		reportFlops(b, 2*k*mr*2*nr)
	})
}

// BenchmarkMatmul times the products of a training step of the 6.2M model
// (batch 8×256) on the model's workers: the forward X·Wᵀ, the input
// gradient dY·W and the weight gradient dYᵀ·X, at its widths.
func BenchmarkMatmul(b *testing.B) {
	m, err := New(Config{Dim: 256, Layers: 1, Heads: 8, KVHeads: 8, FFN: 768, Vocab: 4096, Context: 256,
		RopeBase: 10000, NormEps: 1e-5}, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	const n = 2048
	for _, io := range [][2]int{{256, 256}, {256, 768}, {768, 256}, {256, 4096}} {
		in, out := io[0], io[1]
		x, w, y := make([]float32, n*in), make([]float32, out*in), make([]float32, n*out)
		for _, p := range []struct {
			name    string
			c, a, b mat
		}{
			{"forward", rowMajor(y, n, out), rowMajor(x, n, in), rowMajor(w, out, in).T()},
			{"input-grad", rowMajor(x, n, in), rowMajor(y, n, out), rowMajor(w, out, in)},
			{"weight-grad", rowMajor(w, out, in), rowMajor(y, n, out).T(), rowMajor(x, n, in)},
		} {
			b.Run(fmt.Sprintf("%s/%dx%d", p.name, in, out), func(b *testing.B) {
				for b.Loop() {
					m.matmul(p.c, p.a, p.b, false)
				}
				reportFlops(b, 2*n*float64(in*out))
			})
		}
	}
}

// BenchmarkAttention times the forward and backward pass of one head of
// 32 over 256 positions, counting the causal half of each of the seven
// T×T products (two forward, four backward, and the backward's recomputed
// scores).
func BenchmarkAttention(b *testing.B) {
	const t, hd, qd = 256, 32, 256
	rng := rand.New(rand.NewPCG(1, 2))
	buf := func() []float32 { return randSlice(rng, t*qd, 1) }
	q, k, v, o, do := buf(), buf(), buf(), buf(), buf()
	dq, dk, dv := buf(), buf(), buf()
	lse, s, ds := make([]float32, t), make([]float32, t*t), make([]float32, t*t)
	var gb gemmBuf
	head := func(x []float32) mat { return mat{x, t, hd, qd, 1} }
	for b.Loop() {
		attendForward(head(o), head(q), head(k), head(v), lse, 0.17, s, &gb)
		attendBackward(head(dq), head(dk), head(dv), head(do), head(q), head(k), head(v), head(o), lse, 0.17, false, s, ds, &gb)
	}
	reportFlops(b, 7*t*t*hd) // T²·hd/2 multiply-adds each
}
