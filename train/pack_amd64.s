#include "textflag.h"

// func packRowsAVX2(dst, src *float32, rs, k int)
//
// Copies k rows of 16 floats, rs bytes apart at src, to consecutive rows
// at dst.
TEXT ·packRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rs+16(FP), R8
	MOVQ k+24(FP), CX

rows:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     rows
	VZEROUPPER
	RET

// TRANSPOSE8 loads 8 floats from each of the 8 rows at B0, B0+R8, B0+2·R8,
// B0+R9, B1, B1+R8, B1+2·R8 and B1+R9 and stores the 8 columns they form
// at OFF(DI), 64 bytes apart.
#define TRANSPOSE8(B0, B1, OFF) \
	VMOVUPS    (B0), Y0; \
	VMOVUPS    (B0)(R8*1), Y1; \
	VMOVUPS    (B0)(R8*2), Y2; \
	VMOVUPS    (B0)(R9*1), Y3; \
	VMOVUPS    (B1), Y4; \
	VMOVUPS    (B1)(R8*1), Y5; \
	VMOVUPS    (B1)(R8*2), Y6; \
	VMOVUPS    (B1)(R9*1), Y7; \
	VUNPCKLPS  Y1, Y0, Y8; \
	VUNPCKHPS  Y1, Y0, Y9; \
	VUNPCKLPS  Y3, Y2, Y10; \
	VUNPCKHPS  Y3, Y2, Y11; \
	VUNPCKLPS  Y5, Y4, Y12; \
	VUNPCKHPS  Y5, Y4, Y13; \
	VUNPCKLPS  Y7, Y6, Y14; \
	VUNPCKHPS  Y7, Y6, Y15; \
	VSHUFPS    $0x44, Y10, Y8, Y0; \
	VSHUFPS    $0xEE, Y10, Y8, Y1; \
	VSHUFPS    $0x44, Y11, Y9, Y2; \
	VSHUFPS    $0xEE, Y11, Y9, Y3; \
	VSHUFPS    $0x44, Y14, Y12, Y4; \
	VSHUFPS    $0xEE, Y14, Y12, Y5; \
	VSHUFPS    $0x44, Y15, Y13, Y6; \
	VSHUFPS    $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15; \
	VMOVUPS    Y8, (OFF)(DI); \
	VMOVUPS    Y9, (OFF+64)(DI); \
	VMOVUPS    Y10, (OFF+128)(DI); \
	VMOVUPS    Y11, (OFF+192)(DI); \
	VMOVUPS    Y12, (OFF+256)(DI); \
	VMOVUPS    Y13, (OFF+320)(DI); \
	VMOVUPS    Y14, (OFF+384)(DI); \
	VMOVUPS    Y15, (OFF+448)(DI)

// func packColsAVX2(dst, src *float32, cs, k int)
//
// Writes the 16 rows of k floats, cs bytes apart at src, as k rows of 16
// at dst: the transpose, 8×8 blocks at a time. k is a multiple of 8.
TEXT ·packColsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ cs+16(FP), R8
	MOVQ k+24(FP), CX
	SHRQ $3, CX
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	LEAQ (R10)(R8*4), R11
	LEAQ (R11)(R8*4), R12

cols:
	TRANSPOSE8(SI, R10, 0)
	TRANSPOSE8(R11, R12, 32)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $512, DI
	DECQ CX
	JNZ  cols
	VZEROUPPER
	RET

// func packColumnsAVX2(dst, src *float32, cs, k int)
//
// Copies k runs of 6 floats, cs bytes apart at src, to consecutive runs at
// dst.
TEXT ·packColumnsAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ cs+16(FP), R8
	MOVQ k+24(FP), CX

columns:
	MOVUPS (SI), X0
	MOVQ   16(SI), X1
	MOVUPS X0, (DI)
	MOVQ   X1, 16(DI)
	ADDQ   R8, SI
	ADDQ   $24, DI
	DECQ   CX
	JNZ    columns
	RET
