package tensor

// Block layout (ggml's block_q4_0): d F16 | qs [16]byte. Value j (j < 16)
// is the low nibble of qs[j] and value j+16 the high nibble; a nibble q
// stands for (q-8)·d.
const q4_0Bytes = 18

func init() {
	register(Ops{
		Type:       Q4_0,
		VecDotType: Q8_0,
		ToFloat:    toFloatQ4_0,
		Quantize:   quantizeQ4_0,
		VecDot:     vecDotQ4_0,
	})
}

// truncLevel returns the level of a scaled value v: the reference adds half a
// step plus the zero level (offset) and truncates, which rounds halves up
// for the values it produces. The clamp to [0, top] holds the result to the
// format's levels for non-finite input, whatever the reference does then.
func truncLevel(v, offset float32, top int) byte {
	return byte(max(0, min(top, int(v+offset))))
}

func quantizeQ4_0(src []float32, dst []byte) {
	for i := range len(src) / legacyBlock {
		x := src[i*legacyBlock : (i+1)*legacyBlock]
		b := dst[i*q4_0Bytes : (i+1)*q4_0Bytes]
		_, peak := blockPeak(x)
		d := peak / -8
		id := inverse(d)
		storeF16(b, d)
		qs := b[2:q4_0Bytes]
		for j := range qs {
			// The conversions round each product, as the reference does,
			// so that no compiler fuses it with the addition.
			lo := truncLevel(float32(x[j]*id), 8.5, 15)
			hi := truncLevel(float32(x[j+16]*id), 8.5, 15)
			qs[j] = lo | hi<<4
		}
	}
}

func toFloatQ4_0(src []byte, dst []float32) {
	for i := range len(dst) / legacyBlock {
		b := src[i*q4_0Bytes : (i+1)*q4_0Bytes]
		d := loadF16(b)
		out := dst[i*legacyBlock : (i+1)*legacyBlock]
		for j, q := range b[2:q4_0Bytes] {
			out[j] = float32(int(q&15)-8) * d
			out[j+16] = float32(int(q>>4)-8) * d
		}
	}
}

func vecDotQ4_0(n int, w, x []byte) float32 {
	var sum float32
	for i := range n / legacyBlock {
		wb := w[i*q4_0Bytes : (i+1)*q4_0Bytes]
		xb := x[i*q8_0Bytes : (i+1)*q8_0Bytes]
		xq := xb[2:q8_0Bytes]
		var s int32
		for j, q := range wb[2:q4_0Bytes] {
			s += (int32(q&15)-8)*int32(int8(xq[j])) + (int32(q>>4)-8)*int32(int8(xq[j+16]))
		}
		sum += float32(s) * (loadF16(wb) * loadF16(xb))
	}
	return sum
}
