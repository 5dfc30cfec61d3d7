package tensor

// Q2_K holds 256 values as 16 sub-blocks of 16, each with a 4-bit scale and a
// 4-bit min: value = d·scale·q - dmin·min, q in [0, 3].
//
//	scales [16]byte  bytes 0-15   scale in the low nibble, min in the high
//	qs     [64]byte  bytes 16-79  2-bit levels, see pack2Bits
//	d      half      bytes 80-81
//	dmin   half      bytes 82-83
const (
	q2KBytes = 84
	q2KQs    = 16
	q2KD     = 80
	q2KDmin  = 82
)

func init() {
	register(Ops{
		Type:       Q2_K,
		VecDotType: Q8_K,
		ToFloat:    dequantizeQ2K,
		Quantize:   quantizeQ2K,
		VecDot:     vecDotQ2K,
	})
}

func q2KBlock(b []byte, i int) *[q2KBytes]byte { return (*[q2KBytes]byte)(b[i*q2KBytes:]) }

// quantizeQ2K is quantize_row_q2_K_ref.
func quantizeQ2K(src []float32, dst []byte) {
	const q4scale = 15
	var (
		L            [qkK]uint8
		laux         [16]uint8
		w            [16]float32
		scales, mins [16]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		b := q2KBlock(dst, i)
		var maxScale, maxMin float32
		for j := range 16 {
			xs := x[16*j : 16*j+16]
			for l, v := range xs {
				w[l] = abs32(v)
			}
			scales[j], mins[j] = makeQkx2Quants(xs, w[:], 3, L[16*j:16*j+16], laux[:], -0.5, 0.1, 15, true)
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		clear(b[:16])
		storeF16(b[q2KD:], 0)
		storeF16(b[q2KDmin:], 0)
		if maxScale > 0 {
			iscale := q4scale / maxScale
			for j := range 16 {
				b[j] = uint8(nearestInt(iscale * scales[j]))
			}
			storeF16(b[q2KD:], maxScale/q4scale)
		}
		if maxMin > 0 {
			iscale := q4scale / maxMin
			for j := range 16 {
				b[j] |= uint8(nearestInt(iscale*mins[j])) << 4
			}
			storeF16(b[q2KDmin:], maxMin/q4scale)
		}
		fd, fdmin := loadF16(b[q2KD:]), loadF16(b[q2KDmin:])
		for j := range 16 {
			sd := fd * float32(b[j]&0xF)
			if sd == 0 {
				continue
			}
			dm := float32(fdmin * float32(b[j]>>4))
			for l, v := range x[16*j : 16*j+16] {
				L[16*j+l] = uint8(min(max(nearestInt((v+dm)/sd), 0), 3))
			}
		}
		pack2Bits(&L, (*[64]byte)(b[q2KQs:]))
	}
}

// dequantizeQ2K is dequantize_row_q2_K.
func dequantizeQ2K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := q2KBlock(src, i)
		d, dmin := loadF16(b[q2KD:]), loadF16(b[q2KDmin:])
		y := dst[i*qkK : (i+1)*qkK]
		for k := range 16 { // sub-block k: 16 values from one 32-byte half
			h, j, hi := k/8, k%8/2, k%2
			sc := b[k]
			dl, ml := d*float32(sc&0xF), float32(dmin*float32(sc>>4))
			q := b[q2KQs+32*h+16*hi : q2KQs+32*h+16*hi+16]
			shift := 2 * j
			out := y[16*k : 16*k+16]
			for l, v := range q {
				out[l] = float32(dl*float32(v>>shift&3)) - ml
			}
		}
	}
}

// vecDotQ2K is ggml_vec_dot_q2_K_q8_K: integer sums per sub-block times the
// sub-block scales, and the mins applied through the Q8_K partial sums.
func vecDotQ2K(n int, w, x []byte) float32 {
	var sumf float32
	for i := range n / qkK {
		sumf += dotQ2KBlock(q2KBlock(w, i), q8KBlock(x, i))
	}
	return sumf
}

// dotQ2KBlock is the dot product of one Q2_K block with one Q8_K block. It is a
// function of its own so that its inner loops get all the registers.
func dotQ2KBlock(b *[q2KBytes]byte, y *[q8KBytes]byte) float32 {
	var isum, summs int32
	for j := range 16 {
		summs += q8KBsum(y, j) * int32(b[j]>>4)
	}
	// Byte l of each 32-byte half holds values l, l+32, l+64 and l+96 of the
	// half's 128; each 16 bytes cover one sub-block of each.
	for h := range 2 {
		for r := range 2 {
			q := (*[16]byte)(b[q2KQs+32*h+16*r:])
			xs := (*[112]byte)(y[q8KQs+128*h+16*r:])
			var s0, s1, s2, s3 int32
			for l, v := range q {
				s0 += int32(int8(xs[l])) * int32(v&3)
				s1 += int32(int8(xs[l+32])) * int32(v>>2&3)
				s2 += int32(int8(xs[l+64])) * int32(v>>4&3)
				s3 += int32(int8(xs[l+96])) * int32(v>>6)
			}
			sc := b[8*h+r:]
			isum += int32(sc[0]&0xF)*s0 + int32(sc[2]&0xF)*s1 + int32(sc[4]&0xF)*s2 + int32(sc[6]&0xF)*s3
		}
	}
	yd := q8KScale(y)
	dall, dmin := yd*loadF16(b[q2KD:]), yd*loadF16(b[q2KDmin:])
	return dall*float32(isum) - dmin*float32(summs)
}
