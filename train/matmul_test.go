package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int, std float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * std)
	}
	return s
}

// naiveProduct is A·B in float64.
func naiveProduct(a, b mat) []float64 {
	out := make([]float64, a.rows*b.cols)
	for i := range a.rows {
		for j := range b.cols {
			var s float64
			for p := range a.cols {
				s += float64(a.at(i, p)) * float64(b.at(p, j))
			}
			out[i*b.cols+j] = s
		}
	}
	return out
}

// TestGemm checks every operand layout the network uses (plain,
// transposed, a block of columns of a wider buffer), edge tiles, blocking
// along k and n, and accumulation.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf gemmBuf
	for _, sz := range [][3]int{{1, 1, 1}, {6, 16, 8}, {7, 17, 3}, {13, 40, 300}, {12, 150, 64}, {5, 300, 520}} {
		m, n, k := sz[0], sz[1], sz[2]
		for layout := range 4 {
			// A is m×k: stored as is, or as the transpose of a k×m buffer.
			var a, b mat
			if layout&1 == 0 {
				a = rowMajor(randSlice(rng, m*(k+3), 1), m, k+3).sub(0, m, 2, k) // columns of a wider buffer
			} else {
				a = rowMajor(randSlice(rng, k*m, 1), k, m).T()
			}
			if layout&2 == 0 {
				b = rowMajor(randSlice(rng, k*n, 1), k, n)
			} else {
				b = rowMajor(randSlice(rng, n*k, 1), n, k).T()
			}
			want := naiveProduct(a, b)
			c := rowMajor(randSlice(rng, m*n, 1), m, n)
			old := append([]float32(nil), c.data...)
			gemm(c, a, b, true, &buf)
			for i, w := range want {
				if got := float64(c.data[i]) - float64(old[i]); math.Abs(got-w) > 1e-4*math.Sqrt(float64(k)) {
					t.Fatalf("%v layout %d acc: element %d = %g, want %g", sz, layout, i, got, w)
				}
			}
			gemm(c, a, b, false, &buf)
			for i, w := range want {
				if got := float64(c.data[i]); math.Abs(got-w) > 1e-4*math.Sqrt(float64(k)) {
					t.Fatalf("%v layout %d: element %d = %g, want %g", sz, layout, i, got, w)
				}
			}
		}
	}
}

// TestKernelMatchesGeneric compares the kernel in use (assembly on AVX2
// machines) with its Go version, for A packed, read in place by rows and
// read in place transposed.
func TestKernelMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{1, 2, 7, 256} {
		b := randSlice(rng, k*nr, 1)
		for _, strides := range [][2]int{{1, mr}, {k + 3, 1}, {1, mr + 5}} {
			rs, ps := strides[0], strides[1]
			a := aPanel{randSlice(rng, (mr-1)*rs+(k-1)*ps+1, 1), rs, ps}
			const ldc = nr + 5
			c1 := randSlice(rng, (mr-1)*ldc+nr, 1)
			c2 := append([]float32(nil), c1...)
			for _, set := range []bool{false, true} {
				kernel(k, a, b, c1, ldc, set)
				kernelGeneric(k, a, b, c2, ldc, set)
				for i := range c1 {
					if math.Abs(float64(c1[i]-c2[i])) > 1e-5*float64(k) {
						t.Fatalf("k=%d strides %v set=%v: c[%d] = %g, generic %g", k, strides, set, i, c1[i], c2[i])
					}
				}
			}
		}
	}
}

// TestKernelPair checks the kernel for pairs of tiles: within rounding of
// its Go version, and bit for bit equal to the single-tile kernel twice,
// which keeps training's results the same on CPUs with and without
// AVX-512.
func TestKernelPair(t *testing.T) {
	if !useAVX512 {
		t.Log("AVX-512 not in use: the pair kernel runs as the single-tile kernel twice")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 3, 256} {
		const bnext = 300*nr + 7
		b := randSlice(rng, bnext+k*nr, 1)
		for _, strides := range [][2]int{{1, mr}, {k + 3, 1}, {1, mr + 5}} {
			rs, ps := strides[0], strides[1]
			a := aPanel{randSlice(rng, (mr-1)*rs+(k-1)*ps+1, 1), rs, ps}
			const ldc = 2*nr + 3
			c1 := randSlice(rng, (mr-1)*ldc+2*nr, 1)
			c2 := append([]float32(nil), c1...)
			c3 := append([]float32(nil), c1...)
			for _, set := range []bool{false, true} {
				kernelPair(k, a, b, bnext, c1, ldc, set)
				kernel(k, a, b, c2, ldc, set)
				kernel(k, a, b[bnext:], c2[nr:], ldc, set)
				kernelPairGeneric(k, a, b, bnext, c3, ldc, set)
				for i := range c1 {
					if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
						t.Fatalf("k=%d strides %v set=%v: c[%d] = %g, single-tile kernel %g", k, strides, set, i, c1[i], c2[i])
					}
					if math.Abs(float64(c1[i]-c3[i])) > 1e-5*float64(k) {
						t.Fatalf("k=%d strides %v set=%v: c[%d] = %g, generic %g", k, strides, set, i, c1[i], c3[i])
					}
				}
			}
		}
	}
}

// TestPackPanelMatchesGeneric compares the panel packing in use (assembly
// on AVX2 machines) with its Go version, for B stored by rows and as a
// transpose, at lengths around the 8-row blocks of the transposing one.
func TestPackPanelMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{1, 7, 8, 9, 24, 259} {
		src := randSlice(rng, (k+5)*(nr+3), 1)
		for _, b := range []mat{rowMajor(src, k+5, nr+3).sub(2, k, 1, nr), rowMajor(src, nr+3, k+5).T().sub(3, k, 2, nr)} {
			got, want := make([]float32, k*nr), make([]float32, k*nr)
			packPanel(got, b)
			packPanelGeneric(want, b)
			for i := range want {
				if got[i] != want[i] || want[i] != b.at(i/nr, i%nr) {
					t.Fatalf("k=%d strides %d,%d: element %d = %g, generic %g, source %g", k, b.rs, b.cs, i, got[i], want[i], b.at(i/nr, i%nr))
				}
			}
		}
	}
}

// TestPackColumnsMatchesGeneric compares the packing of transposed A
// panels in use (assembly on AVX2 machines) with its Go version.
func TestPackColumnsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{1, 2, 37} {
		a := rowMajor(randSlice(rng, (k+2)*(mr+4), 1), k+2, mr+4).T().sub(3, mr, 1, k)
		got, want := make([]float32, k*mr), make([]float32, k*mr)
		packColumns(got, a)
		packColumnsGeneric(want, a)
		for i := range want {
			if got[i] != want[i] || want[i] != a.at(i%mr, i/mr) {
				t.Fatalf("k=%d: element %d = %g, generic %g, source %g", k, i, got[i], want[i], a.at(i%mr, i/mr))
			}
		}
	}
}

// TestGemmTriangles checks that the causal shortcuts skip only zeros or
// unwanted values.
func TestGemmTriangles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var buf gemmBuf
	const n = 45
	for _, tri := range []triangle{lowerC, lowerA, upperA} {
		a := rowMajor(randSlice(rng, n*n, 1), n, n)
		for i := range n {
			for p := range n {
				if tri == lowerA && p > i || tri == upperA && p < i {
					a.data[i*n+p] = 0
				}
			}
		}
		b := rowMajor(randSlice(rng, n*20, 1), n, 20)
		if tri == lowerC {
			b = rowMajor(randSlice(rng, n*n, 1), n, n)
		}
		want := naiveProduct(a, b)
		// A as stored, and A as the transpose of a buffer holding Aᵀ.
		at := rowMajor(make([]float32, n*n), n, n)
		for i := range n {
			for p := range n {
				at.data[p*n+i] = a.at(i, p)
			}
		}
		for _, a := range []mat{a, at.T()} {
			c := rowMajor(make([]float32, n*b.cols), n, b.cols)
			gemmTri(c, a, b, false, tri, &buf)
			for i := range n {
				for j := range b.cols {
					if tri == lowerC && j > i {
						continue
					}
					if got, w := float64(c.at(i, j)), want[i*b.cols+j]; math.Abs(got-w) > 1e-4 {
						t.Fatalf("triangle %d, A strides %d,%d: C[%d][%d] = %g, want %g", tri, a.rs, a.cs, i, j, got, w)
					}
				}
			}
		}
	}
}
