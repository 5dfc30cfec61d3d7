package tensor

import "fmt"

// Ops are the kernels of one tensor type. Every function works on whole blocks
// and trusts its caller on lengths; the package-level wrappers check them.
type Ops struct {
	// Type is the type these kernels are for.
	Type Type
	// VecDotType is the type activations are converted to (with FromFloat of
	// that type) before VecDot: the reference never multiplies quantized
	// weights by float activations, and matching it needs the same rounding.
	VecDotType Type
	// ToFloat dequantizes len(dst)/BlockSize blocks from src.
	ToFloat func(src []byte, dst []float32)
	// Quantize encodes len(src)/BlockSize blocks with the reference's
	// quantization algorithm for weights, producing the reference's bytes.
	Quantize func(src []float32, dst []byte)
	// FromFloat encodes activations the way the reference's CPU backend does
	// before a matrix product. It may round differently from Quantize.
	FromFloat func(src []float32, dst []byte)
	// VecDot returns the dot product of n values, w in Type and x in
	// VecDotType. Nil for types that are only ever activations.
	VecDot func(n int, w, x []byte) float32
	// VecDotBatch, when set, computes VecDot of one weight row w against
	// rows activation rows, the first at the start of x and the others
	// stride bytes apart, and stores the results in out, outStride floats
	// apart. Each result is identical to VecDot's: it only saves unpacking
	// each weight block once per activation row.
	VecDotBatch func(n int, w, x []byte, stride, rows int, out []float32, outStride int)
	// VecDot2x4, when set, is VecDotBatch of four activation rows for two
	// weight rows at once, the first at the start of w and the other
	// wStride bytes on. The result of weight row i and activation row j
	// goes to out[j*outStride+i]. It saves loading each activation block
	// twice.
	VecDot2x4 func(n int, w []byte, wStride int, x []byte, stride int, out []float32, outStride int)
	// VecDotRows, when set, stores in out[r] VecDot of weight row r,
	// rowBytes bytes apart from the start of w, and the one activation row
	// x, for r < rows: what generation does with every matrix, without a
	// call per row.
	VecDotRows func(n int, w []byte, rowBytes, rows int, x []byte, out []float32)
	// BatchDot, when set, is the dot product the reference uses instead of
	// VecDot when it multiplies the matrix by two or more activation rows
	// at once and its tinyBLAS kernel takes the matrix's shape
	// (TinyBLASFits).
	BatchDot func(n int, w, x []byte) float32
	// BatchDotBatch, when set, is BatchDot for several activation rows, as
	// VecDotBatch is VecDot for them.
	BatchDotBatch func(n int, w, x []byte, stride, rows int, out []float32, outStride int)
	// BatchDotWide2x3, when set, is BatchDot of two weight rows, wStride
	// bytes apart, against three activation rows, xStride floats apart,
	// that hold the VecDotType conversion of the activations widened back
	// to float32 (exactly): they are decoded once per batch, not once per
	// weight row. The result of weight row i and activation row j goes to
	// out[j*outStride+i].
	BatchDotWide2x3 func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int)
	// BatchDotWide4x6, when set, is BatchDotWide2x3 for four weight rows
	// against six activation rows; matrix products take it with AVX-512,
	// which has the registers for it.
	BatchDotWide4x6 func(n int, w []byte, wStride int, x []float32, xStride int, out []float32, outStride int)
	// RepackRows and RepackDot describe the reference's "repack" kernels:
	// it stores a matrix of this type whose row count is a multiple of
	// RepackRows interleaved, RepackRows rows at a time, and multiplies it
	// with kernels of its own whatever the batch size. RepackDot sums as
	// those kernels do. Zero and nil for types it never repacks.
	RepackRows int
	RepackDot  func(n int, w, x []byte) float32
	// RepackDotRows, when set, sets out[i*outStride+r] to RepackDot of
	// weight row r, rowBytes bytes apart from the start of w, and
	// activation row i, xStride bytes apart from the start of x, for r <
	// rows and i < xRows. The reference's repack kernels keep each weight
	// row's sum in a lane of its own, and so does this, whatever the
	// number of activation rows. scratch holds RepackScratch(n) int32s for
	// it to use.
	RepackDotRows func(n int, w []byte, rowBytes, rows int, x []byte, xStride, xRows int, out []float32, outStride int, scratch []int32)
	// tile, where set, is the format in which the tile kernels
	// (q8_0_tile.go) take these weights in batches.
	tile *tileFormat
}

var opsTable = map[Type]*Ops{}

// register installs the kernels of a type; each format's file calls it from
// init. FromFloat defaults to Quantize.
func register(o Ops) {
	if o.FromFloat == nil {
		o.FromFloat = o.Quantize
	}
	opsTable[o.Type] = &o
}

// OpsFor returns the kernels of t, or an error naming the type when zhi cannot
// compute with it.
func OpsFor(t Type) (*Ops, error) {
	if o, ok := opsTable[t]; ok {
		return o, nil
	}
	return nil, fmt.Errorf("tensor type %s is not supported", t)
}

// Supported reports whether zhi can compute with tensors of type t.
func (t Type) Supported() bool {
	_, ok := opsTable[t]
	return ok
}

func checkLengths(t Type, nValues, nBytes int) error {
	size, err := t.RowSize(nValues)
	if err != nil {
		return err
	}
	if nBytes < size {
		return fmt.Errorf("%s: %d values need %d bytes, have %d", t, nValues, size, nBytes)
	}
	return nil
}

// Dequantize decodes len(dst) values of type t from src.
func Dequantize(t Type, src []byte, dst []float32) error {
	o, err := OpsFor(t)
	if err != nil {
		return err
	}
	if err := checkLengths(t, len(dst), len(src)); err != nil {
		return err
	}
	o.ToFloat(src, dst)
	return nil
}

// Quantize encodes src as type t into dst with the reference's algorithm.
func Quantize(t Type, src []float32, dst []byte) error {
	o, err := OpsFor(t)
	if err != nil {
		return err
	}
	if o.Quantize == nil {
		return fmt.Errorf("quantizing to %s is not supported", t)
	}
	if err := checkLengths(t, len(src), len(dst)); err != nil {
		return err
	}
	o.Quantize(src, dst)
	return nil
}

// RepackScratch is how many int32s of scratch Ops.RepackDotRows takes for
// rows of n values: the sums of each block's activation quants, and the
// activations' scales, for up to four activation rows at a time.
func RepackScratch(n int) int { return 8 * (n / legacyBlock) }
