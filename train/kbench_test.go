package train

import (
	"fmt"
	"testing"
)

func BenchmarkKernelOnly(b *testing.B) {
	k := 256
	a := make([]float32, k*mr)
	bb := make([]float32, k*nr)
	c := make([]float32, mr*nr)
	for i := range a {
		a[i] = 1
	}
	for i := range bb {
		bb[i] = 1
	}
	for b.Loop() {
		kernel(k, aPanel{a, 1, mr}, bb, c, nr, true)
	}
	b.ReportMetric(float64(b.N)*2*float64(k*mr*nr)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func BenchmarkGemm2048x256x768(b *testing.B) {
	m, k, n := 2048, 256, 768
	A := make([]float32, m*k)
	B := make([]float32, k*n)
	C := make([]float32, m*n)
	var buf gemmBuf
	for b.Loop() {
		gemm(rowMajor(C, m, n), rowMajor(A, m, k), rowMajor(B, k, n), false, &buf)
	}
	b.ReportMetric(float64(b.N)*2*float64(m*k*n)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func BenchmarkAttnHead(b *testing.B) {
	T, hd, qd := 256, 32, 256
	q := make([]float32, T*qd)
	k := make([]float32, T*qd)
	v := make([]float32, T*qd)
	o := make([]float32, T*qd)
	dq := make([]float32, T*qd)
	dk := make([]float32, T*qd)
	dv := make([]float32, T*qd)
	do := make([]float32, T*qd)
	for i := range q {
		q[i] = float32(i%7) * 0.01
		k[i] = float32(i%5) * 0.01
		v[i] = 1
		do[i] = 0.5
	}
	lse := make([]float32, T)
	s := make([]float32, T*T)
	ds := make([]float32, T*T)
	var buf gemmBuf
	view := func(x []float32) mat { return mat{x, T, hd, qd, 1} }
	for b.Loop() {
		attendForward(view(o), view(q), view(k), view(v), lse, 0.17, s, &buf)
		attendBackward(view(dq), view(dk), view(dv), view(do), view(q), view(k), view(v), view(o), lse, 0.17, false, s, ds, &buf)
	}
	// useful flops: 6 products (+1 recompute) of T*T*hd/2 MACs
	b.ReportMetric(float64(b.N)*7*float64(T*T*hd)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

func BenchmarkGemmDW(b *testing.B) {
	for _, sz := range [][3]int{{768, 2048, 256}, {256, 2048, 768}, {256, 2048, 256}, {4096, 2048, 256}} {
		m, k, n := sz[0], sz[1], sz[2]
		A := make([]float32, m*k)
		B := make([]float32, k*n)
		C := make([]float32, m*n)
		var buf gemmBuf
		b.Run(fmt.Sprint(m, "x", n), func(b *testing.B) {
			for b.Loop() {
				gemm(rowMajor(C, m, n), rowMajor(A, k, m).T(), rowMajor(B, k, n), true, &buf)
			}
			b.ReportMetric(float64(b.N)*2*float64(m*k*n)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

func BenchmarkMatmulShapes(b *testing.B) {
	c := Config{Dim: 256, Layers: 1, Heads: 8, KVHeads: 8, FFN: 768, Vocab: 4096, Context: 256, RopeBase: 10000, NormEps: 1e-5}
	m, _ := New(c, 1)
	defer m.Close()
	N := 2048
	for _, th := range []int{1, 2} {
		m.SetThreads(th)
		for _, sz := range [][4]int{{N, 256, 768, 0}, {N, 768, 256, 0}, {N, 256, 4096, 0}, {N, 256, 768, 1}, {N, 768, 256, 1}, {N, 4096, 256, 1}, {768, N, 256, 2}, {256, N, 768, 2}, {4096, N, 256, 2}} {
			M, K, Nn, kind := sz[0], sz[1], sz[2], sz[3]
			A := make([]float32, M*K)
			B := make([]float32, K*Nn)
			C := make([]float32, M*Nn)
			var am, bm mat
			switch kind {
			case 0: // forward: X · Wᵀ
				am, bm = rowMajor(A, M, K), rowMajor(B, Nn, K).T()
			case 1: // dX = dY · W
				am, bm = rowMajor(A, M, K), rowMajor(B, K, Nn)
			case 2: // dW = dYᵀ · X
				am, bm = rowMajor(A, K, M).T(), rowMajor(B, K, Nn)
			}
			b.Run(fmt.Sprintf("t%d/k%d/%dx%dx%d", th, kind, M, K, Nn), func(b *testing.B) {
				for b.Loop() {
					m.matmul(rowMajor(C, M, Nn), am, bm, kind == 2)
				}
				b.ReportMetric(float64(b.N)*2*float64(M*K*Nn)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}
