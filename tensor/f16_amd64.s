#include "textflag.h"
#include "lanes_amd64.h"

// AVX2 kernels of half-precision rows. The reference's 16-lane (AVX-512)
// registers are pairs of YMM registers here, the low one holding lanes 0…7.

// FMA8 adds the products of the eight halves at OFF(SI) and OFF(DI) to ACC.
#define FMA8(OFF, ACC) \
	VCVTPH2PS OFF(SI), Y8; \
	VCVTPH2PS OFF(DI), Y9; \
	VFMADD231PS Y9, Y8, ACC

// func dotF16AVX2(x, y *uint16, n int) float32
//
// The rounds scheme (roundAcc): register r, in Y(2r) and Y(2r+1), takes
// values 16r…16r+15 of each round of 64; the registers are reduced
// (0+2)+(1+3), then their lanes; the values past the last round are added
// one by one to a float64 sum, each product rounded to float32 first.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	CLEAR_Y0_7
	MOVQ CX, BX
	SHRQ $6, BX
	JZ   roundsdone

rounds:
	FMA8(0, Y0)
	FMA8(16, Y1)
	FMA8(32, Y2)
	FMA8(48, Y3)
	FMA8(64, Y4)
	FMA8(80, Y5)
	FMA8(96, Y6)
	FMA8(112, Y7)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ BX
	JNZ  rounds

roundsdone:
	SUM_ROUNDS
	VCVTSS2SD X0, X0, X0
	ANDQ $63, CX
	JZ   restdone

rest:
	MOVWLZX   (SI), AX
	MOVWLZX   (DI), BX
	VMOVD     AX, X1
	VMOVD     BX, X2
	VCVTPH2PS X1, X1
	VCVTPH2PS X2, X2
	VMULSS    X2, X1, X1
	VCVTSS2SD X1, X1, X1
	VADDSD    X1, X0, X0
	ADDQ $2, SI
	ADDQ $2, DI
	DECQ CX
	JNZ  rest

restdone:
	VCVTSD2SS X0, X0, X0
	VMOVSS    X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotF16BatchAVX2(x, y *uint16, n int) float32
//
// The tiles scheme (tileAcc): one 16-lane register, Y0 and Y1, value i
// going to lane i%16; n is a multiple of 16.
TEXT ·dotF16BatchAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ CX, BX
	SHRQ $6, BX
	JZ   tiles16

tiles64:
	FMA8(0, Y0)
	FMA8(16, Y1)
	FMA8(32, Y0)
	FMA8(48, Y1)
	FMA8(64, Y0)
	FMA8(80, Y1)
	FMA8(96, Y0)
	FMA8(112, Y1)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ BX
	JNZ  tiles64

tiles16:
	ANDQ $63, CX
	SHRQ $4, CX
	JZ   tilesdone

tiles16loop:
	FMA8(0, Y0)
	FMA8(16, Y1)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  tiles16loop

tilesdone:
	VADDPS Y1, Y0, Y0
	SUM8(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func encodeF16AVX2(dst *uint16, src *float32, n int)
//
// VCVTPS2PH with immediate 0 rounds to nearest even, as F32ToF16 does, and
// makes NaNs quiet keeping the top of their payload, as F32ToF16 does too.
TEXT ·encodeF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   enc8

enc16:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VCVTPS2PH $0, Y0, X0
	VCVTPS2PH $0, Y1, X1
	VMOVDQU   X0, (DI)
	VMOVDQU   X1, 16(DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ BX
	JNZ  enc16

enc8:
	ANDQ $15, CX
	JZ   encdone

enc1:
	VMOVSS    (SI), X0
	VCVTPS2PH $0, X0, X0
	VMOVD     X0, AX
	MOVW      AX, (DI)
	ADDQ $4, SI
	ADDQ $2, DI
	DECQ CX
	JNZ  enc1

encdone:
	VZEROUPPER
	RET

// func decodeF16AVX2(dst *float32, src *uint16, n int) (sawNaN bool)
//
// VCVTPH2PS converts every half exactly except signalling NaNs, which it
// makes quiet; sawNaN reports any NaN so that the caller can convert again
// the slow way.
TEXT ·decodeF16AVX2(SB), NOSPLIT, $0-25
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y7, Y7, Y7
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   dec8

dec16:
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	VCMPPS    $3, Y0, Y0, Y0
	VCMPPS    $3, Y1, Y1, Y1
	VORPS     Y0, Y7, Y7
	VORPS     Y1, Y7, Y7
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ BX
	JNZ  dec16

dec8:
	ANDQ $15, CX
	JZ   decdone

dec1:
	MOVWLZX   (SI), AX
	VMOVD     AX, X0
	VCVTPH2PS X0, X0
	VMOVSS    X0, (DI)
	VCMPPS    $3, X0, X0, X0
	VORPS     Y0, Y7, Y7
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JNZ  dec1

decdone:
	VPTEST Y7, Y7
	SETNE  sawNaN+24(FP)
	VZEROUPPER
	RET

// FMA16_ROW adds the products of the sixteen halves at A (eight) and B
// (eight more) and the floats in Y12 and Y13 to the 16-lane register LO,
// HI (tileAcc).
#define FMA16_ROW(A, B, LO, HI) \
	VCVTPH2PS   A, Y14; \
	VFMADD231PS Y12, Y14, LO; \
	VCVTPH2PS   B, Y15; \
	VFMADD231PS Y13, Y15, HI

// STORE_ROW stores the sum of the 16-lane register LO, HI times the scale
// in X11 at OFF(AX), using X14.
#define STORE_ROW(LO, HI, XLO, OFF) \
	VADDPS HI, LO, LO; \
	SUM8(LO, XLO, X14); \
	VMULSS X11, XLO, XLO; \
	VMOVSS XLO, OFF(AX)

// BATCH_ROWS is the body of the DotF16BatchRows kernels: the tiles scheme
// for each of rows rows of n halves, stride halves apart, against the n
// floats at y, G (4 or 8) rows at a time, each 16 floats of y loaded once
// for the G. The arguments are in SI (x), R8 (stride), R11 (y), R12 (n),
// BX (rows), X11 (scale) and AX (out). Row k of a group has its halves at
// (DX), (DX)(R8*1), (R10), (R10)(R8*1), (R9), (R9)(R8*1), (R13) and
// (R13)(R8*1) for k = 0 to 7, the floats are at (DI), and results go to
// (AX). ZEROG, ROWSG and STOREG clear the group's registers, add 16
// products to each and store their sums; ZERO1, ROW1 and STORE1 do so for
// one row, and LOAD_Y loads 16 floats.
#define BATCH_ROWS(G, LOAD_Y, ZEROG, ROWSG, STOREG, ZERO1, ROW1, STORE1) \
	SHLQ   $1, R8; \
rowsG: \
	CMPQ BX, $G; \
	JLT  rows1; \
	ZEROG; \
	MOVQ R11, DI; \
	MOVQ R12, CX; \
	MOVQ SI, DX; \
	LEAQ (SI)(R8*2), R10; \
	LEAQ (R10)(R8*2), R9; \
	LEAQ (R9)(R8*2), R13; \
rowsGloop: \
	LOAD_Y; \
	ROWSG; \
	ADDQ $64, DI; \
	ADDQ $32, DX; \
	ADDQ $32, R10; \
	ADDQ $32, R9; \
	ADDQ $32, R13; \
	SUBQ $16, CX; \
	JNZ  rowsGloop; \
	STOREG; \
	ADDQ $(4*G), AX; \
	LEAQ (SI)(R8*G), SI; \
	SUBQ $G, BX; \
	JMP  rowsG; \
rows1: \
	TESTQ BX, BX; \
	JZ    rowsdone; \
	ZERO1; \
	MOVQ R11, DI; \
	MOVQ R12, CX; \
	MOVQ SI, DX; \
rows1loop: \
	LOAD_Y; \
	ROW1; \
	ADDQ $64, DI; \
	ADDQ $32, DX; \
	SUBQ $16, CX; \
	JNZ  rows1loop; \
	STORE1; \
	ADDQ $4, AX; \
	ADDQ R8, SI; \
	DECQ BX; \
	JMP  rows1; \
rowsdone: \
	VZEROUPPER; \
	RET

// In AVX2 row k's 16-lane register is Y(2k), Y(2k+1), and Y12 and Y13 hold
// the floats.
#define LOAD_Y_AVX2 VMOVUPS (DI), Y12; VMOVUPS 32(DI), Y13
#define ZERO4_AVX2 \
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7
#define ROWS4_AVX2 \
	FMA16_ROW((DX), 16(DX), Y0, Y1); \
	FMA16_ROW((DX)(R8*1), 16(DX)(R8*1), Y2, Y3); \
	FMA16_ROW((R10), 16(R10), Y4, Y5); \
	FMA16_ROW((R10)(R8*1), 16(R10)(R8*1), Y6, Y7)
#define STORE4_AVX2 \
	STORE_ROW(Y0, Y1, X0, 0); STORE_ROW(Y2, Y3, X2, 4); \
	STORE_ROW(Y4, Y5, X4, 8); STORE_ROW(Y6, Y7, X6, 12)
#define ZERO1_AVX2 VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1
#define ROW1_AVX2 FMA16_ROW((DX), 16(DX), Y0, Y1)
#define STORE1_AVX2 STORE_ROW(Y0, Y1, X0, 0)

// func dotF16BatchRowsAVX2(x *uint16, stride int, y *float32, n, rows int, scale float32, out *float32)
TEXT ·dotF16BatchRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ y+16(FP), R11
	MOVQ n+24(FP), R12
	MOVQ rows+32(FP), BX
	VBROADCASTSS scale+40(FP), X11
	MOVQ out+48(FP), AX
	BATCH_ROWS(4, LOAD_Y_AVX2, ZERO4_AVX2, ROWS4_AVX2, STORE4_AVX2, ZERO1_AVX2, ROW1_AVX2, STORE1_AVX2)

// In AVX-512 row k's 16-lane register is Z(k), and Z12 holds the floats.
// Its halves are added as STORE_ROW adds Y(2k) and Y(2k+1). Eight rows at
// a time keep eight chains of multiply-adds going, as AVX2's four rows of
// two registers do.
#define FMA16_ROW_512(A, Z) VCVTPH2PS A, Z14; VFMADD231PS Z12, Z14, Z
#define STORE_ROW_512(Z, Y, X, OFF) VEXTRACTF64X4 $1, Z, Y15; STORE_ROW(Y, Y15, X, OFF)
#define LOAD_Y_512 VMOVUPS (DI), Z12
#define ZERO8_512 \
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7
#define ROWS8_512 \
	FMA16_ROW_512((DX), Z0); \
	FMA16_ROW_512((DX)(R8*1), Z1); \
	FMA16_ROW_512((R10), Z2); \
	FMA16_ROW_512((R10)(R8*1), Z3); \
	FMA16_ROW_512((R9), Z4); \
	FMA16_ROW_512((R9)(R8*1), Z5); \
	FMA16_ROW_512((R13), Z6); \
	FMA16_ROW_512((R13)(R8*1), Z7)
#define STORE8_512 \
	STORE_ROW_512(Z0, Y0, X0, 0); STORE_ROW_512(Z1, Y1, X1, 4); \
	STORE_ROW_512(Z2, Y2, X2, 8); STORE_ROW_512(Z3, Y3, X3, 12); \
	STORE_ROW_512(Z4, Y4, X4, 16); STORE_ROW_512(Z5, Y5, X5, 20); \
	STORE_ROW_512(Z6, Y6, X6, 24); STORE_ROW_512(Z7, Y7, X7, 28)
#define ZERO1_512 VXORPS Y0, Y0, Y0
#define ROW1_512 FMA16_ROW_512((DX), Z0)
#define STORE1_512 STORE_ROW_512(Z0, Y0, X0, 0)

// func dotF16BatchRowsAVX512(x *uint16, stride int, y *float32, n, rows int, scale float32, out *float32)
TEXT ·dotF16BatchRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), R8
	MOVQ y+16(FP), R11
	MOVQ n+24(FP), R12
	MOVQ rows+32(FP), BX
	VBROADCASTSS scale+40(FP), X11
	MOVQ out+48(FP), AX
	BATCH_ROWS(8, LOAD_Y_512, ZERO8_512, ROWS8_512, STORE8_512, ZERO1_512, ROW1_512, STORE1_512)
