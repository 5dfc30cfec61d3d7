package tensor

// Q5_K is Q4_K with a fifth bit per value: value = d·scale·q - dmin·min, q in
// [0, 31].
//
//	d      half       bytes 0-1
//	dmin   half       bytes 2-3
//	scales [12]byte   bytes 4-15   see unpackScaleMinK4
//	qh     [32]byte   bytes 16-47  bit k of byte l: high bit of value 32k+l
//	qs     [128]byte  bytes 48-175 low 4 bits, laid out as in Q4_K
const (
	q5KBytes = 176
	q5KQh    = 16
	q5KQs    = 48
)

func init() {
	register(Ops{
		Type:        Q5_K,
		VecDotType:  Q8_K,
		ToFloat:     dequantizeQ5K,
		Quantize:    quantizeQ5K,
		VecDot:      vecDotQ5K,
		VecDotBatch: vecDotBatchQ5K,
		VecDotRows:  vecDotRowsQ5K,
	})
}

func q5KBlock(b []byte, i int) *[q5KBytes]byte { return (*[q5KBytes]byte)(b[i*q5KBytes:]) }

// quantizeQ5K is quantize_row_q5_K_ref.
func quantizeQ5K(src []float32, dst []byte) {
	var L [qkK]uint8
	for i := range len(src) / qkK {
		b := q5KBlock(dst, i)
		quantizeScaleMinK(src[i*qkK:(i+1)*qkK], 31, -0.5, 0.1, 15, &L, (*[16]byte)(b[:16]))
		qh := b[q5KQh : q5KQh+32]
		clear(qh)
		for g := range 4 {
			q := b[q5KQs+32*g : q5KQs+32*g+32]
			for l := range q {
				lo, hi := L[64*g+l], L[64*g+32+l]
				qh[l] |= lo>>4<<(2*g) | hi>>4<<(2*g+1)
				q[l] = lo&0xF | hi<<4
			}
		}
	}
}

// dequantizeQ5K is dequantize_row_q5_K.
func dequantizeQ5K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := q5KBlock(src, i)
		d, dmin, sc, m := kScaleMinHeader(b[:])
		qh := b[q5KQh : q5KQh+32]
		y := dst[i*qkK : (i+1)*qkK]
		for g := range 4 {
			q := b[q5KQs+32*g : q5KQs+32*g+32]
			d1, m1 := d*float32(sc[2*g]), float32(dmin*float32(m[2*g]))
			d2, m2 := d*float32(sc[2*g+1]), float32(dmin*float32(m[2*g+1]))
			lo, hi := y[64*g:64*g+32], y[64*g+32:64*g+64]
			for l, v := range q {
				h := qh[l] >> (2 * g)
				lo[l] = float32(d1*float32(v&0xF|h&1<<4)) - m1
				hi[l] = float32(d2*float32(v>>4|h&2<<3)) - m2
			}
		}
	}
}
