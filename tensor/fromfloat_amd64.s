#include "textflag.h"

// The activation quantizers, Q8_0's and Q8_K's, each step for step its Go
// twin (fromFloatQ8_0Generic, quantizeQ8K): a block's largest magnitude
// (NaNs never win, as in blockAbsMax and blockPeak), the scale, and each
// value's quant cut to the low byte of its int32, which is what Go's int8
// conversions give for NaN and ±Inf too.

DATA absMask<>+0(SB)/8, $0x7fffffff7fffffff
DATA absMask<>+8(SB)/8, $0x7fffffff7fffffff
DATA absMask<>+16(SB)/8, $0x7fffffff7fffffff
DATA absMask<>+24(SB)/8, $0x7fffffff7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $32

DATA lowBytes<>+0(SB)/8, $0x000000ff000000ff
DATA lowBytes<>+8(SB)/8, $0x000000ff000000ff
DATA lowBytes<>+16(SB)/8, $0x000000ff000000ff
DATA lowBytes<>+24(SB)/8, $0x000000ff000000ff
GLOBL lowBytes<>(SB), RODATA|NOPTR, $32

// packOrder undoes the interleaving of VPACKUSDW and VPACKUSWB across the
// two 128-bit halves.
DATA packOrder<>+0(SB)/8, $0x0000000400000000
DATA packOrder<>+8(SB)/8, $0x0000000500000001
DATA packOrder<>+16(SB)/8, $0x0000000600000002
DATA packOrder<>+24(SB)/8, $0x0000000700000003
GLOBL packOrder<>(SB), RODATA|NOPTR, $32

DATA f127<>+0(SB)/4, $127.0
GLOBL f127<>(SB), RODATA|NOPTR, $4

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

// ABS_MAX raises each lane of ACC to the magnitude of that lane of SRC,
// using YT. VMAXPS keeps its second source when the first is NaN, so a NaN
// never wins.
#define ABS_MAX(SRC, MASK, ACC, YT) \
	VANDPS SRC, MASK, YT; \
	VMAXPS ACC, YT, ACC

// LANES_MAX leaves the largest lane of Y (low half X) in X's low lane,
// using XT. Y holds no NaN.
#define LANES_MAX(Y, X, XT) \
	VEXTRACTF128 $1, Y, XT; \
	VMAXPS    XT, X, X; \
	VPERMILPS $0xee, X, XT; \
	VMAXPS    XT, X, X; \
	VMOVSHDUP X, XT; \
	VMAXSS    XT, X, X

// PACK_LOW_BYTES stores at ADDR the low bytes of the 32 dwords of A, B, C
// and D, in order, with MASK holding lowBytes and ORDER packOrder. It
// clobbers all four.
#define PACK_LOW_BYTES(A, B, C, D, MASK, ORDER, ADDR) \
	VPAND     MASK, A, A; \
	VPAND     MASK, B, B; \
	VPAND     MASK, C, C; \
	VPAND     MASK, D, D; \
	VPACKUSDW B, A, A; \
	VPACKUSDW D, C, C; \
	VPACKUSWB C, A, A; \
	VPERMD    A, ORDER, A; \
	VMOVDQU   A, ADDR

// func fromFloatQ8_0AVX2(src *float32, dst *byte, blocks int)
//
// Per block: amax (NaNs never win, as in blockAbsMax), d = amax/127 stored
// as F16, q = round-half-even(x·127/amax) and the low byte of its int32
// conversion, which is what Go's int8(float64) gives for NaN and ±Inf too.
TEXT ·fromFloatQ8_0AVX2(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ blocks+16(FP), CX
	VMOVDQU absMask<>(SB), Y10
	VMOVDQU lowBytes<>(SB), Y11
	VMOVDQU packOrder<>(SB), Y12
	VMOVSS  f127<>(SB), X13
	VXORPS  X14, X14, X14
	TESTQ   CX, CX
	JZ      ffdone

ffloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VXORPS Y8, Y8, Y8
	ABS_MAX(Y0, Y10, Y8, Y4)
	ABS_MAX(Y1, Y10, Y8, Y4)
	ABS_MAX(Y2, Y10, Y8, Y4)
	ABS_MAX(Y3, Y10, Y8, Y4)
	LANES_MAX(Y8, X8, X4)
	// d = amax/127, stored as F16.
	VDIVSS    X13, X8, X4
	VCVTPS2PH $0, X4, X4
	VMOVD     X4, AX
	MOVW      AX, (DI)
	// id = 127/amax, or 0 when amax is 0.
	VDIVSS  X8, X13, X4
	VCMPSS  $4, X14, X8, X5
	VANDPS  X5, X4, X4
	VBROADCASTSS X4, Y4
	VMULPS    Y4, Y0, Y0
	VMULPS    Y4, Y1, Y1
	VMULPS    Y4, Y2, Y2
	VMULPS    Y4, Y3, Y3
	VROUNDPS  $0, Y0, Y0
	VROUNDPS  $0, Y1, Y1
	VROUNDPS  $0, Y2, Y2
	VROUNDPS  $0, Y3, Y3
	VCVTTPS2DQ Y0, Y0
	VCVTTPS2DQ Y1, Y1
	VCVTTPS2DQ Y2, Y2
	VCVTTPS2DQ Y3, Y3
	PACK_LOW_BYTES(Y0, Y1, Y2, Y3, Y11, Y12, 2(DI))
	ADDQ $128, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  ffloop

ffdone:
	VZEROUPPER
	RET

// QUANT8 sets Y to the quants of the eight values at ADDR, as int32
// sign-extended from their low byte, which is what the sums add.
#define QUANT8(ADDR, Y) \
	VMULPS  ADDR, Y10, Y; \
	VADDPS  Y14, Y, Y; \
	VPAND   Y13, Y, Y; \
	VPSUBD  Y12, Y, Y; \
	VPMINSD Y11, Y, Y; \
	VPSLLD  $24, Y, Y; \
	VPSRAD  $24, Y, Y

// func fromFloatQ8KAVX2(src *float32, dst *byte, blocks int)
//
// quantizeQ8K: iscale = -127/peak, where peak is the first value of the
// largest magnitude, each quant nearestInt(iscale·v) capped at 127, the sums
// of each sixteen quants, and d = 1/iscale.
TEXT ·fromFloatQ8KAVX2(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ blocks+16(FP), CX
	VMOVDQU      absMask<>(SB), Y15
	VBROADCASTSS q8kMagic<>(SB), Y14
	VBROADCASTSS q8kMantissa<>(SB), Y13
	VBROADCASTSS q8kHalf<>(SB), Y12
	VBROADCASTSS q8kCap<>(SB), Y11
	VMOVDQU      lowBytes<>(SB), Y8
	VMOVDQU      packOrder<>(SB), Y9
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
	ABS_MAX((SI)(AX*1), Y15, Y0, Y4)
	ABS_MAX(32(SI)(AX*1), Y15, Y1, Y5)
	ABS_MAX(64(SI)(AX*1), Y15, Y2, Y6)
	ABS_MAX(96(SI)(AX*1), Y15, Y3, Y7)
	ADDQ   $128, AX
	CMPQ   AX, $1024
	JNE    amax
	VMAXPS Y1, Y0, Y0
	VMAXPS Y3, Y2, Y2
	VMAXPS Y2, Y0, Y0
	LANES_MAX(Y0, X0, X1)
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
	PACK_LOW_BYTES(Y0, Y1, Y2, Y3, Y8, Y9, 4(DI)(BX*8))
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
