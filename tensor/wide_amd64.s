#include "textflag.h"
#include "lanes_amd64.h"

// The wide kernels: products of F16 or BF16 weight rows with activation
// rows that hold the activations' F16 or BF16 conversion widened back to
// float32, summed as the reference's tinyBLAS sums them (tileAcc).
//
// A weight block read from memory meets each activation row once; the
// activations, which the rows of a chunk share, come from L2 for every
// weight row, and with one weight row against several activation rows
// those loads bound the kernel. These kernels take two weight rows against
// three activation rows (four against six with AVX-512), so each
// activation load serves two products (four).
//
// Each kernel is written once, as a macro that takes the conversion of its
// weights: LOAD(M, R) converts the halves at M to float32 in R, exactly.

// LOAD_F16 converts halves.
#define LOAD_F16(M, R) VCVTPH2PS M, R

// LOAD_BF16 converts bfloat16s: each is the top half of a float32.
#define LOAD_BF16(M, R) VPMOVZXWD M, R; VPSLLD $16, R, R

// WIDE_FMA2 adds the sixteen activations (float32) at (DI)(R) times the
// first weight row's sixteen decoded weights (W0 lo, W1 hi) to A0, A1 and
// times the second's (W2, W3) to B0, B1.
#define WIDE_FMA2(R, W0, W1, W2, W3, A0, A1, B0, B1) \
	VFMADD231PS (DI)(R*1), W0, A0; \
	VFMADD231PS 32(DI)(R*1), W1, A1; \
	VFMADD231PS (DI)(R*1), W2, B0; \
	VFMADD231PS 32(DI)(R*1), W3, B1

// STORE_PAIR stores the sums of the 16-lane registers A (low half XA, high
// AH) and B (XB, BH), the two weight rows' results for one activation row,
// at (AX) and 4(AX), then moves AX on by BX bytes.
#define STORE_PAIR(A, XA, AH, B, XB, BH) \
	VADDPS AH, A, A; \
	SUM8(A, XA, X14); \
	VMOVSS XA, (AX); \
	VADDPS BH, B, B; \
	SUM8(B, XB, X14); \
	VMOVSS XB, 4(AX); \
	ADDQ   BX, AX

// WIDE23_AVX2 is the body of the kernels of two weight rows, wStride bytes
// apart, against three activation rows xStride bytes apart; the result of
// weight row i and activation row j goes to out[j·outStride+i]. Weight row
// i against activation row j accumulates in Y(6i+2j) and Y(6i+2j+1);
// Y12-Y15 hold the decoded weights. n is a multiple of 16.
#define WIDE23_AVX2(LOAD) \
	MOVQ w+0(FP), SI; \
	MOVQ wStride+8(FP), R12; \
	MOVQ x+16(FP), DI; \
	MOVQ xStride+24(FP), R8; \
	MOVQ n+32(FP), CX; \
	CLEAR_Y0_7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	SHRQ $4, CX; \
	JZ   done; \
	XORQ R10, R10; \
loop: \
	LOAD((SI), Y12); \
	LOAD(16(SI), Y13); \
	LOAD((SI)(R12*1), Y14); \
	LOAD(16(SI)(R12*1), Y15); \
	WIDE_FMA2(R10, Y12, Y13, Y14, Y15, Y0, Y1, Y6, Y7); \
	LEAQ (R10)(R8*1), R11; \
	WIDE_FMA2(R11, Y12, Y13, Y14, Y15, Y2, Y3, Y8, Y9); \
	LEAQ (R10)(R8*2), R11; \
	WIDE_FMA2(R11, Y12, Y13, Y14, Y15, Y4, Y5, Y10, Y11); \
	ADDQ $32, SI; \
	ADDQ $64, R10; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+40(FP), AX; \
	MOVQ outStride+48(FP), BX; \
	SHLQ $2, BX; \
	STORE_PAIR(Y0, X0, Y1, Y6, X6, Y7); \
	STORE_PAIR(Y2, X2, Y3, Y8, X8, Y9); \
	STORE_PAIR(Y4, X4, Y5, Y10, X10, Y11); \
	VZEROUPPER; \
	RET

// WIDE23_AVX512 is WIDE23_AVX2 with each product's sixteen lanes in one
// register: weight row i against activation row j in Z(3i+j), the decoded
// weights in Z12 and Z13. Lane i of a register is lane i of tileAcc, as
// the AVX2 kernel's register pairs hold them, so the two share their
// reduction.
#define WIDE23_AVX512(LOAD) \
	MOVQ w+0(FP), SI; \
	MOVQ wStride+8(FP), R12; \
	MOVQ x+16(FP), DI; \
	MOVQ xStride+24(FP), R8; \
	MOVQ n+32(FP), CX; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	SHRQ $4, CX; \
	JZ   done; \
	XORQ R10, R10; \
loop: \
	LOAD((SI), Z12); \
	LOAD((SI)(R12*1), Z13); \
	VFMADD231PS (DI)(R10*1), Z12, Z0; \
	VFMADD231PS (DI)(R10*1), Z13, Z3; \
	LEAQ (R10)(R8*1), R11; \
	VFMADD231PS (DI)(R11*1), Z12, Z1; \
	VFMADD231PS (DI)(R11*1), Z13, Z4; \
	LEAQ (R10)(R8*2), R11; \
	VFMADD231PS (DI)(R11*1), Z12, Z2; \
	VFMADD231PS (DI)(R11*1), Z13, Z5; \
	ADDQ $32, SI; \
	ADDQ $64, R10; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+40(FP), AX; \
	MOVQ outStride+48(FP), BX; \
	SHLQ $2, BX; \
	VEXTRACTF64X4 $1, Z0, Y6; \
	VEXTRACTF64X4 $1, Z3, Y9; \
	STORE_PAIR(Y0, X0, Y6, Y3, X3, Y9); \
	VEXTRACTF64X4 $1, Z1, Y7; \
	VEXTRACTF64X4 $1, Z4, Y10; \
	STORE_PAIR(Y1, X1, Y7, Y4, X4, Y10); \
	VEXTRACTF64X4 $1, Z2, Y8; \
	VEXTRACTF64X4 $1, Z5, Y11; \
	STORE_PAIR(Y2, X2, Y8, Y5, X5, Y11); \
	VZEROUPPER; \
	RET

// WIDE46_ROW adds the products of the four weight rows in Z24-Z27 and the
// activation row at X, loaded once into Z28, to their accumulators A0-A3.
#define WIDE46_ROW(X, A0, A1, A2, A3) \
	VMOVUPS     X, Z28; \
	VFMADD231PS Z28, Z24, A0; \
	VFMADD231PS Z28, Z25, A1; \
	VFMADD231PS Z28, Z26, A2; \
	VFMADD231PS Z28, Z27, A3

// WIDE46_SUM stores at OFF(AX) the sum of the sixteen lanes of Z (low half
// Y) as STORE_PAIR sums a row's two halves, using Y0 and X1.
#define WIDE46_SUM(Z, Y, OFF) \
	VEXTRACTF64X4 $1, Z, Y0; \
	VADDPS        Y, Y0, Y0; \
	SUM8(Y0, X0, X1); \
	VMOVSS        X0, OFF(AX)

// WIDE46_STORE stores the results of an activation row, whose accumulators
// are A0-A3 (low halves Y0-Y3), and moves AX on to the next row's.
#define WIDE46_STORE(A0, B0, A1, B1, A2, B2, A3, B3) \
	WIDE46_SUM(A0, B0, 0); \
	WIDE46_SUM(A1, B1, 4); \
	WIDE46_SUM(A2, B2, 8); \
	WIDE46_SUM(A3, B3, 12); \
	ADDQ BX, AX

// WIDE46_AVX512 is WIDE23_AVX512 for four weight rows against six
// activation rows: weight row i against activation row j accumulates in
// Z(6i+j), Z24-Z27 hold the decoded weights, and each activation loads
// once, into Z28, for four products. At the end Z0 and Z1 move to Z28 and
// Z29, so that Y0 and Y1 are free for the sums.
#define WIDE46_AVX512(LOAD) \
	MOVQ w+0(FP), SI; \
	MOVQ wStride+8(FP), R12; \
	LEAQ (R12)(R12*2), R13; \
	MOVQ x+16(FP), DI; \
	MOVQ xStride+24(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	MOVQ n+32(FP), CX; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23; \
	SHRQ $4, CX; \
	JZ   done; \
loop: \
	LOAD((SI), Z24); \
	LOAD((SI)(R12*1), Z25); \
	LOAD((SI)(R12*2), Z26); \
	LOAD((SI)(R13*1), Z27); \
	LEAQ (DI)(R8*4), R10; \
	WIDE46_ROW((DI), Z0, Z6, Z12, Z18); \
	WIDE46_ROW((DI)(R8*1), Z1, Z7, Z13, Z19); \
	WIDE46_ROW((DI)(R8*2), Z2, Z8, Z14, Z20); \
	WIDE46_ROW((DI)(R9*1), Z3, Z9, Z15, Z21); \
	WIDE46_ROW((R10), Z4, Z10, Z16, Z22); \
	WIDE46_ROW((R10)(R8*1), Z5, Z11, Z17, Z23); \
	ADDQ $32, SI; \
	ADDQ $64, DI; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+40(FP), AX; \
	MOVQ outStride+48(FP), BX; \
	SHLQ $2, BX; \
	VMOVAPS Z0, Z28; \
	VMOVAPS Z1, Z29; \
	WIDE46_STORE(Z28, Y28, Z6, Y6, Z12, Y12, Z18, Y18); \
	WIDE46_STORE(Z29, Y29, Z7, Y7, Z13, Y13, Z19, Y19); \
	WIDE46_STORE(Z2, Y2, Z8, Y8, Z14, Y14, Z20, Y20); \
	WIDE46_STORE(Z3, Y3, Z9, Y9, Z15, Y15, Z21, Y21); \
	WIDE46_STORE(Z4, Y4, Z10, Y10, Z16, Y16, Z22, Y22); \
	WIDE46_STORE(Z5, Y5, Z11, Y11, Z17, Y17, Z23, Y23); \
	CLEAR_ALL_HIGH_512; \
	VZEROUPPER; \
	RET

// func dot2x3F16WideAVX2(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)
TEXT ·dot2x3F16WideAVX2(SB), NOSPLIT, $0-56
	WIDE23_AVX2(LOAD_F16)

// func dot2x3F16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)
TEXT ·dot2x3F16WideAVX512(SB), NOSPLIT, $0-56
	WIDE23_AVX512(LOAD_F16)

// func dot4x6F16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)
TEXT ·dot4x6F16WideAVX512(SB), NOSPLIT, $0-56
	WIDE46_AVX512(LOAD_F16)

// func dot2x3BF16WideAVX2(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)
TEXT ·dot2x3BF16WideAVX2(SB), NOSPLIT, $0-56
	WIDE23_AVX2(LOAD_BF16)

// func dot2x3BF16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)
TEXT ·dot2x3BF16WideAVX512(SB), NOSPLIT, $0-56
	WIDE23_AVX512(LOAD_BF16)

// func dot4x6BF16WideAVX512(w *uint16, wStride int, x *float32, xStride, n int, out *float32, outStride int)
TEXT ·dot4x6BF16WideAVX512(SB), NOSPLIT, $0-56
	WIDE46_AVX512(LOAD_BF16)
