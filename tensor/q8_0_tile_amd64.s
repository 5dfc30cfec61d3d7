#include "textflag.h"
#include "lanes_amd64.h"

// The Q8_0 tile kernel of q8_0_tile.go: two weight rows against five
// activation rows in the split layout, summed as vecDotQ8_0 sums (lanes8).
//
// A weight block's 32 quants load as sixteen words; shifting a word left
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
// are scratch. The ten scale products of a block are made by two
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

// WEIGHT_WORDS sets E and O to the even and odd quants, as words, of the
// weight block at ADDR.
#define WEIGHT_WORDS(ADDR, E, O) \
	VMOVDQU ADDR, O; \
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

// func tileQ8_0AVX2(w *byte, wStride int, x *int16, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileQ8_0AVX2(SB), NOSPLIT, $64-72
	MOVQ w+0(FP), SI
	MOVQ wStride+8(FP), R12
	MOVQ x+16(FP), DI
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	MOVQ d+32(FP), DX
	MOVQ dStride+40(FP), R10
	MOVQ blocks+48(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	TESTQ  CX, CX
	JZ     q8tile5done

q8tile5loop:
	VMOVUPS (DX), Y14
	SCALE_PRODUCTS((SI), 0)
	SCALE_PRODUCTS((SI)(R12*1), 32)
	WEIGHT_WORDS(2(SI), Y10, Y11)
	WEIGHT_WORDS(2(SI)(R12*1), Y12, Y13)
	TILE_COLUMN((DI), 32(DI), 0, Y0, Y1)
	TILE_COLUMN((DI)(R8*1), 32(DI)(R8*1), 1, Y2, Y3)
	TILE_COLUMN((DI)(R8*2), 32(DI)(R8*2), 2, Y4, Y5)
	TILE_COLUMN((DI)(R9*1), 32(DI)(R9*1), 3, Y6, Y7)
	TILE_COLUMN((DI)(R8*4), 32(DI)(R8*4), 4, Y8, Y9)
	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ R10, DX
	DECQ CX
	JNZ  q8tile5loop

q8tile5done:
	MOVQ out+56(FP), AX
	MOVQ outStride+64(FP), BX
	SHLQ $2, BX
	STORE_SUM8_PAIR(Y0, X0, Y1, X1)
	STORE_SUM8_PAIR(Y2, X2, Y3, X3)
	STORE_SUM8_PAIR(Y4, X4, Y5, X5)
	STORE_SUM8_PAIR(Y6, X6, Y7, X7)
	STORE_SUM8_PAIR(Y8, X8, Y9, X9)
	VZEROUPPER
	RET

// The AVX-512 tile kernel holds both weight rows in one register: the low
// half of Z6 and Z7 is row 0's even and odd words, the high half row 1's.
// Each activation block's even and odd quants are broadcast to both
// halves, so VPMADDWD and VPDPWSSD leave row 0's lanes in the low half and
// row 1's in the high half, exactly as the AVX2 kernel's two registers hold
// them. Z5 holds the block's ten scale products (row 0's eight, then row
// 1's), and VPERMPS with the indices of column c in Z(16+c) spreads that
// column's two over the halves (Z16-Z20 hold the indices). Z(c)
// accumulates column c; every float step
// is the AVX2 kernel's, lane for lane.

// TILE_COLUMN_512 adds both weight rows' blocks times the activation block
// with even quants at XE and odd at XO to ACC, with the scale products that
// the indices IDX pick.
#define TILE_COLUMN_512(XE, XO, IDX, ACC) \
	VBROADCASTI64X4 XE, Z8; \
	VBROADCASTI64X4 XO, Z9; \
	VPMADDWD        Z8, Z6, Z10; \
	VPDPWSSD        Z9, Z7, Z10; \
	VCVTDQ2PS       Z10, Z10; \
	VPERMPS         Z5, IDX, Z11; \
	VFMADD231PS     Z10, Z11, ACC

// q8TileColumns holds VPERMPS indices: for column c, c in the low half and
// 8+c in the high half.
DATA q8TileColumns<>+0(SB)/8, $0
DATA q8TileColumns<>+8(SB)/8, $0
DATA q8TileColumns<>+16(SB)/8, $0
DATA q8TileColumns<>+24(SB)/8, $0
DATA q8TileColumns<>+32(SB)/8, $0x0000000800000008
DATA q8TileColumns<>+40(SB)/8, $0x0000000800000008
DATA q8TileColumns<>+48(SB)/8, $0x0000000800000008
DATA q8TileColumns<>+56(SB)/8, $0x0000000800000008
GLOBL q8TileColumns<>(SB), RODATA|NOPTR, $64

// func tileQ8_0AVX512(w *byte, wStride int, x *int16, xStride int, d *float32, dStride int, blocks int, out *float32, outStride int)
TEXT ·tileQ8_0AVX512(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ wStride+8(FP), R12
	MOVQ x+16(FP), DI
	MOVQ xStride+24(FP), R8
	LEAQ (R8)(R8*2), R9
	MOVQ d+32(FP), DX
	MOVQ dStride+40(FP), R10
	MOVQ blocks+48(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VMOVDQU32 q8TileColumns<>(SB), Z16
	MOVL $1, AX
	VPBROADCASTD AX, Z15
	VPADDD Z15, Z16, Z17
	VPADDD Z15, Z17, Z18
	VPADDD Z15, Z18, Z19
	VPADDD Z15, Z19, Z20
	TESTQ  CX, CX
	JZ     q8tile5zDone

q8tile5zLoop:
	// The scale products: each weight scale times the eight activation
	// scales, as SCALE_PRODUCTS makes them.
	VBROADCASTF64X4 (DX), Z14
	VPBROADCASTW (SI), X5
	VPBROADCASTW (SI)(R12*1), X15
	VINSERTI128 $1, X15, Y5, Y5
	VCVTPH2PS Y5, Z5
	VMULPS Z14, Z5, Z5
	// The weight words: row 0 in the low halves, row 1 in the high.
	VMOVDQU 2(SI), Y7
	VINSERTI64X4 $1, 2(SI)(R12*1), Z7, Z7
	VPSLLW $8, Z7, Z6
	VPSRAW $8, Z6, Z6
	VPSRAW $8, Z7, Z7
	TILE_COLUMN_512((DI), 32(DI), Z16, Z0)
	TILE_COLUMN_512((DI)(R8*1), 32(DI)(R8*1), Z17, Z1)
	TILE_COLUMN_512((DI)(R8*2), 32(DI)(R8*2), Z18, Z2)
	TILE_COLUMN_512((DI)(R9*1), 32(DI)(R9*1), Z19, Z3)
	TILE_COLUMN_512((DI)(R8*4), 32(DI)(R8*4), Z20, Z4)
	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ R10, DX
	DECQ CX
	JNZ  q8tile5zLoop

q8tile5zDone:
	MOVQ out+56(FP), AX
	MOVQ outStride+64(FP), BX
	SHLQ $2, BX
	VEXTRACTF64X4 $1, Z0, Y5
	VEXTRACTF64X4 $1, Z1, Y6
	VEXTRACTF64X4 $1, Z2, Y7
	VEXTRACTF64X4 $1, Z3, Y8
	VEXTRACTF64X4 $1, Z4, Y9
	STORE_SUM8_PAIR(Y0, X0, Y5, X5)
	STORE_SUM8_PAIR(Y1, X1, Y6, X6)
	STORE_SUM8_PAIR(Y2, X2, Y7, X7)
	STORE_SUM8_PAIR(Y3, X3, Y8, X8)
	STORE_SUM8_PAIR(Y4, X4, Y9, X9)
	VPXORD X16, X16, X16 // VZEROUPPER leaves Z16-Z31 as they are
	VPXORD X17, X17, X17
	VPXORD X18, X18, X18
	VPXORD X19, X19, X19
	VPXORD X20, X20, X20
	VZEROUPPER
	RET
