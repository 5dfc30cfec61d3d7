package tensor

// Q6_K holds 256 values as 16 sub-blocks of 16 with signed 8-bit scales:
// value = d·scale·(q-32), q in [0, 63] split into 4 low and 2 high bits.
//
//	ql     [128]byte  bytes 0-127   low 4 bits: in 64-byte half h, byte l
//	                                holds value 128h+l (low nibble) and
//	                                128h+l+64 (high); byte l+32 holds
//	                                128h+l+32 and 128h+l+96
//	qh     [64]byte   bytes 128-191 high 2 bits: byte 32h+l holds values
//	                                128h+l, +32, +64, +96 from the low bits up
//	scales [16]int8   bytes 192-207
//	d      half       bytes 208-209
const (
	q6KBytes  = 210
	q6KQh     = 128
	q6KScales = 192
	q6KD      = 208
)

func init() {
	register(Ops{
		Type:        Q6_K,
		VecDotType:  Q8_K,
		ToFloat:     dequantizeQ6K,
		Quantize:    quantizeQ6K,
		VecDot:      vecDotQ6K,
		VecDotBatch: vecDotBatchQ6K,
		VecDotRows:  vecDotRowsQ6K,
	})
}

func q6KBlock(b []byte, i int) *[q6KBytes]byte { return (*[q6KBytes]byte)(b[i*q6KBytes:]) }

// quantizeQ6K is quantize_row_q6_K_ref.
func quantizeQ6K(src []float32, dst []byte) {
	var (
		L      [qkK]int8
		scales [16]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		b := q6KBlock(dst, i)
		var maxScale, maxAbsScale float32
		for j := range 16 {
			scales[j] = makeQxQuants(x[16*j:16*j+16], 32, L[16*j:16*j+16])
			if s := abs32(scales[j]); s > maxAbsScale {
				maxAbsScale, maxScale = s, scales[j]
			}
		}
		if maxAbsScale < groupMaxEps {
			clear(b[:])
			continue
		}
		iscale := -128 / maxScale
		storeF16(b[q6KD:], 1/iscale)
		sc := b[q6KScales : q6KScales+16]
		for j := range sc {
			sc[j] = byte(int8(min(127, nearestInt(iscale*scales[j]))))
		}
		fd := loadF16(b[q6KD:])
		for j := range 16 {
			sd := fd * float32(int8(sc[j]))
			if sd == 0 {
				continue
			}
			for l, v := range x[16*j : 16*j+16] {
				L[16*j+l] = int8(min(max(nearestInt(v/sd), -32), 31) + 32)
			}
		}
		for h := range 2 {
			ql := b[64*h : 64*h+64]
			qh := b[q6KQh+32*h : q6KQh+32*h+32]
			l := L[128*h:]
			for j := range 32 {
				ql[j] = byte(l[j]&0xF | l[j+64]<<4)
				ql[j+32] = byte(l[j+32]&0xF | l[j+96]<<4)
				qh[j] = byte(l[j]>>4 | l[j+32]>>4<<2 | l[j+64]>>4<<4 | l[j+96]>>4<<6)
			}
		}
	}
}

// q6KLevels returns the four levels (minus 32) that bytes l and l+32 of a
// 64-byte ql half and byte l of its qh half hold: values l, l+32, l+64, l+96.
func q6KLevels(ql0, ql32, qh byte) (q1, q2, q3, q4 int32) {
	q1 = int32(ql0&0xF|qh&3<<4) - 32
	q2 = int32(ql32&0xF|qh>>2&3<<4) - 32
	q3 = int32(ql0>>4|qh>>4&3<<4) - 32
	q4 = int32(ql32>>4|qh>>6<<4) - 32
	return
}

// dequantizeQ6K is dequantize_row_q6_K.
func dequantizeQ6K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := q6KBlock(src, i)
		d := loadF16(b[q6KD:])
		y := dst[i*qkK : (i+1)*qkK]
		for h := range 2 {
			ql := (*[64]byte)(b[64*h:])
			qh := (*[32]byte)(b[q6KQh+32*h:])
			sc := (*[8]byte)(b[q6KScales+8*h:])
			out := (*[128]float32)(y[128*h:])
			for l := range 32 {
				is := l / 16
				q1, q2, q3, q4 := q6KLevels(ql[l], ql[l+32], qh[l])
				out[l] = d * float32(int8(sc[is])) * float32(q1)
				out[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				out[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				out[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}
