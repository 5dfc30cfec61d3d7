#include "textflag.h"

// quantizeQ8K in AVX2 (k_q8k.go), step for step: the largest magnitude
// (NaNs never win, as a > amax never holds for them), the first value of
// that magnitude, iscale = -127/peak, each quant as nearestInt(iscale·v)
// capped at 127 and cut to its low byte, the sums of sixteen quants, and
// d = 1/iscale.

DATA q8kAbs<>+0(SB)/4, $0x7fffffff
GLOBL q8kAbs<>(SB), RODATA|NOPTR, $4
DATA q8kMagic<>+0(SB)/4, $12582912.0
GLOBL q8kMagic<>(SB), RODATA|NOPTR, $4
DATA q8kMantissa<>+0(SB)/4, $0x7fffff
GLOBL q8kMantissa<>(SB), RODATA|NOPTR, $4
DATA q8kHalf<>+0(SB)/4, $0x400000
GLOBL q8kHalf<>(SB), RODATA|NOPTR, $4
DATA q8kCap<>+0(SB)/4, $127
GLOBL q8kCap<>(SB), RODATA|NOPTR, $4
DATA q8kMinus127<>+0(SB)/4, $-127.0
GLOBL q8kMinus127<>(SB), RODATA|NOPTR, $4
DATA q8kOne<>+0(SB)/4, $1.0
GLOBL q8kOne<>(SB), RODATA|NOPTR, $4

// q8kOrder puts the dwords of VPACKSSWB's result in value order.
DATA q8kOrder<>+0(SB)/8, $0x0000000400000000
DATA q8kOrder<>+8(SB)/8, $0x0000000500000001
DATA q8kOrder<>+16(SB)/8, $0x0000000600000002
DATA q8kOrder<>+24(SB)/8, $0x0000000700000003
GLOBL q8kOrder<>(SB), RODATA|NOPTR, $32

// QUANT8 sets Y to the quants of the eight values at ADDR, as int32
// sign-extended from their low byte.
#define QUANT8(ADDR, Y) \
	VMULPS  ADDR, Y10, Y; \
	VADDPS  Y14, Y, Y; \
	VPAND   Y13, Y, Y; \
	VPSUBD  Y12, Y, Y; \
	VPMINSD Y11, Y, Y; \
	VPSLLD  $24, Y, Y; \
	VPSRAD  $24, Y, Y

// func fromFloatQ8KAVX2(src *float32, dst *byte, blocks int)
TEXT ·fromFloatQ8KAVX2(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ blocks+16(FP), CX
	VBROADCASTSS q8kAbs<>(SB), Y15
	VBROADCASTSS q8kMagic<>(SB), Y14
	VBROADCASTSS q8kMantissa<>(SB), Y13
	VBROADCASTSS q8kHalf<>(SB), Y12
	VBROADCASTSS q8kCap<>(SB), Y11
	VMOVDQU      q8kOrder<>(SB), Y9
	TESTQ CX, CX
	JZ    done

block:
	// The largest magnitude, in four registers, then in X0.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   AX, AX

amax:
	VANDPS (SI)(AX*1), Y15, Y4
	VMAXPS Y0, Y4, Y0
	VANDPS 32(SI)(AX*1), Y15, Y5
	VMAXPS Y1, Y5, Y1
	VANDPS 64(SI)(AX*1), Y15, Y6
	VMAXPS Y2, Y6, Y2
	VANDPS 96(SI)(AX*1), Y15, Y7
	VMAXPS Y3, Y7, Y3
	ADDQ   $128, AX
	CMPQ   AX, $1024
	JNE    amax
	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VXORPS X1, X1, X1
	VUCOMISS X1, X0
	JEQ    zero

	// The first value of that magnitude.
	VBROADCASTSS X0, Y1
	XORQ AX, AX

peak:
	VANDPS    (SI)(AX*4), Y15, Y4
	VCMPPS    $0, Y1, Y4, Y4
	VMOVMSKPS Y4, BX
	TESTL     BX, BX
	JNZ       found
	ADDQ      $8, AX
	JMP       peak

found:
	BSFL  BX, BX
	ADDQ  BX, AX
	VMOVSS (SI)(AX*4), X2
	VMOVSS q8kMinus127<>(SB), X3
	VDIVSS X2, X3, X3 // iscale
	VMOVSS q8kOne<>(SB), X4
	VDIVSS X3, X4, X4 // d
	VMOVSS X4, (DI)
	VBROADCASTSS X3, Y10

	XORQ AX, AX // values done, in bytes of src
	XORQ BX, BX // sums done, in bytes of dst

quants:
	QUANT8((SI)(AX*1), Y0)
	QUANT8(32(SI)(AX*1), Y1)
	QUANT8(64(SI)(AX*1), Y2)
	QUANT8(96(SI)(AX*1), Y3)
	// The sums of the two sixteens, Sa = Y0+Y1 and Sb = Y2+Y3.
	VPADDD    Y1, Y0, Y4
	VPADDD    Y3, Y2, Y5
	VPHADDD   Y5, Y4, Y4
	VPHADDD   Y4, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD    X5, X4, X4
	VPACKSSDW X4, X4, X4
	VMOVD     X4, 260(DI)(BX*1)
	// The 32 quants as bytes.
	VPACKSSDW Y1, Y0, Y4
	VPACKSSDW Y3, Y2, Y5
	VPACKSSWB Y5, Y4, Y4
	VPERMD    Y4, Y9, Y4
	VMOVDQU   Y4, 4(DI)(BX*8)
	ADDQ $128, AX
	ADDQ $4, BX
	CMPQ BX, $32
	JNE  quants
	JMP  next

zero:
	VXORPS  Y0, Y0, Y0
	VMOVDQU Y0, (DI)
	VMOVDQU Y0, 32(DI)
	VMOVDQU Y0, 64(DI)
	VMOVDQU Y0, 96(DI)
	VMOVDQU Y0, 128(DI)
	VMOVDQU Y0, 160(DI)
	VMOVDQU Y0, 192(DI)
	VMOVDQU Y0, 224(DI)
	VMOVDQU Y0, 256(DI)
	MOVL    $0, 288(DI)

next:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  block

done:
	VZEROUPPER
	RET
