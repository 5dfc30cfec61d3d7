package tensor

// Q4_K holds 256 values as 8 sub-blocks of 32, each with a 6-bit scale and a
// 6-bit min: value = d·scale·q - dmin·min, q in [0, 15].
//
//	d      half       bytes 0-1
//	dmin   half       bytes 2-3
//	scales [12]byte   bytes 4-15   see unpackScaleMinK4
//	qs     [128]byte  bytes 16-143 byte l of 32-byte group g: value 64g+l in
//	                               the low nibble, 64g+32+l in the high
const (
	q4KBytes = 144
	q4KQs    = 16
)

func init() {
	register(Ops{
		Type:        Q4_K,
		VecDotType:  Q8_K,
		ToFloat:     dequantizeQ4K,
		Quantize:    quantizeQ4K,
		VecDot:      vecDotQ4K,
		VecDotBatch: vecDotBatchQ4K,
		VecDotRows:  vecDotRowsQ4K,
	})
}

func q4KBlock(b []byte, i int) *[q4KBytes]byte { return (*[q4KBytes]byte)(b[i*q4KBytes:]) }

// kScaleMinHeader reads d, dmin and the sub-block scales and mins that Q4_K
// and Q5_K blocks start with.
func kScaleMinHeader(b []byte) (d, dmin float32, sc, m [8]uint8) {
	sc, m = unpackScaleMinK4((*[12]byte)(b[4:16]))
	return loadF16(b[0:]), loadF16(b[2:]), sc, m
}

// quantizeQ4K is quantize_row_q4_K_ref.
func quantizeQ4K(src []float32, dst []byte) {
	var L [qkK]uint8
	for i := range len(src) / qkK {
		b := q4KBlock(dst, i)
		quantizeScaleMinK(src[i*qkK:(i+1)*qkK], 15, -1, 0.1, 20, &L, (*[16]byte)(b[:16]))
		for g := range 4 {
			q := b[q4KQs+32*g : q4KQs+32*g+32]
			for l := range q {
				q[l] = L[64*g+l] | L[64*g+32+l]<<4
			}
		}
	}
}

// dequantizeQ4K is dequantize_row_q4_K.
func dequantizeQ4K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := q4KBlock(src, i)
		d, dmin, sc, m := kScaleMinHeader(b[:])
		y := dst[i*qkK : (i+1)*qkK]
		for g := range 4 {
			q := b[q4KQs+32*g : q4KQs+32*g+32]
			d1, m1 := d*float32(sc[2*g]), float32(dmin*float32(m[2*g]))
			d2, m2 := d*float32(sc[2*g+1]), float32(dmin*float32(m[2*g+1]))
			lo, hi := y[64*g:64*g+32], y[64*g+32:64*g+64]
			for l, v := range q {
				lo[l] = float32(d1*float32(v&0xF)) - m1
				hi[l] = float32(d2*float32(v>>4)) - m2
			}
		}
	}
}
