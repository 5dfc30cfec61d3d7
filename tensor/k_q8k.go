package tensor

import (
	"encoding/binary"
	"math"
)

// Q8_K is the activation format of the K-quant dot products: per 256 values a
// float32 scale d, the values as int8 (value = d·q), and the sums of each 16
// consecutive quants, which the dot products use to apply the weight
// formats' offsets without touching every value.
//
//	d      float32   bytes 0-3
//	qs     [256]int8 bytes 4-259
//	bsums  [16]int16 bytes 260-291
const (
	q8KBytes = 292
	q8KQs    = 4
	q8KBsums = 260
)

func init() {
	register(Ops{
		Type:       Q8_K,
		VecDotType: Q8_K,
		ToFloat:    dequantizeQ8K,
		Quantize:   quantizeQ8K,
		FromFloat:  fromFloatQ8K,
	})
}

// q8KBlock returns block i of a Q8_K row.
func q8KBlock(b []byte, i int) *[q8KBytes]byte {
	return (*[q8KBytes]byte)(b[i*q8KBytes:])
}

// q8KScale returns the scale d of a Q8_K block.
func q8KScale(b *[q8KBytes]byte) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[:4]))
}

// q8KBsum returns the sum of the quants j*16 … j*16+15 of a Q8_K block.
func q8KBsum(b *[q8KBytes]byte, j int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(b[q8KBsums+2*j:])))
}

// quantizeQ8K is quantize_row_q8_K_ref, which the reference's x86 CPU backend
// also uses for activations: the value of largest magnitude maps to -127 and
// the rest round to nearest, capped at 127.
func quantizeQ8K(src []float32, dst []byte) {
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		b := q8KBlock(dst, i)
		amax, peak := blockPeak(x)
		if amax == 0 {
			// The reference leaves bsums untouched here; zero is what a
			// zeroed block's sums are.
			clear(b[:])
			continue
		}
		iscale := -127 / peak
		for j, v := range x {
			b[q8KQs+j] = byte(int8(min(127, nearestInt(iscale*v))))
		}
		for j := range qkK / 16 {
			var sum int32
			for _, q := range b[q8KQs+16*j : q8KQs+16*j+16] {
				sum += int32(int8(q))
			}
			binary.LittleEndian.PutUint16(b[q8KBsums+2*j:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(b[:4], math.Float32bits(1/iscale))
	}
}

// dequantizeQ8K is dequantize_row_q8_K.
func dequantizeQ8K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := q8KBlock(src, i)
		d := q8KScale(b)
		y := dst[i*qkK : (i+1)*qkK]
		for j, q := range b[q8KQs : q8KQs+qkK] {
			y[j] = d * float32(int8(q))
		}
	}
}
