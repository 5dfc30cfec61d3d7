#include "textflag.h"
#include "lanes_amd64.h"
#include "blocks_amd64.h"

// The tile kernels of q8_0_tile.go, one per weight format (Q8_0, Q5_0,
// IQ4_NL, whose levels blocks_amd64.h loads) and layout.
//
// AVX2: two weight rows against five activation rows in the split layout,
// summed as vecDotQ8_0 sums (lanes8). A weight block's 32 levels, as
// signed bytes, are taken as sixteen words; shifting a word left
// by 8 and then arithmetically right by 8 sign-extends its even byte, and
// shifting it right by 8 its odd byte. VPMADDWD of the even words with the
// activation's even quants gives dword l the products 4l and 4l+2, of the
// odd words the products 4l+1 and 4l+3: their sum is lane l of lanes8,
// exactly, with no sign juggling (so -128 is no special case). Each block
// then adds the lanes times dw·dx to the accumulator with one VFMADD231PS,
// rounded once as fma32 rounds.
//
// Registers: Y(2c+r) accumulates weight row r against activation row c;
// Y10/Y11 hold row 0's even and odd words, Y12/Y13 row 1's; Y14 and Y15
// are scratch (the levels use Y14). The ten scale products of a block are made by two
// multiplications and kept on the stack, from which each is broadcast.

// TILE_PAIR adds to ACC the block of weight row r (even words WE, odd WO)
// times the activation block whose even quants are at XE and odd at XO,
// with the scale product at S(SP).
#define TILE_PAIR(XE, XO, WE, WO, S, ACC) \
	VPMADDWD     XE, WE, Y14; \
	VPMADDWD     XO, WO, Y15; \
	VPADDD       Y15, Y14, Y14; \
	VCVTDQ2PS    Y14, Y14; \
	VBROADCASTSS S(SP), Y15; \
	VFMADD231PS  Y14, Y15, ACC

// TILE_COLUMN adds both weight rows' blocks times one activation block.
// Row r's scale product with activation row c is at 32r+4c(SP).
#define TILE_COLUMN(XE, XO, c, ACC0, ACC1) \
	TILE_PAIR(XE, XO, Y10, Y11, (4*c), ACC0); \
	TILE_PAIR(XE, XO, Y12, Y13, (32+4*c), ACC1)

// WORDS sets E to the even levels of O, a block's levels as bytes, and O
// to its odd ones, each as words.
#define WORDS(E, O) \
	VPSLLW  $8, O, E; \
	VPSRAW  $8, E, E; \
	VPSRAW  $8, O, O

// SCALE_PRODUCTS stores at OFF(SP) the weight block scale at ADDR times
// each of the eight activation scales in Y14.
#define SCALE_PRODUCTS(ADDR, OFF) \
	VPBROADCASTW ADDR, X15; \
	VCVTPH2PS    X15, Y15; \
	VMULPS       Y14, Y15, Y15; \
	VMOVUPS      Y15, OFF(SP)

// TILE_AVX2 is the body of the AVX2 kernel for blocks of WSIZE bytes whose
// levels LEVELS loads.
#define TILE_AVX2(LEVELS, WSIZE) \
	MOVQ w+0(FP), SI; \
	MOVQ wStride+8(FP), R12; \
	MOVQ x+16(FP), DI; \
	MOVQ xStride+24(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	MOVQ d+32(FP), DX; \
	MOVQ dStride+40(FP), R10; \
	MOVQ blocks+48(FP), CX; \
	CLEAR_Y0_7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	TESTQ  CX, CX; \
	JZ     done; \
loop: \
	VMOVUPS (DX), Y14; \
	SCALE_PRODUCTS((SI), 0); \
	SCALE_PRODUCTS((SI)(R12*1), 32); \
	LEAQ (SI)(R12*1), R13; \
	LEVELS(SI, Y11, X11, Y14, X14); \
	WORDS(Y10, Y11); \
	LEVELS(R13, Y13, X13, Y14, X14); \
	WORDS(Y12, Y13); \
	TILE_COLUMN((DI), 32(DI), 0, Y0, Y1); \
	TILE_COLUMN((DI)(R8*1), 32(DI)(R8*1), 1, Y2, Y3); \
	TILE_COLUMN((DI)(R8*2), 32(DI)(R8*2), 2, Y4, Y5); \
	TILE_COLUMN((DI)(R9*1), 32(DI)(R9*1), 3, Y6, Y7); \
	TILE_COLUMN((DI)(R8*4), 32(DI)(R8*4), 4, Y8, Y9); \
	ADDQ $WSIZE, SI; \
	ADDQ $64, DI; \
	ADDQ R10, DX; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+56(FP), AX; \
	MOVQ outStride+64(FP), BX; \
	SHLQ $2, BX; \
	STORE_SUM8_PAIR(Y0, X0, Y1, X1); \
	STORE_SUM8_PAIR(Y2, X2, Y3, X3); \
	STORE_SUM8_PAIR(Y4, X4, Y5, X5); \
	STORE_SUM8_PAIR(Y6, X6, Y7, X7); \
	STORE_SUM8_PAIR(Y8, X8, Y9, X9); \
	VZEROUPPER; \
	RET

// AVX-512 VNNI: two weight rows against eight activation rows in the VNNI
// layout (q8_0_tile.go). Z8 holds both weight rows' levels, row 0's in the low half and row 1's in the high, each with its
// sign bit flipped (Z14 holds the 0x80s); Z9 their scales, eight lanes
// each. Each activation block's quants and corrections are broadcast to
// both halves, so VPDPBUSD leaves lanes8's lanes of row 0 in the low half
// and of row 1 in the high half, exactly as the AVX2 kernel's two
// registers hold them. Z9 times the column's activation scale (an embedded
// broadcast) gives each half its scale product, rounded as SCALE_PRODUCTS
// rounds it, and Z(c) accumulates column c: every float step is the AVX2
// kernel's, lane for lane.

// TILE_VNNI adds both weight rows' blocks times the activation block with
// quants at XQ and corrections at XC to ACC, with the activation scale at
// S.
#define TILE_VNNI(XQ, XC, S, ACC) \
	VBROADCASTI64X4 XQ, Z10; \
	VBROADCASTI64X4 XC, Z11; \
	VPDPBUSD        Z10, Z8, Z11; \
	VCVTDQ2PS       Z11, Z11; \
	VMULPS.BCST     S, Z9, Z12; \
	VFMADD231PS     Z11, Z12, ACC

// STORE_HALVES stores the sums of both halves of Z (low half Y, X) as
// STORE_SUM8_PAIR stores a pair. It uses Y8.
#define STORE_HALVES(Z, Y, X) \
	VEXTRACTF64X4 $1, Z, Y8; \
	STORE_SUM8_PAIR(Y, X, Y8, X8)

// TILE_VNNI_BODY is the body of the VNNI kernel for blocks of WSIZE bytes
// whose levels LEVELS loads.
#define TILE_VNNI_BODY(LEVELS, WSIZE) \
	MOVQ w+0(FP), SI; \
	MOVQ wStride+8(FP), R12; \
	MOVQ x+16(FP), DI; \
	MOVQ xStride+24(FP), R8; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R8)(R8*4), R11; \
	MOVQ d+32(FP), DX; \
	MOVQ dStride+40(FP), R10; \
	MOVQ blocks+48(FP), CX; \
	CLEAR_Y0_7; \
	MOVL $0x80808080, AX; \
	VPBROADCASTD AX, Z14; \
	TESTQ  CX, CX; \
	JZ     done; \
loop: \
	LEAQ (SI)(R12*1), AX; \
	LEVELS(SI, Y8, X8, Y10, X10); \
	LEVELS(AX, Y13, X13, Y10, X10); \
	VINSERTI64X4 $1, Y13, Z8, Z8; \
	VPXORD Z14, Z8, Z8; \
	VPBROADCASTW (SI), X9; \
	VPBROADCASTW (AX), X13; \
	VINSERTI128 $1, X13, Y9, Y9; \
	VCVTPH2PS Y9, Z9; \
	LEAQ (DI)(R11*1), R13; \
	TILE_VNNI((DI), 32(DI), (DX), Z0); \
	TILE_VNNI((DI)(R8*1), 32(DI)(R8*1), 4(DX), Z1); \
	TILE_VNNI((DI)(R8*2), 32(DI)(R8*2), 8(DX), Z2); \
	TILE_VNNI((DI)(R9*1), 32(DI)(R9*1), 12(DX), Z3); \
	TILE_VNNI((DI)(R8*4), 32(DI)(R8*4), 16(DX), Z4); \
	TILE_VNNI((R13), 32(R13), 20(DX), Z5); \
	TILE_VNNI((R13)(R8*1), 32(R13)(R8*1), 24(DX), Z6); \
	TILE_VNNI((R13)(R8*2), 32(R13)(R8*2), 28(DX), Z7); \
	ADDQ $WSIZE, SI; \
	ADDQ $64, DI; \
	ADDQ R10, DX; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+56(FP), AX; \
	MOVQ outStride+64(FP), BX; \
	SHLQ $2, BX; \
	STORE_HALVES(Z0, Y0, X0); \
	STORE_HALVES(Z1, Y1, X1); \
	STORE_HALVES(Z2, Y2, X2); \
	STORE_HALVES(Z3, Y3, X3); \
	STORE_HALVES(Z4, Y4, X4); \
	STORE_HALVES(Z5, Y5, X5); \
	STORE_HALVES(Z6, Y6, X6); \
	STORE_HALVES(Z7, Y7, X7); \
	VZEROUPPER; \
	RET

// func tileQ8_0AVX2(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileQ8_0AVX2(SB), NOSPLIT, $64-72
	TILE_AVX2(Q8_0_LEVELS, 34)

// func tileQ5_0AVX2(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileQ5_0AVX2(SB), NOSPLIT, $64-72
	TILE_AVX2(Q5_0_LEVELS, 22)

// func tileIQ4_NLAVX2(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileIQ4_NLAVX2(SB), NOSPLIT, $64-72
	TILE_AVX2(IQ4NL_LEVELS, 18)

// func tileQ8_0VNNI(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileQ8_0VNNI(SB), NOSPLIT, $0-72
	TILE_VNNI_BODY(Q8_0_LEVELS, 34)

// func tileQ5_0VNNI(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileQ5_0VNNI(SB), NOSPLIT, $0-72
	TILE_VNNI_BODY(Q5_0_LEVELS, 22)

// func tileIQ4_NLVNNI(w *byte, wStride int, x *byte, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileIQ4_NLVNNI(SB), NOSPLIT, $0-72
	TILE_VNNI_BODY(IQ4NL_LEVELS, 18)

// func dotRowsQ8_0VNNI(w *byte, rowBytes, rows int, x *byte, d *float32, nb int, out *float32)
//
// The one-row kernel of generation, for activations in the VNNI layout (one
// row, so block b's scale is d[b]): each block's lanes come from VPDPBUSD as
// in the tile kernel, and every float step is dotQ8_0AVX2's: the scales'
// product, rounded, then one VFMADD231PS into the eight lanes, block after
// block. VCVTPH2PS takes the weight scale from the block's first eight
// bytes, all inside the block.
TEXT ·dotRowsQ8_0VNNI(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ rowBytes+8(FP), R9
	MOVQ rows+16(FP), R10
	MOVQ out+48(FP), AX
	MOVL $0x80808080, BX
	VPBROADCASTD BX, Y14
	TESTQ R10, R10
	JZ    q80vnniDone

q80vnniRow:
	MOVQ x+24(FP), DI
	MOVQ d+32(FP), DX
	MOVQ nb+40(FP), CX
	MOVQ SI, R11
	VXORPS Y0, Y0, Y0
	TESTQ CX, CX
	JZ    q80vnniRowDone

q80vnniBlock:
	VPXOR 2(R11), Y14, Y1
	VMOVDQU 32(DI), Y2
	VPDPBUSD (DI), Y1, Y2
	VCVTDQ2PS Y2, Y2
	VCVTPH2PS (R11), X3
	VMULSS (DX), X3, X3
	VBROADCASTSS X3, Y3
	VFMADD231PS Y2, Y3, Y0
	ADDQ $34, R11
	ADDQ $64, DI
	ADDQ $4, DX
	DECQ CX
	JNZ  q80vnniBlock

q80vnniRowDone:
	SUM8(Y0, X0, X1)
	VMOVSS X0, (AX)
	ADDQ $4, AX
	ADDQ R9, SI
	DECQ R10
	JNZ  q80vnniRow

q80vnniDone:
	VZEROUPPER
	RET
