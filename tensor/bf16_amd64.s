#include "textflag.h"
#include "lanes_amd64.h"

// AVX2 kernels of bfloat16 rows, summing exactly as their Go twins in
// bf16.go. A bfloat16 is the top half of a float32, so widening it to 32
// bits and shifting it up converts it exactly, NaNs included. The
// reference's 16-lane (AVX-512) registers are pairs of YMM registers here,
// the low one holding lanes 0…7.

// FMA8BF16 adds the products of the eight bfloat16s at OFF(SI) and OFF(DI)
// to ACC.
#define FMA8BF16(OFF, ACC) \
	VPMOVZXWD   OFF(SI), Y8; \
	VPMOVZXWD   OFF(DI), Y9; \
	VPSLLD      $16, Y8, Y8; \
	VPSLLD      $16, Y9, Y9; \
	VFMADD231PS Y9, Y8, ACC

// func dotBF16AVX2(x, y *uint16, n int) float32
//
// As vecDotBF16Generic: two 16-lane registers, Y0 and Y1 then Y2 and Y3,
// take turns over steps of 32 values; each is reduced on its own and the two
// sums added in float64, as are the products, rounded to float32, of the
// values past the last whole step.
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ CX, BX
	SHRQ $5, BX
	JZ   stepsdone

steps:
	FMA8BF16(0, Y0)
	FMA8BF16(16, Y1)
	FMA8BF16(32, Y2)
	FMA8BF16(48, Y3)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ BX
	JNZ  steps

stepsdone:
	VADDPS    Y1, Y0, Y0
	SUM8(Y0, X0, X1)
	VADDPS    Y3, Y2, Y2
	SUM8(Y2, X2, X1)
	VCVTSS2SD X0, X0, X0
	VCVTSS2SD X2, X2, X2
	VADDSD    X2, X0, X0
	ANDQ $31, CX
	JZ   restdone

rest:
	MOVWLZX   (SI), AX
	MOVWLZX   (DI), BX
	SHLL      $16, AX
	SHLL      $16, BX
	VMOVD     AX, X1
	VMOVD     BX, X2
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

// func dotBF16BatchAVX2(x, y *uint16, n int) float32
//
// The tiles scheme (tileAcc): one 16-lane register, Y0 and Y1, value i
// going to lane i%16; n is a multiple of 16.
TEXT ·dotBF16BatchAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	SHRQ   $4, CX
	JZ     tilesdone

tiles16:
	FMA8BF16(0, Y0)
	FMA8BF16(16, Y1)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  tiles16

tilesdone:
	VADDPS Y1, Y0, Y0
	SUM8(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET
