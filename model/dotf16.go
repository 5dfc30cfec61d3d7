package model

import "math"

var kvPad = 256

func fma32(x, y, z float32) float32 { return float32(math.FMA(float64(x), float64(y), float64(z))) }

// dotF16 sums x·y in the order of the reference's AVX-512 F16 dot product.
func dotF16(x, y []float32) float32 {
	n := len(x)
	np := n &^ 63
	var acc [4][16]float32
	for i := 0; i < np; i += 64 {
		for j := 0; j < 4; j++ {
			for l := 0; l < 16; l++ {
				acc[j][l] = fma32(x[i+j*16+l], y[i+j*16+l], acc[j][l])
			}
		}
	}
	var sum float64
	if np > 0 {
		var a [16]float32
		for l := 0; l < 16; l++ {
			a[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
		}
		var t [8]float32
		for l := 0; l < 8; l++ {
			t[l] = a[l] + a[l+8]
		}
		u0, u1, u2, u3 := t[0]+t[4], t[1]+t[5], t[2]+t[6], t[3]+t[7]
		sum = float64((u0 + u2) + (u1 + u3))
	}
	for i := np; i < n; i++ {
		sum += float64(x[i] * y[i])
	}
	return float32(sum)
}
