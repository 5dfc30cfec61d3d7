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
		Type:        Q3_K,
		VecDotType:  Q8_K,
		ToFloat:     dequantizeQ3K,
		Quantize:    quantizeQ3K,
		VecDot:      vecDotQ3K,
		VecDotBatch: vecDotBatchQ3K,
		VecDotRows:  vecDotRowsQ3K,
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

// vecDotQ3KGeneric sums as ggml_vec_dot_q3_K_q8_K does: the levels in the lanes8
// scheme with d = d8·d.
func vecDotQ3KGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var v [qkK]int8
	var lanes [8]int32
	var scales [16]int32
	for i := range n / qkK {
		b, y := q3KBlock(w, i), q8KBlock(x, i)
		q3KLevels(b, &v)
		for j, sc := range unpackQ3KScales((*[12]byte)(b[q3KScales:])) {
			scales[j] = int32(sc)
		}
		kLanes(&v, y, &scales, &lanes)
		accumulateLanes8(&acc, &lanes, q8KScale(y)*loadF16(b[q3KD:]))
	}
	return sum8(&acc)
}

// q3KLevels unpacks the 256 levels of a Q3_K block in value order, as signed
// numbers in [-4, 3]: bit k of hmask byte l, set, is the high bit of value
// 32k+l; clear, it makes the level 4 lower.
func q3KLevels(b *[q3KBytes]byte, v *[qkK]int8) {
	unpack2Bits((*[64]byte)(b[q3KQs:]), v)
	for l, hm := range b[:32] {
		low := ^hm
		for k := range 8 {
			v[32*k+l] -= int8(low >> k & 1 << 2)
		}
	}
}
