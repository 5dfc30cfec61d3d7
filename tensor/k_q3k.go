package tensor

// Q3_K holds 256 values as 16 sub-blocks of 16 with signed 6-bit scales:
// value = d·(scale-32)·(q-4), q in [0, 7] split into a low 2-bit part and a
// high bit.
//
//	hmask  [32]byte  bytes 0-31    high bits: bit k of byte l is value 32k+l
//	qs     [64]byte  bytes 32-95   low 2 bits, see pack2Bits
//	scales [12]byte  bytes 96-107  see unpackQ3KScales
//	d      half      bytes 108-109
const (
	q3KBytes  = 110
	q3KQs     = 32
	q3KScales = 96
	q3KD      = 108
)

func init() {
	register(Ops{
		Type:       Q3_K,
		VecDotType: Q8_K,
		ToFloat:    dequantizeQ3K,
		Quantize:   quantizeQ3K,
		VecDot:     vecDotQ3K,
	})
}

func q3KBlock(b []byte, i int) *[q3KBytes]byte { return (*[q3KBytes]byte)(b[i*q3KBytes:]) }

// unpackQ3KScales returns the 16 scales minus 32. Scale j keeps its low
// nibble in byte j%8 (low nibble for j < 8, high otherwise) and its top two
// bits in byte 8+j%4 at bit 2·(j/4).
func unpackQ3KScales(p *[12]byte) (s [16]int8) {
	for j := range 16 {
		low := p[j%8] >> (4 * (j / 8)) & 0xF
		high := p[8+j%4] >> (2 * (j / 4)) & 3
		s[j] = int8(low|high<<4) - 32
	}
	return s
}

// quantizeQ3K is quantize_row_q3_K_ref.
func quantizeQ3K(src []float32, dst []byte) {
	var (
		L      [qkK]int8
		levels [qkK]uint8
		scales [16]float32
	)
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		b := q3KBlock(dst, i)
		var maxScale, amax float32
		for j := range 16 {
			scales[j] = makeQ3Quants(x[16*j:16*j+16], 4, L[16*j:16*j+16])
			if s := abs32(scales[j]); s > amax {
				amax, maxScale = s, scales[j]
			}
		}
		p := (*[12]byte)(b[q3KScales:])
		clear(p[:])
		storeF16(b[q3KD:], 0)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := range 16 {
				l := uint8(min(max(int8(nearestInt(iscale*scales[j])), -32), 31) + 32)
				p[j%8] |= (l & 0xF) << (4 * (j / 8))
				p[8+j%4] |= l >> 4 << (2 * (j / 4))
			}
			storeF16(b[q3KD:], 1/iscale)
		}
		fd := loadF16(b[q3KD:])
		sc := unpackQ3KScales(p)
		for j := range 16 {
			sd := fd * float32(sc[j])
			if sd == 0 {
				continue
			}
			for l, v := range x[16*j : 16*j+16] {
				L[16*j+l] = int8(min(max(nearestInt(v/sd), -4), 3) + 4)
			}
		}
		hmask := b[:32]
		clear(hmask)
		for j, l := range L {
			if l > 3 {
				hmask[j%32] |= 1 << (j / 32)
			}
			levels[j] = uint8(l) & 3
		}
		pack2Bits(&levels, (*[64]byte)(b[q3KQs:]))
	}
}

// dequantizeQ3K is dequantize_row_q3_K.
func dequantizeQ3K(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := q3KBlock(src, i)
		d := loadF16(b[q3KD:])
		sc := unpackQ3KScales((*[12]byte)(b[q3KScales:]))
		y := dst[i*qkK : (i+1)*qkK]
		for k := range 16 { // sub-block k: values 16k … 16k+15
			h, j, hi := k/8, k%8/2, k%2
			dl := d * float32(sc[k])
			shift, bit := 2*j, byte(1)<<(4*h+j)
			q := b[q3KQs+32*h+16*hi : q3KQs+32*h+16*hi+16]
			hm := b[16*hi : 16*hi+16]
			out := y[16*k : 16*k+16]
			for l, v := range q {
				lv := int32(v >> shift & 3)
				if hm[l]&bit == 0 {
					lv -= 4
				}
				out[l] = dl * float32(lv)
			}
		}
	}
}

// vecDotQ3K is ggml_vec_dot_q3_K_q8_K.
func vecDotQ3K(n int, w, x []byte) float32 {
	var sumf float32
	for i := range n / qkK {
		sumf += dotQ3KBlock(q3KBlock(w, i), q8KBlock(x, i))
	}
	return sumf
}

// dotQ3KBlock is the dot product of one Q3_K block with one Q8_K block.
func dotQ3KBlock(b *[q3KBytes]byte, y *[q8KBytes]byte) float32 {
	sc := unpackQ3KScales((*[12]byte)(b[q3KScales:]))
	var isum int32
	// As in Q2_K, byte l of a 32-byte half of qs holds values l, l+32, l+64
	// and l+96 of the half; their high bits are bits 4h … 4h+3 of hmask byte
	// l. A clear high bit makes the level 4 lower.
	for h := range 2 {
		shift := uint(4*h) & 7
		for r := range 2 {
			q := (*[16]byte)(b[q3KQs+32*h+16*r:])
			hm := (*[16]byte)(b[16*r:])
			xs := (*[112]byte)(y[q8KQs+128*h+16*r:])
			var s0, s1, s2, s3 int32
			for l, v := range q {
				low := int32(^hm[l] >> shift)
				s0 += int32(int8(xs[l])) * (int32(v&3) - low&1<<2)
				s1 += int32(int8(xs[l+32])) * (int32(v>>2&3) - low&2<<1)
				s2 += int32(int8(xs[l+64])) * (int32(v>>4&3) - low&4)
				s3 += int32(int8(xs[l+96])) * (int32(v>>6) - low&8>>1)
			}
			k := 8*h + r
			isum += int32(sc[k])*s0 + int32(sc[k+2])*s1 + int32(sc[k+4])*s2 + int32(sc[k+6])*s3
		}
	}
	return loadF16(b[q3KD:]) * q8KScale(y) * float32(isum)
}
