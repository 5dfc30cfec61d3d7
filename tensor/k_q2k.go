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
		Type:        Q2_K,
		VecDotType:  Q8_K,
		ToFloat:     dequantizeQ2K,
		Quantize:    quantizeQ2K,
		VecDot:      vecDotQ2K,
		VecDotBatch: vecDotBatchQ2K,
		VecDotRows:  vecDotRowsQ2K,
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

// vecDotQ2KGeneric sums as ggml_vec_dot_q2_K_q8_K does: per super-block, first
// the min terms, lane k taking sub-blocks 2k and 2k+1 with dmin = -d8·dmin,
// then the levels in the lanes8 scheme with d = d8·d, both added by fused
// multiply-adds to the same eight accumulators; sum8 at the end.
func vecDotQ2KGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var v [qkK]int8
	var lanes [8]int32
	var scales [16]int32
	for i := range n / qkK {
		b, y := q2KBlock(w, i), q8KBlock(x, i)
		yd := q8KScale(y)
		for k := range lanes {
			lanes[k] = int32(b[2*k]>>4)*q8KBsum(y, 2*k) + int32(b[2*k+1]>>4)*q8KBsum(y, 2*k+1)
		}
		accumulateLanes8(&acc, &lanes, -yd*loadF16(b[q2KDmin:]))
		unpack2Bits((*[64]byte)(b[q2KQs:]), &v)
		for j, sc := range b[:16] {
			scales[j] = int32(sc & 0xF)
		}
		kLanes(&v, y, &scales, &lanes)
		accumulateLanes8(&acc, &lanes, yd*loadF16(b[q2KD:]))
	}
	return sum8(&acc)
}
