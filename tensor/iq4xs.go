package tensor

import "encoding/binary"

// IQ4_XS holds 256 values as 8 sub-blocks of 32 with the IQ4_NL levels and
// signed 6-bit sub-block scales: value = d·(scale-32)·iq4nlValues[q].
//
//	d        half       bytes 0-1
//	scales_h uint16     bytes 2-3   top 2 bits of scale ib at bit 2·ib
//	scales_l [4]byte    bytes 4-7   low 4 bits of scale ib: byte ib/2, low
//	                                nibble for even ib
//	qs       [128]byte  bytes 8-135 16 bytes per sub-block: value j in the low
//	                                nibble of byte j, value j+16 in the high
const (
	iq4xsBytes = 136
	iq4xsQs    = 8
)

func init() {
	register(Ops{
		Type:        IQ4_XS,
		VecDotType:  Q8_K,
		ToFloat:     dequantizeIQ4XS,
		Quantize:    quantizeIQ4XS,
		VecDot:      vecDotIQ4XS,
		VecDotBatch: vecDotBatchIQ4XS,
		VecDotRows:  vecDotRowsIQ4XS,
	})
}

func iq4xsBlock(b []byte, i int) *[iq4xsBytes]byte {
	return (*[iq4xsBytes]byte)(b[i*iq4xsBytes:])
}

// iq4xsScale returns scale ib of a block, minus 32.
func iq4xsScale(b *[iq4xsBytes]byte, ib int) int32 {
	h := binary.LittleEndian.Uint16(b[2:])
	return int32(b[4+ib/2]>>(4*(ib%2))&0xF|uint8(h>>(2*ib)&3)<<4) - 32
}

// quantizeIQ4XS is quantize_iq4_xs without an importance matrix
// (quantize_row_iq4_nl_impl with ntry 7): each sub-block gets the IQ4_NL
// scale search, the sub-block scales are rounded to 6 bits against the
// super-block scale, and the values are requantized with the rounded scales.
func quantizeIQ4XS(src []float32, dst []byte) {
	var scales [qkK / 32]float32
	for i := range len(src) / qkK {
		x := src[i*qkK : (i+1)*qkK]
		b := iq4xsBlock(dst, i)
		var maxScale, amaxScale float32
		for ib := range scales {
			scales[ib] = iq4nlScale(x[32*ib : 32*ib+32])
			if a := abs32(scales[ib]); a > amaxScale {
				amaxScale, maxScale = a, scales[ib]
			}
		}
		d := -maxScale / 32
		storeF16(b[0:], d)
		id := inverse(d)
		var scalesH uint16
		scalesL := b[4:8]
		clear(scalesL)
		for ib := range scales {
			l := min(max(nearestInt(id*scales[ib]), -32), 31)
			idl := inverse(d * float32(l))
			xb := x[32*ib : 32*ib+32]
			qs := b[iq4xsQs+16*ib : iq4xsQs+16*ib+16]
			for j := range qs {
				qs[j] = iq4nlIndex(idl*xb[j]) | iq4nlIndex(idl*xb[j+16])<<4
			}
			l += 32
			scalesL[ib/2] |= uint8(l&0xF) << (4 * (ib % 2))
			scalesH |= uint16(l>>4) << (2 * ib)
		}
		binary.LittleEndian.PutUint16(b[2:], scalesH)
	}
}

// dequantizeIQ4XS is dequantize_row_iq4_xs.
func dequantizeIQ4XS(src []byte, dst []float32) {
	for i := range len(dst) / qkK {
		b := iq4xsBlock(src, i)
		d := loadF16(b[0:])
		for ib := range qkK / 32 {
			dl := d * float32(iq4xsScale(b, ib))
			qs := b[iq4xsQs+16*ib : iq4xsQs+16*ib+16]
			y := dst[i*qkK+32*ib : i*qkK+32*ib+32]
			for j, q := range qs {
				y[j] = dl * iq4nlLevels[q&0xF]
				y[j+16] = dl * iq4nlLevels[q>>4]
			}
		}
	}
}

// vecDotIQ4XSGeneric sums as ggml_vec_dot_iq4_xs_q8_K does: the levels in the
// lanes8 scheme, each 32-value sub-block with its scale, and d = d·d8.
func vecDotIQ4XSGeneric(n int, w, x []byte) float32 {
	var acc [8]float32
	var v [qkK]int8
	var lanes [8]int32
	var scales [16]int32
	for i := range n / qkK {
		b, y := iq4xsBlock(w, i), q8KBlock(x, i)
		for ib := range qkK / 32 {
			for j, q := range b[iq4xsQs+16*ib : iq4xsQs+16*ib+16] {
				v[32*ib+j], v[32*ib+16+j] = iq4nlValues[q&0xF], iq4nlValues[q>>4]
			}
			scales[2*ib] = iq4xsScale(b, ib)
			scales[2*ib+1] = scales[2*ib]
		}
		kLanes(&v, y, &scales, &lanes)
		accumulateLanes8(&acc, &lanes, loadF16(b[0:])*q8KScale(y))
	}
	return sum8(&acc)
}
