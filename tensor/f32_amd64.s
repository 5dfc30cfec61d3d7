#include "textflag.h"
#include "lanes_amd64.h"

// AVX2 kernels of float32 rows, summing exactly as their Go twins in
// f32.go. The reference's 16-lane (AVX-512) registers are pairs of YMM
// registers here, the low one holding lanes 0…7.

// FMA8F32 adds the products of the eight floats at OFF(SI) and OFF(DI) to
// ACC.
#define FMA8F32(OFF, ACC) \
	VMOVUPS     OFF(SI), Y8; \
	VFMADD231PS OFF(DI), Y8, ACC

// func dotF32AVX2(x, y *float32, n int) float32
//
// The rounds scheme (roundAcc): register r, in Y(2r) and Y(2r+1), takes
// values 16r…16r+15 of each round of 64; the values past the last round are
// added one by one to the float32 sum with fused multiply-adds.
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	CLEAR_Y0_7
	MOVQ CX, BX
	SHRQ $6, BX
	JZ   roundsdone

rounds:
	FMA8F32(0, Y0)
	FMA8F32(32, Y1)
	FMA8F32(64, Y2)
	FMA8F32(96, Y3)
	FMA8F32(128, Y4)
	FMA8F32(160, Y5)
	FMA8F32(192, Y6)
	FMA8F32(224, Y7)
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  rounds

roundsdone:
	SUM_ROUNDS
	ANDQ $63, CX
	JZ   restdone

rest:
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JNZ  rest

restdone:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotF32BatchAVX2(x, y *float32, n int) float32
//
// The tiles scheme (tileAcc): one 16-lane register, Y0 and Y1, value i
// going to lane i%16; n is a multiple of 16.
TEXT ·dotF32BatchAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ CX, BX
	SHRQ $6, BX
	JZ   tiles16

tiles64:
	FMA8F32(0, Y0)
	FMA8F32(32, Y1)
	FMA8F32(64, Y0)
	FMA8F32(96, Y1)
	FMA8F32(128, Y0)
	FMA8F32(160, Y1)
	FMA8F32(192, Y0)
	FMA8F32(224, Y1)
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  tiles64

tiles16:
	ANDQ $63, CX
	SHRQ $4, CX
	JZ   tilesdone

tiles16loop:
	FMA8F32(0, Y0)
	FMA8F32(32, Y1)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  tiles16loop

tilesdone:
	VADDPS Y1, Y0, Y0
	SUM8(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET
