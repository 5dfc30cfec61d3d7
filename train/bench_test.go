package train

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkLoss6M times a forward and backward pass of a 6.2M-parameter
// model (tied embeddings) on a batch of 8 sequences of 256 tokens. Besides
// tokens per second it reports tokens per CPU-second where the system tells
// CPU time, which machines shared with other work measure more steadily.
func BenchmarkLoss6M(b *testing.B)  { benchLoss(b, 0) }
func BenchmarkLoss6M1(b *testing.B) { benchLoss(b, 1) }
func benchLoss(b *testing.B, threads int) {
	c := Config{Dim: 256, Layers: 6, Heads: 8, KVHeads: 8, FFN: 768, Vocab: 4096, Context: 256,
		RopeBase: 10000, NormEps: 1e-5, TiedEmbeddings: true}
	m, err := New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	m.SetThreads(threads)
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
