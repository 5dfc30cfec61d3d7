#include "textflag.h"
#include "lanes_amd64.h"
#include "blocks_amd64.h"

// The AVX-512 VNNI kernels of the Q4_0 and IQ4_NL matrices the reference
// repacks (repack_vnni_amd64.go): sixteen weight rows at a time, one in
// each dword lane, summed as repackDot sums (each block's whole integer
// dot product, converted, times dw·dx, added with a fused multiply-add).
//
// Each block of the sixteen rows loads as four registers, A with rows 0, 4,
// 8 and 12 in its 128-bit lanes, B with rows 1, 5, 9, 13, C and D the
// same from rows 2 and 3; a 4×4 transpose of dwords within the lanes then
// leaves T_k with dword k of row r in lane r: the 4 bytes 4k…4k+3 of
// every row, whose low nibbles are values 4k…4k+3 and high nibbles values
// 16+4k…19+4k. VPDPBUSD multiplies these levels as unsigned bytes by the
// activation's four quants of the same values, broadcast to every lane, and
// adds the four products to each lane: eight of them take a block of an
// activation row. The levels are offset to be unsigned (the Q4_0 nibble is
// q = level+8; IQ4_NL's table gives level+128), so each lane starts from
// -offset·Σx of the block, which the aux array holds beside the block's
// activation scale as a float (repackAuxVNNI).
//
// Registers: Z0-Z3 the accumulators of up to four activation rows, Z4-Z7
// the low nibbles of T_0…T_3 and Z8-Z11 the high ones, Z12 the rows' weight
// scales, Z13 the integer lanes, Z14 the nibble mask, Z15 the offsets of
// the sixteen rows for the gather of the scales (an index register below
// Z16: the emulator of tools/avx512emu takes no other), Z16-Z23 the loads
// and the transpose, Z24 IQ4_NL's table (offset), Z25 and Z26 scratch. R11-R14
// point at the current block of rows 0, 4, 8 and 12, R8 is rowBytes and
// R10 3·rowBytes, DI the block of activation row 0, BX xStride and AX
// 3·xStride, DX the block's aux entries.

// UNPACK16 loads the current block of the sixteen rows into Z4-Z11 and
// their scales into Z12, LEVELS mapping the nibbles to levels.
#define UNPACK16(LEVELS) \
	VMOVDQU32    2(R11), X16; \
	VINSERTI32X4 $1, 2(R12), Z16, Z16; \
	VINSERTI32X4 $2, 2(R13), Z16, Z16; \
	VINSERTI32X4 $3, 2(R14), Z16, Z16; \
	VMOVDQU32    2(R11)(R8*1), X17; \
	VINSERTI32X4 $1, 2(R12)(R8*1), Z17, Z17; \
	VINSERTI32X4 $2, 2(R13)(R8*1), Z17, Z17; \
	VINSERTI32X4 $3, 2(R14)(R8*1), Z17, Z17; \
	VMOVDQU32    2(R11)(R8*2), X18; \
	VINSERTI32X4 $1, 2(R12)(R8*2), Z18, Z18; \
	VINSERTI32X4 $2, 2(R13)(R8*2), Z18, Z18; \
	VINSERTI32X4 $3, 2(R14)(R8*2), Z18, Z18; \
	VMOVDQU32    2(R11)(R10*1), X19; \
	VINSERTI32X4 $1, 2(R12)(R10*1), Z19, Z19; \
	VINSERTI32X4 $2, 2(R13)(R10*1), Z19, Z19; \
	VINSERTI32X4 $3, 2(R14)(R10*1), Z19, Z19; \
	VPUNPCKLDQ   Z17, Z16, Z20; \
	VPUNPCKHDQ   Z17, Z16, Z21; \
	VPUNPCKLDQ   Z19, Z18, Z22; \
	VPUNPCKHDQ   Z19, Z18, Z23; \
	VPUNPCKLQDQ  Z22, Z20, Z16; \
	VPUNPCKHQDQ  Z22, Z20, Z17; \
	VPUNPCKLQDQ  Z23, Z21, Z18; \
	VPUNPCKHQDQ  Z23, Z21, Z19; \
	VPANDD       Z14, Z16, Z4; \
	VPSRLW       $4, Z16, Z8; \
	VPANDD       Z14, Z8, Z8; \
	VPANDD       Z14, Z17, Z5; \
	VPSRLW       $4, Z17, Z9; \
	VPANDD       Z14, Z9, Z9; \
	VPANDD       Z14, Z18, Z6; \
	VPSRLW       $4, Z18, Z10; \
	VPANDD       Z14, Z10, Z10; \
	VPANDD       Z14, Z19, Z7; \
	VPSRLW       $4, Z19, Z11; \
	VPANDD       Z14, Z11, Z11; \
	LEVELS; \
	KXNORW       K1, K1, K1; \
	VPGATHERDD   (R11)(Z15*1), K1, Z25; \
	VPMOVDW      Z25, Y25; \
	VCVTPH2PS    Y25, Z12

// Q4_0 nibbles are the levels offset by 8 as they are.
#define Q4_0_LEVELS16

// IQ4NL_LEVELS16 looks the nibbles up in IQ4_NL's table offset by 128.
#define IQ4NL_LEVELS16 \
	VPSHUFB Z4, Z24, Z4; \
	VPSHUFB Z5, Z24, Z5; \
	VPSHUFB Z6, Z24, Z6; \
	VPSHUFB Z7, Z24, Z7; \
	VPSHUFB Z8, Z24, Z8; \
	VPSHUFB Z9, Z24, Z9; \
	VPSHUFB Z10, Z24, Z10; \
	VPSHUFB Z11, Z24, Z11

// ROW16 adds the block of the activation row whose Q8_0 block is at X, with
// aux entry at A(DX), times the sixteen rows' block to ACC.
#define ROW16(X, A, ACC) \
	VPBROADCASTD   A(DX), Z13; \
	VPDPBUSD.BCST  2 X, Z4, Z13; \
	VPDPBUSD.BCST  6 X, Z5, Z13; \
	VPDPBUSD.BCST  10 X, Z6, Z13; \
	VPDPBUSD.BCST  14 X, Z7, Z13; \
	VPDPBUSD.BCST  18 X, Z8, Z13; \
	VPDPBUSD.BCST  22 X, Z9, Z13; \
	VPDPBUSD.BCST  26 X, Z10, Z13; \
	VPDPBUSD.BCST  30 X, Z11, Z13; \
	VCVTDQ2PS      Z13, Z13; \
	VMULPS.BCST    4+A(DX), Z12, Z26; \
	VFMADD231PS    Z13, Z26, ACC

// REPACK16_START loads the arguments common to both kernels and the
// constants: SI the weights, R8 rowBytes, R9 the groups, Z14, Z15, Z24.
#define REPACK16_START \
	MOVQ w+0(FP), SI; \
	MOVQ rowBytes+8(FP), R8; \
	MOVQ groups+16(FP), R9; \
	LEAQ (R8)(R8*2), R10; \
	MOVL $0x0f0f0f0f, AX; \
	VPBROADCASTD AX, Z14; \
	MOVQ table+72(FP), AX; \
	VBROADCASTI32X4 (AX), Z24; \
	VPBROADCASTD R8, Z15; \
	VPMULLD rowIndex<>(SB), Z15, Z15

// GROUP16_START points R11-R14 at the first block of the group at SI and
// clears the accumulators; CX counts the blocks, DI and DX start over.
#define GROUP16_START \
	MOVQ SI, R11; \
	LEAQ (SI)(R8*4), R12; \
	LEAQ (R12)(R8*4), R13; \
	LEAQ (R13)(R8*4), R14; \
	MOVQ x+24(FP), DI; \
	MOVQ aux+64(FP), DX; \
	MOVQ blocks+40(FP), CX; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3

// NEXT_BLOCK16 moves every pointer on to the next block.
#define NEXT_BLOCK16 \
	ADDQ $18, R11; \
	ADDQ $18, R12; \
	ADDQ $18, R13; \
	ADDQ $18, R14; \
	ADDQ $34, DI; \
	ADDQ $32, DX

// REPACK16 is the body of a kernel: for each group of sixteen rows, ROWS
// (after GROUP16_START and GROUP) adds each block's products to the
// accumulators of the activation rows and STORE writes them at CX, which
// then moves on to the next group's results.
#define REPACK16(LEVELS, GROUP, ROWS, STORE) \
	REPACK16_START; \
	TESTQ R9, R9; \
	JZ    done; \
group: \
	GROUP16_START; \
	GROUP; \
	TESTQ CX, CX; \
	JZ    store; \
block: \
	UNPACK16(LEVELS); \
	ROWS; \
	NEXT_BLOCK16; \
	DECQ CX; \
	JNZ  block; \
store: \
	MOVQ out+48(FP), CX; \
	STORE; \
	ADDQ $64, CX; \
	MOVQ CX, out+48(FP); \
	LEAQ (SI)(R8*8), SI; \
	LEAQ (SI)(R8*8), SI; \
	DECQ R9; \
	JNZ  group; \
done: \
	CLEAR_ALL_HIGH_512; \
	VZEROUPPER; \
	RET

// The four-row kernels' parts: BX is xStride and AX 3·xStride.
#define STRIDES4 \
	MOVQ xStride+32(FP), BX; \
	LEAQ (BX)(BX*2), AX

#define ROWS4 \
	ROW16((DI), 0, Z0); \
	ROW16((DI)(BX*1), 8, Z1); \
	ROW16((DI)(BX*2), 16, Z2); \
	ROW16((DI)(AX*1), 24, Z3)

#define STORE4 \
	MOVQ outStride+56(FP), AX; \
	SHLQ $2, AX; \
	VMOVUPS Z0, (CX); \
	VMOVUPS Z1, (CX)(AX*1); \
	VMOVUPS Z2, (CX)(AX*2); \
	LEAQ (AX)(AX*2), AX; \
	VMOVUPS Z3, (CX)(AX*1)

// The one-row kernels' parts.
#define NO_STRIDES
#define ROW1 ROW16((DI), 0, Z0)
#define STORE1 VMOVUPS Z0, (CX)

// rowIndex is 0…15, which times rowBytes gives each row's offset.
DATA rowIndex<>+0(SB)/8, $0x0000000100000000
DATA rowIndex<>+8(SB)/8, $0x0000000300000002
DATA rowIndex<>+16(SB)/8, $0x0000000500000004
DATA rowIndex<>+24(SB)/8, $0x0000000700000006
DATA rowIndex<>+32(SB)/8, $0x0000000900000008
DATA rowIndex<>+40(SB)/8, $0x0000000b0000000a
DATA rowIndex<>+48(SB)/8, $0x0000000d0000000c
DATA rowIndex<>+56(SB)/8, $0x0000000f0000000e
GLOBL rowIndex<>(SB), RODATA|NOPTR, $64

// func repackRows4Q4_0VNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)
TEXT ·repackRows4Q4_0VNNI(SB), NOSPLIT, $0-80
	REPACK16(Q4_0_LEVELS16, STRIDES4, ROWS4, STORE4)

// func repackRows4IQ4_NLVNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)
TEXT ·repackRows4IQ4_NLVNNI(SB), NOSPLIT, $0-80
	REPACK16(IQ4NL_LEVELS16, STRIDES4, ROWS4, STORE4)

// func repackRows1Q4_0VNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)
TEXT ·repackRows1Q4_0VNNI(SB), NOSPLIT, $0-80
	REPACK16(Q4_0_LEVELS16, NO_STRIDES, ROW1, STORE1)

// func repackRows1IQ4_NLVNNI(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, aux *int32, table *byte)
TEXT ·repackRows1IQ4_NLVNNI(SB), NOSPLIT, $0-80
	REPACK16(IQ4NL_LEVELS16, NO_STRIDES, ROW1, STORE1)

// func repackAuxVNNI(x *byte, xStride, xRows, blocks int, aux *int32, shift int)
//
// For activation rows i < xRows (at most 4) and blocks b, it sets aux
// entry 4b+i (two words) to -(Σx of the block) << shift and the block's
// scale as a float32.
TEXT ·repackAuxVNNI(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ xRows+16(FP), R9
	MOVQ aux+32(FP), R10
	MOVQ shift+40(FP), CX
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Y11
	VPXOR Y10, Y10, Y10
	TESTQ R9, R9
	JZ    auxDone

auxRow:
	MOVQ SI, DI
	MOVQ R10, DX
	MOVQ blocks+24(FP), R8
	TESTQ R8, R8
	JZ    auxRowDone

auxBlock:
	QUANT_SUM(DI)
	NEGL         AX
	SHLL         CX, AX
	MOVL         AX, (DX)
	VPBROADCASTW (DI), X3
	VCVTPH2PS    X3, X3
	VMOVSS       X3, 4(DX)
	ADDQ $34, DI
	ADDQ $32, DX
	DECQ R8
	JNZ  auxBlock

auxRowDone:
	ADDQ xStride+8(FP), SI
	ADDQ $8, R10
	DECQ R9
	JNZ  auxRow

auxDone:
	VZEROUPPER
	RET
