package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// TestKDotReferenceOrder checks the Q2_K, Q3_K and IQ4_XS dot products bit
// for bit against kDotReferenceOrder, which restates the float steps of the
// reference's AVX2 kernels on integer weights found by dequantizing.
func TestKDotReferenceOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, typ := range []Type{Q2_K, Q3_K, IQ4_XS} {
		t.Run(typ.String(), func(t *testing.T) {
			o, _ := OpsFor(typ)
			for trial := range 24 {
				nb := 1 + trial%6
				var w, x []byte
				switch trial % 3 {
				case 0: // quantized data
					w, x = quantizedRow(t, r, typ, nb*qkK)
				case 1: // random weight bits, quantized activations
					w, x = randomBlocks(r, typ, nb), make([]byte, nb*q8KBytes)
					quantizeQ8K(randomRow(r, nb*qkK), x)
				default: // random bits on both sides
					w, x = randomBlocks(r, typ, nb), randomBlocks(r, Q8_K, nb)
				}
				got, want := o.VecDot(nb*qkK, w, x), kDotReferenceOrder(t, typ, w, x)
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("trial %d, %d blocks: VecDot = %g, reference order %g", trial, nb, got, want)
				}
			}
		})
	}
}

// kDotReferenceOrder is the dot product of Q2_K, Q3_K or IQ4_XS weights w
// with Q8_K activations x as ggml_vec_dot_{q2_K,q3_K,iq4_xs}_q8_K's AVX2
// bodies sum it. Eight float32 accumulators; per super-block:
//
//   - Q2_K only: lane k gets, by a fused multiply-add, (-d8·dmin) times the
//     integer min·bsum of sub-blocks 2k and 2k+1;
//   - lane l gets (d8·d) times the integer sum of weight·q8 over the values
//     v with v mod 32 in [4l, 4l+3], again by a fused multiply-add.
//
// At the end hsum_float_8 adds the lanes: high half onto low, three times.
func kDotReferenceOrder(t *testing.T, typ Type, w, x []byte) float32 {
	size := typ.TypeSize()
	var acc [8]float32
	for i := range len(w) / size {
		blk, y := w[i*size:(i+1)*size], x[i*q8KBytes:(i+1)*q8KBytes]
		yd := math.Float32frombits(binary.LittleEndian.Uint32(y))
		fields := kScaleFields[typ] // d, then Q2_K's dmin
		if typ == Q2_K {
			mins := integerWeights(t, typ, blk, 0, 1) // -min of each value's sub-block
			dmin := -yd * h16(blk[fields[1]:])
			for k := range acc {
				var s int32
				for j := 2 * k; j < 2*k+2; j++ {
					s += -mins[16*j] * int32(int16(binary.LittleEndian.Uint16(y[260+2*j:])))
				}
				acc[k] = bigFMA(dmin, float32(s), acc[k])
			}
		}
		levels := integerWeights(t, typ, blk, 1, 0) // scale·level
		d := yd * h16(blk[fields[0]:])
		var lanes [8]int32
		for v, lv := range levels {
			lanes[v%32/4] += lv * int32(int8(y[4+v]))
		}
		for l, s := range lanes {
			acc[l] = bigFMA(d, float32(s), acc[l])
		}
	}
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

// integerWeights dequantizes a copy of one block whose super-block scale is
// d and whose min scale (Q2_K) is dmin, both 0 or 1, so that every value is a
// whole number, and returns the values as integers.
func integerWeights(t *testing.T, typ Type, blk []byte, d, dmin float32) []int32 {
	c := append([]byte(nil), blk...)
	for k, off := range kScaleFields[typ] {
		binary.LittleEndian.PutUint16(c[off:], F32ToF16([]float32{d, dmin}[k]))
	}
	f := make([]float32, qkK)
	if err := Dequantize(typ, c, f); err != nil {
		t.Fatal(err)
	}
	out := make([]int32, qkK)
	for v, fv := range f {
		if fv != float32(math.Trunc(float64(fv))) {
			t.Fatalf("%s value %d = %g, not a whole number", typ, v, fv)
		}
		out[v] = int32(fv)
	}
	return out
}
