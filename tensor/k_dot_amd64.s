#include "textflag.h"
#include "lanes_amd64.h"

// The K-quant dot products of k_dot.go with AVX2: one 256-bit register holds
// a 32-value run of levels. VPMADDUBSW multiplies the unsigned levels by the
// signed Q8_K quants and adds pairs, VPMADDWD multiplies the pairs by the
// run's scales and adds them again, so that dword l holds the lane l of
// kLanes: values 4l…4l+3 of the run. The integer lanes of a super-block
// are added up, converted to float32 and added to the accumulator with one
// VFMADD231PS, rounded once as fma32 rounds. Every float step is the one the
// Go twin takes, in the same order, so the results are identical.
//
// The integer steps are exact: VPMADDUBSW saturates its int16 pair sums,
// but levels below 64 times quants of at most 128 in magnitude stay within
// 2·63·128, and Q6_K's levels minus 32 within 2·32·128. Q3_K multiplies
// its low two bits and the 4 it subtracts apart, and IQ4_XS the quants'
// magnitudes (at most 128) by its signed levels (at most 127). VCVTDQ2PS
// rounds as Go's float32(int32) does.

// kScaleShuffle holds eight VPSHUFB masks: mask j copies word j of each
// 128-bit half into all eight words of that half.
DATA kScaleShuffle<>+0(SB)/8, $0x0100010001000100
DATA kScaleShuffle<>+8(SB)/8, $0x0100010001000100
DATA kScaleShuffle<>+16(SB)/8, $0x0100010001000100
DATA kScaleShuffle<>+24(SB)/8, $0x0100010001000100
DATA kScaleShuffle<>+32(SB)/8, $0x0302030203020302
DATA kScaleShuffle<>+40(SB)/8, $0x0302030203020302
DATA kScaleShuffle<>+48(SB)/8, $0x0302030203020302
DATA kScaleShuffle<>+56(SB)/8, $0x0302030203020302
DATA kScaleShuffle<>+64(SB)/8, $0x0504050405040504
DATA kScaleShuffle<>+72(SB)/8, $0x0504050405040504
DATA kScaleShuffle<>+80(SB)/8, $0x0504050405040504
DATA kScaleShuffle<>+88(SB)/8, $0x0504050405040504
DATA kScaleShuffle<>+96(SB)/8, $0x0706070607060706
DATA kScaleShuffle<>+104(SB)/8, $0x0706070607060706
DATA kScaleShuffle<>+112(SB)/8, $0x0706070607060706
DATA kScaleShuffle<>+120(SB)/8, $0x0706070607060706
DATA kScaleShuffle<>+128(SB)/8, $0x0908090809080908
DATA kScaleShuffle<>+136(SB)/8, $0x0908090809080908
DATA kScaleShuffle<>+144(SB)/8, $0x0908090809080908
DATA kScaleShuffle<>+152(SB)/8, $0x0908090809080908
DATA kScaleShuffle<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kScaleShuffle<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kScaleShuffle<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kScaleShuffle<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kScaleShuffle<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kScaleShuffle<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kScaleShuffle<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kScaleShuffle<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kScaleShuffle<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kScaleShuffle<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kScaleShuffle<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kScaleShuffle<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL kScaleShuffle<>(SB), RODATA|NOPTR, $256

// q6KScaleOrder puts the even-numbered bytes before the odd ones, so that
// VPMOVSXBW leaves the scales of the first 16 values of each run in the low
// half of a register and those of the second 16 in the high half.
DATA q6KScaleOrder<>+0(SB)/8, $0x0e0c0a0806040200
DATA q6KScaleOrder<>+8(SB)/8, $0x0f0d0b0907050301
GLOBL q6KScaleOrder<>(SB), RODATA|NOPTR, $16

// kBytes holds 32 bytes of 0x03 and 32 of 0x04, the masks of Q3_K's level
// bits, then 16 of 0x20, the offset of its scales and IQ4_XS's.
DATA kBytes<>+0(SB)/8, $0x0303030303030303
DATA kBytes<>+8(SB)/8, $0x0303030303030303
DATA kBytes<>+16(SB)/8, $0x0303030303030303
DATA kBytes<>+24(SB)/8, $0x0303030303030303
DATA kBytes<>+32(SB)/8, $0x0404040404040404
DATA kBytes<>+40(SB)/8, $0x0404040404040404
DATA kBytes<>+48(SB)/8, $0x0404040404040404
DATA kBytes<>+56(SB)/8, $0x0404040404040404
DATA kBytes<>+64(SB)/8, $0x2020202020202020
DATA kBytes<>+72(SB)/8, $0x2020202020202020
GLOBL kBytes<>(SB), RODATA|NOPTR, $80

// minsOrder picks, for MINS_ORDER, lanes 0, 2, 8, 10, 4, 6, 12 and 14 of a
// pair's min lanes (the rest of it is unused).
DATA minsOrder<>+0(SB)/8, $0x0000000200000000
DATA minsOrder<>+8(SB)/8, $0x0000000a00000008
DATA minsOrder<>+16(SB)/8, $0x0000000600000004
DATA minsOrder<>+24(SB)/8, $0x0000000e0000000c
DATA minsOrder<>+32(SB)/8, $0
DATA minsOrder<>+40(SB)/8, $0
DATA minsOrder<>+48(SB)/8, $0
DATA minsOrder<>+56(SB)/8, $0
GLOBL minsOrder<>(SB), RODATA|NOPTR, $64

// BROADCAST_BYTES sets every byte of Y to the byte b, using AX.
#define BROADCAST_BYTES(b, X, Y) \
	MOVL $(b*0x01010101), AX; \
	VMOVD AX, X; \
	VPBROADCASTD X, Y

// K4_START sets up a four-row kernel of Q2_K, Q3_K or IQ4_XS (below): its
// arguments in SI, DI, R11 and CX, R12 = 3·R11, and the accumulators
// Y0-Y3 cleared.
#define K4_START \
	MOVQ w+0(FP), SI; \
	MOVQ x+8(FP), DI; \
	MOVQ stride+16(FP), R11; \
	MOVQ nb+24(FP), CX; \
	LEAQ (R11)(R11*2), R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3

// K4_END ends such a kernel: it stores the sums of the accumulators and
// returns. (Macros that read arguments come before the first TEXT.)
#define K4_END \
	SUMS4; \
	MOVQ out+32(FP), AX; \
	MOVQ outStride+40(FP), BX; \
	SHLQ $2, BX; \
	STORE4; \
	VZEROUPPER; \
	RET

// SCALES_MINS unpacks the 6-bit scales and mins of the Q4_K or Q5_K block at
// SI (unpackScaleMinK4): scale j in byte j of R9, min j in byte j of DX. It
// uses AX, BX, R8 and R10.
#define SCALES_MINS \
	MOVL 4(SI), AX; \
	MOVL 8(SI), BX; \
	MOVL 12(SI), DX; \
	MOVL AX, R8; \
	ANDL $0x3f3f3f3f, R8; \
	SHRL $6, AX; \
	ANDL $0x03030303, AX; \
	SHLL $4, AX; \
	MOVL DX, R9; \
	ANDL $0x0f0f0f0f, R9; \
	ORL AX, R9; \
	MOVL BX, R10; \
	ANDL $0x3f3f3f3f, R10; \
	SHRL $6, BX; \
	ANDL $0x03030303, BX; \
	SHLL $4, BX; \
	SHRL $4, DX; \
	ANDL $0x0f0f0f0f, DX; \
	ORL BX, DX; \
	SHLQ $32, R9; \
	ORQ R8, R9; \
	SHLQ $32, DX; \
	ORQ R10, DX

// SCALE_WORDS sets S to the eight scales of R9 as words, in both halves, and
// M to the eight mins of DX as words, each twice (m0 m0 m1 m1 …), which
// VPMADDWD with the bsums turns into the min times each 32-value sum.
#define SCALE_WORDS(XS, S, XM, M) \
	VMOVQ R9, XS; \
	VPMOVZXBW XS, XS; \
	VINSERTI128 $1, XS, S, S; \
	VMOVQ DX, XM; \
	VPUNPCKLBW XM, XM, XM; \
	VPMOVZXBW XM, M

// SCALE_MIN_HEADER reads the header of the Q4_K or Q5_K block at SI for the
// Q8_K block at DI (kScaleMinHeader): X2 = yd·d in lane 0 and -yd·dmin in
// lane 1, Y5 = the scales and Y6 = the mins from SCALE_WORDS. X13 holds the
// sign bit of lane 1. It uses AX, BX, DX and R8-R10.
#define SCALE_MIN_HEADER \
	VMOVD (SI), X2; \
	VCVTPH2PS X2, X2; \
	VBROADCASTSS (DI), X3; \
	VXORPS X13, X3, X3; \
	VMULPS X3, X2, X2; \
	SCALES_MINS; \
	SCALE_WORDS(X5, Y5, X6, Y6)

// MIN_LANES leaves in X6 the four lanes of kMinSums for the Q8_K block at
// DI and the mins in Y6 (from SCALE_MIN_HEADER), using X7.
#define MIN_LANES \
	VPMADDWD 260(DI), Y6, Y6; \
	VEXTRACTI128 $1, Y6, X7; \
	VPHADDD X7, X6, X6

// RUN adds to Y8 the kLanes of the unsigned levels in L times the Q8_K quants
// at q8, with the 16-bit scales Y5 picked by shuffle mask j. It clobbers L
// and T.
#define RUN(L, q8, j, T) \
	VPMADDUBSW q8, L, L; \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y5, T; \
	VPMADDWD T, L, L; \
	VPADDD L, Y8, Y8

// Q4K_GROUP adds the runs 2g and 2g+1 of the Q4_K block at SI to Y8: the
// low and high nibbles of qs bytes 32g…32g+31. Y15 is the nibble mask.
#define Q4K_GROUP(g) \
	VMOVDQU (16+32*g)(SI), Y9; \
	VPSRLW $4, Y9, Y10; \
	VPAND Y15, Y9, Y9; \
	VPAND Y15, Y10, Y10; \
	RUN(Y9, (4+64*g)(DI), (2*g), Y11); \
	RUN(Y10, (36+64*g)(DI), (2*g+1), Y12)

// Q4K_HEADER starts a Q4_K block of a one-row kernel: SCALE_MIN_HEADER, and
// the block's kMinSums times -yd·dmin added to the min lanes X1.
#define Q4K_HEADER \
	SCALE_MIN_HEADER; \
	VPERMILPS $0x55, X2, X4; \
	MIN_LANES; \
	VCVTDQ2PS X6, X6; \
	VFMADD231PS X6, X4, X1

// K1_NEXT ends a Q4_K or Q5_K block of a one-row kernel: its integer lanes
// Y8 times yd·d (X2) go into the accumulator Y0, and SI and DI move on to
// the next blocks, the weights' size bytes on.
#define K1_NEXT(size) \
	VBROADCASTSS X2, Y3; \
	VCVTDQ2PS Y8, Y8; \
	VFMADD231PS Y8, Y3, Y0; \
	ADDQ $size, SI; \
	ADDQ $292, DI; \
	DECQ CX

// Q4K_RESULT leaves in X0 a one-row Q4_K kernel's result: sum8 of its
// accumulator Y0 plus ((accMin0+accMin2) + (accMin1+accMin3)) of X1.
#define Q4K_RESULT \
	SUM8(Y0, X0, X2); \
	VMOVHLPS X1, X1, X2; \
	VADDPS X2, X1, X1; \
	VMOVSHDUP X1, X2; \
	VADDSS X2, X1, X1; \
	VADDSS X1, X0, X0

// func dotQ4KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ4KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // accMin
	BROADCAST_BYTES(0x0f, X15, Y15)
	MOVQ $0x8000000000000000, AX
	VMOVQ AX, X13
	TESTQ CX, CX
	JZ    q4kDone

q4kBlock:
	Q4K_HEADER
	VPXOR Y8, Y8, Y8
	Q4K_GROUP(0)
	Q4K_GROUP(1)
	Q4K_GROUP(2)
	Q4K_GROUP(3)
	K1_NEXT(144)
	JNZ  q4kBlock

q4kDone:
	Q4K_RESULT
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q5K_GROUP is Q4K_GROUP for the Q5_K block at SI, whose fifth bits Y12
// holds (qh): bit 2g of each byte for the low nibbles, 2g+1 for the high.
// SHL and SHR move the bits to bit 4, which Y14 masks.
#define Q5K_GROUP(g, SHL, nl, SHH, nh) \
	VMOVDQU (48+32*g)(SI), Y9; \
	VPSRLW $4, Y9, Y10; \
	VPAND Y15, Y9, Y9; \
	VPAND Y15, Y10, Y10; \
	SHL $nl, Y12, Y11; \
	VPAND Y14, Y11, Y11; \
	VPOR Y11, Y9, Y9; \
	SHH $nh, Y12, Y11; \
	VPAND Y14, Y11, Y11; \
	VPOR Y11, Y10, Y10; \
	RUN(Y9, (4+64*g)(DI), (2*g), Y11); \
	RUN(Y10, (36+64*g)(DI), (2*g+1), Y7)

// Q5K_HEADER starts a Q5_K block of a one-row kernel: SCALE_MIN_HEADER, and
// the block's kMinSums, added up as (lane0+lane1) + (lane2+lane3), times
// -yd·dmin added to X1.
#define Q5K_HEADER \
	SCALE_MIN_HEADER; \
	VMOVSHDUP X2, X4; \
	MIN_LANES; \
	VPHADDD X6, X6, X6; \
	VPHADDD X6, X6, X6; \
	VCVTDQ2PS X6, X6; \
	VFMADD231SS X6, X4, X1

// func dotQ5KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ5KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // summs
	BROADCAST_BYTES(0x0f, X15, Y15)
	BROADCAST_BYTES(0x10, X14, Y14)
	MOVQ $0x8000000000000000, AX
	VMOVQ AX, X13
	TESTQ CX, CX
	JZ    q5kDone

q5kBlock:
	Q5K_HEADER
	VMOVDQU 16(SI), Y12
	VPXOR Y8, Y8, Y8
	Q5K_GROUP(0, VPSLLW, 4, VPSLLW, 3)
	Q5K_GROUP(1, VPSLLW, 2, VPSLLW, 1)
	Q5K_GROUP(2, VPSLLW, 0, VPSRLW, 1)
	Q5K_GROUP(3, VPSRLW, 2, VPSRLW, 3)
	K1_NEXT(176)
	JNZ  q5kBlock

q5kDone:
	SUM8(Y0, X0, X2)
	VADDSS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q6K_RUN adds run j of the Q6_K block at SI to Y8: the unsigned 6-bit
// levels are the nibbles in L (masked with Y15) and the two bits that SH
// moves from H to bits 4-5 (masked with Y14). VPMADDUBSW of 32 (Y13) and
// the quants, subtracted, makes the levels signed.
#define Q6K_RUN(L, H, SH, n, j) \
	VPAND Y15, L, Y9; \
	SH $n, H, Y10; \
	VPAND Y14, Y10, Y10; \
	VPOR Y10, Y9, Y9; \
	VPMADDUBSW (4+32*j)(DI), Y9, Y9; \
	VPMADDUBSW (4+32*j)(DI), Y13, Y10; \
	VPSUBW Y10, Y9, Y9; \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y4, Y10; \
	VPMADDWD Y10, Y9, Y9; \
	VPADDD Y9, Y8, Y8

// Q6K_HALF adds the runs 4h…4h+3 of the Q6_K block at SI to Y8.
#define Q6K_HALF(h) \
	VMOVDQU (64*h)(SI), Y5; \
	VMOVDQU (64*h+32)(SI), Y6; \
	VMOVDQU (128+32*h)(SI), Y7; \
	Q6K_RUN(Y5, Y7, VPSLLW, 4, (4*h)); \
	Q6K_RUN(Y6, Y7, VPSLLW, 2, (4*h+1)); \
	VPSRLW $4, Y5, Y5; \
	VPSRLW $4, Y6, Y6; \
	Q6K_RUN(Y5, Y7, VPSRLW, 0, (4*h+2)); \
	Q6K_RUN(Y6, Y7, VPSRLW, 2, (4*h+3))

// Q6K1_NEXT ends a Q6_K block of a one-row kernel: its integer lanes L
// times d = yd·d go into the accumulator Y0, and SI and DI move on.
#define Q6K1_NEXT(L) \
	MOVWLZX 208(SI), AX; \
	VMOVD AX, X2; \
	VCVTPH2PS X2, X2; \
	VMULSS (DI), X2, X2; \
	VBROADCASTSS X2, Y3; \
	VCVTDQ2PS L, L; \
	VFMADD231PS L, Y3, Y0; \
	ADDQ $210, SI; \
	ADDQ $292, DI; \
	DECQ CX

// func dotQ6KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ6KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BROADCAST_BYTES(0x0f, X15, Y15)
	BROADCAST_BYTES(0x30, X14, Y14)
	BROADCAST_BYTES(0x20, X13, Y13)
	VMOVDQU q6KScaleOrder<>(SB), X12
	TESTQ CX, CX
	JZ    q6kDone

q6kBlock:
	// Scales: the first 16 values of each run take the low half of Y4, the
	// second 16 the high half.
	VMOVDQU 192(SI), X4
	VPSHUFB X12, X4, X4
	VPMOVSXBW X4, Y4
	VPXOR Y8, Y8, Y8
	Q6K_HALF(0)
	Q6K_HALF(1)
	Q6K1_NEXT(Y8)
	JNZ  q6kBlock

q6kDone:
	SUM8(Y0, X0, X2)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// The four-row kernels multiply one weight row by four Q8_K rows, R11 bytes
// apart from DI on (R12 = 3·R11), and give each row exactly what the
// one-row kernel gives it: they only unpack each weight block once for all
// four. Y0-Y3 are the rows' accumulators, Y4-Y7 their integer lanes. They
// compute -yd·dmin as yd·(-dmin), which only the sign of a NaN tells apart.

// ROWS4 adds to Y4-Y7 the kLanes of the unsigned levels in L times each
// row's quants at off, with the 16-bit scales S, using Y10.
#define ROWS4(L, S, off) \
	VPMADDUBSW off(DI), L, Y10; \
	VPMADDWD S, Y10, Y10; \
	VPADDD Y10, Y4, Y4; \
	VPMADDUBSW off(DI)(R11*1), L, Y10; \
	VPMADDWD S, Y10, Y10; \
	VPADDD Y10, Y5, Y5; \
	VPMADDUBSW off(DI)(R11*2), L, Y10; \
	VPMADDWD S, Y10, Y10; \
	VPADDD Y10, Y6, Y6; \
	VPMADDUBSW off(DI)(R12*1), L, Y10; \
	VPMADDWD S, Y10, Y10; \
	VPADDD Y10, Y7, Y7

// ACCUMULATE4 adds each row's integer lanes times yd·d, where X is d, to its
// accumulator, using Y9 (X9).
#define ACCUMULATE4(X) \
	VMULSS (DI), X, X9; \
	VBROADCASTSS X9, Y9; \
	VCVTDQ2PS Y4, Y4; \
	VFMADD231PS Y4, Y9, Y0; \
	VMULSS (DI)(R11*1), X, X9; \
	VBROADCASTSS X9, Y9; \
	VCVTDQ2PS Y5, Y5; \
	VFMADD231PS Y5, Y9, Y1; \
	VMULSS (DI)(R11*2), X, X9; \
	VBROADCASTSS X9, Y9; \
	VCVTDQ2PS Y6, Y6; \
	VFMADD231PS Y6, Y9, Y2; \
	VMULSS (DI)(R12*1), X, X9; \
	VBROADCASTSS X9, Y9; \
	VCVTDQ2PS Y7, Y7; \
	VFMADD231PS Y7, Y9, Y3

// LOAD_HALF sets X to the half at off(SI) as a float32, flipping its sign
// bit first when sign is 0x8000.
#define LOAD_HALF(off, sign, X) \
	MOVWLZX off(SI), AX; \
	XORL $sign, AX; \
	VMOVD AX, X; \
	VCVTPH2PS X, X

// SUMS4 leaves sum8 of the accumulators Y0-Y3 in X0-X3.
#define SUMS4 \
	SUM8(Y0, X0, X8); \
	SUM8(Y1, X1, X8); \
	SUM8(Y2, X2, X8); \
	SUM8(Y3, X3, X8)

// CLEAR_LANES4 clears the four rows' integer lanes Y4-Y7 (and so Z4-Z7).
#define CLEAR_LANES4 \
	VPXOR Y4, Y4, Y4; \
	VPXOR Y5, Y5, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPXOR Y7, Y7, Y7

// K4_NEXT ends a block of a four-row kernel: the integer lanes Y4-Y7 times
// the block's scale d (the half at off(SI)) go into the accumulators, and
// SI and DI move on to the next blocks, the weights' size bytes on.
#define K4_NEXT(off, size) \
	LOAD_HALF(off, 0, X11); \
	ACCUMULATE4(X11); \
	ADDQ $size, SI; \
	ADDQ $292, DI; \
	DECQ CX

// STORE4 writes the low floats of X0-X3 to the floats at AX, AX+BX,
// AX+2·BX and AX+3·BX.
#define STORE4 \
	VMOVSS X0, (AX); \
	VMOVSS X1, (AX)(BX*1); \
	VMOVSS X2, (AX)(BX*2); \
	ADDQ BX, AX; \
	VMOVSS X3, (AX)(BX*2)

// PAIR_MINS adds the min lanes of two rows, whose Q8_K blocks start at a and
// b and have their bsums at as and bs, to Y: the rows' kMinSums in the order
// A0 A1 B0 B1 A2 A3 B2 B3 that VPHADDD leaves them in, each times its row's
// -yd·dmin. Y9 holds -dmin and Y8 the mins from SCALE_WORDS; it uses Y4, Y5
// and Y10.
#define PAIR_MINS(a, as, b, bs, Y) \
	VBROADCASTSS a, Y10; \
	VBROADCASTSS b, Y4; \
	VBLENDPS $0xcc, Y4, Y10, Y10; \
	VMULPS Y9, Y10, Y10; \
	VPMADDWD as, Y8, Y4; \
	VPMADDWD bs, Y8, Y5; \
	VPHADDD Y5, Y4, Y4; \
	VCVTDQ2PS Y4, Y4; \
	VFMADD231PS Y4, Y10, Y

// PAIR_RESULTS adds to X and XB, accumulator sums of two rows, the min sums
// ((0+2)+(1+3)) of those rows from the min accumulator Y (XM) of PAIR_MINS,
// using X8.
#define PAIR_RESULTS(Y, XM, X, XB) \
	VEXTRACTF128 $1, Y, X8; \
	VADDPS X8, XM, XM; \
	VMOVSHDUP XM, X8; \
	VADDPS X8, XM, XM; \
	VADDSS XM, X, X; \
	VMOVHLPS XM, XM, XM; \
	VADDSS XM, XB, XB

// Q4K4_GROUP adds the runs 2g and 2g+1 of the Q4_K block at SI to Y4-Y7.
#define Q4K4_GROUP(g) \
	VPAND (16+32*g)(SI), Y15, Y8; \
	VPSHUFB kScaleShuffle<>+(64*g)(SB), Y12, Y9; \
	ROWS4(Y8, Y9, (4+64*g)); \
	VMOVDQU (16+32*g)(SI), Y8; \
	VPSRLW $4, Y8, Y8; \
	VPAND Y15, Y8, Y8; \
	VPSHUFB kScaleShuffle<>+(64*g+32)(SB), Y12, Y9; \
	ROWS4(Y8, Y9, (36+64*g))

// Q4K4_START sets up a four-row Q4_K kernel whose arguments are in SI, DI,
// R11 and CX: R12, the rows' accumulators Y0-Y3 and min lanes Y13 and Y14,
// the nibble mask Y15.
#define Q4K4_START \
	LEAQ (R11)(R11*2), R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y13, Y13, Y13; \
	VXORPS Y14, Y14, Y14; \
	BROADCAST_BYTES(0x0f, X15, Y15)

// Q4K4_HEADER starts a Q4_K block of a four-row kernel: the scales in Y12,
// the mins times the rows' bsums added to Y13 and Y14, and the integer lanes
// Y4-Y7 cleared.
#define Q4K4_HEADER \
	SCALES_MINS; \
	SCALE_WORDS(X12, Y12, X8, Y8); \
	LOAD_HALF(2, 0x8000, X9); \
	VBROADCASTSS X9, Y9; \
	PAIR_MINS((DI), 260(DI), (DI)(R11*1), 260(DI)(R11*1), Y13); \
	PAIR_MINS((DI)(R11*2), 260(DI)(R11*2), (DI)(R12*1), 260(DI)(R12*1), Y14); \
	CLEAR_LANES4

// Q4K4_SUMS adds the min lanes to each row's sum, leaving them in X0-X3.
#define Q4K4_SUMS \
	SUMS4; \
	PAIR_RESULTS(Y13, X13, X0, X1); \
	PAIR_RESULTS(Y14, X14, X2, X3)

// func dot4Q4KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q4KAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	Q4K4_START
	TESTQ CX, CX
	JZ    q4k4Done

q4k4Block:
	Q4K4_HEADER
	Q4K4_GROUP(0)
	Q4K4_GROUP(1)
	Q4K4_GROUP(2)
	Q4K4_GROUP(3)
	K4_NEXT(0, 144)
	JNZ  q4k4Block

q4k4Done:
	Q4K4_SUMS
	MOVQ out+32(FP), AX
	MOVQ outStride+40(FP), BX
	SHLQ $2, BX
	STORE4
	VZEROUPPER
	RET

// The AVX-512 four-row kernels take two runs per 512-bit register: the
// activations of runs 2g and 2g+1 lie side by side, so dword l of the low
// half gets lane l of the first run and dword l of the high half lane l of
// the second. VPDPWSSD multiplies the pair sums by the scales and adds them
// to the lanes in one step. Integer sums are exact, so adding the halves
// together at the end of the block gives the same lanes as the AVX2 kernels;
// every float step is theirs.

// ROWS4_AT_512 adds to A0-A3 the lanes of the unsigned levels in L times
// the quants at off of the four rows from B (B, B+R11, B+2·R11, B+R12),
// with the 16-bit scales S, using T.
#define ROWS4_AT_512(B, off, L, S, T, A0, A1, A2, A3) \
	VPMADDUBSW off(B), L, T; \
	VPDPWSSD S, T, A0; \
	VPMADDUBSW off(B)(R11*1), L, T; \
	VPDPWSSD S, T, A1; \
	VPMADDUBSW off(B)(R11*2), L, T; \
	VPDPWSSD S, T, A2; \
	VPMADDUBSW off(B)(R12*1), L, T; \
	VPDPWSSD S, T, A3

// ROWS4_512 adds to Z4-Z7 the lanes of the unsigned levels in Z8 times each
// row's quants at off, with the 16-bit scales Z9, using Z10.
#define ROWS4_512(off) ROWS4_AT_512(DI, off, Z8, Z9, Z10, Z4, Z5, Z6, Z7)

// FOLD4_512 adds the high half of each of Z4-Z7 to its low half, using Y10.
#define FOLD4_512 \
	FOLD_512(Z4, Y4, Y10); \
	FOLD_512(Z5, Y5, Y10); \
	FOLD_512(Z6, Y6, Y10); \
	FOLD_512(Z7, Y7, Y10)

// FOLD_512 adds the high half of Z (low half Y) to its low half, using T.
#define FOLD_512(Z, Y, T) \
	VEXTRACTI64X4 $1, Z, T; \
	VPADDD T, Y, Y

// SHUFFLES_512 loads the scale shuffle masks of runs 2g and 2g+1, for g 0
// to 3, into Z20-Z23, once a call: the table is only 32-byte aligned, so
// each 512-bit load of it splits across two cache lines.
#define SHUFFLES_512 SHUFFLES_AT_512(Z20, Z21, Z22, Z23)

// SHUFFLES_AT_512 is SHUFFLES_512 into the registers M0-M3.
#define SHUFFLES_AT_512(M0, M1, M2, M3) \
	VMOVDQU64 kScaleShuffle<>+0(SB), M0; \
	VMOVDQU64 kScaleShuffle<>+64(SB), M1; \
	VMOVDQU64 kScaleShuffle<>+128(SB), M2; \
	VMOVDQU64 kScaleShuffle<>+192(SB), M3

// UPPER_WORDS_MASK sets K1 to select the high sixteen words of a 512-bit
// register, using AX.
#define UPPER_WORDS_MASK \
	MOVL $0xffff0000, AX; \
	KMOVD AX, K1

// SHIFT_COUNTS sets the low sixteen words of Z to lo and the high sixteen
// to hi, using AX; K1 must select the high sixteen words.
#define SHIFT_COUNTS(lo, hi, Z) \
	MOVL $lo, AX; \
	VPBROADCASTW AX, Z; \
	MOVL $hi, AX; \
	VPBROADCASTW AX, K1, Z

// NIBBLES_512 sets L to the low nibbles of the 32 bytes at off(SI) in its
// low half and their high nibbles in its high half: the bytes in both
// halves, the high half shifted down a nibble under the mask K1, and both
// masked with Z15.
#define NIBBLES_512(off, L) \
	VBROADCASTI64X4 off(SI), L; \
	VPSRLW $4, L, K1, L; \
	VPANDD Z15, L, L

// Q4K4_GROUP_512 adds the runs 2g and 2g+1 of the Q4_K block at SI (the
// nibbles of qs bytes 32g…32g+31) to Z4-Z7. Z12 holds the scales in every
// 128-bit lane, so M, the shuffle masks of the two runs side by side
// (SHUFFLES_512), gives each half its run's scale.
#define Q4K4_GROUP_512(g, M) \
	NIBBLES_512((16+32*g), Z8); \
	VPSHUFB M, Z12, Z9; \
	ROWS4_512((4+64*g))

// Q4K_GROUP_512 adds the runs 2g and 2g+1 of the Q4_K block at SI to Z8,
// with the scales Z5 (in every 128-bit lane) and the masks M, using Z9 and
// Z10.
#define Q4K_GROUP_512(g, M) \
	NIBBLES_512((16+32*g), Z9); \
	VPMADDUBSW (4+64*g)(DI), Z9, Z9; \
	VPSHUFB M, Z5, Z10; \
	VPDPWSSD Z10, Z9, Z8

// func dotQ4KAVX512(w, x *byte, nb int) float32
TEXT ·dotQ4KAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	SHUFFLES_512
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // accMin
	BROADCAST_BYTES(0x0f, X15, Y15)
	VPBROADCASTD X15, Z15
	UPPER_WORDS_MASK
	MOVQ $0x8000000000000000, AX
	VMOVQ AX, X13
	TESTQ CX, CX
	JZ    q4kzDone

q4kzBlock:
	Q4K_HEADER
	VINSERTI64X4 $1, Y5, Z5, Z5
	VPXOR Y8, Y8, Y8
	Q4K_GROUP_512(0, Z20)
	Q4K_GROUP_512(1, Z21)
	Q4K_GROUP_512(2, Z22)
	Q4K_GROUP_512(3, Z23)
	FOLD_512(Z8, Y8, Y9)
	K1_NEXT(144)
	JNZ  q4kzBlock

q4kzDone:
	Q4K_RESULT
	CLEAR_HIGH_512
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dot4Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q4KAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	SHUFFLES_512
	Q4K4_START
	VPBROADCASTD X15, Z15
	UPPER_WORDS_MASK
	TESTQ CX, CX
	JZ    q4k4zDone

q4k4zBlock:
	Q4K4_HEADER
	VINSERTI64X4 $1, Y12, Z12, Z12
	Q4K4_GROUP_512(0, Z20)
	Q4K4_GROUP_512(1, Z21)
	Q4K4_GROUP_512(2, Z22)
	Q4K4_GROUP_512(3, Z23)
	FOLD4_512
	K4_NEXT(0, 144)
	JNZ  q4k4zBlock

q4k4zDone:
	Q4K4_SUMS
	MOVQ out+32(FP), AX
	MOVQ outStride+40(FP), BX
	SHLQ $2, BX
	STORE4
	CLEAR_HIGH_512
	VZEROUPPER
	RET

// The eight-row Q4_K kernel unpacks each weight block once for eight
// activation rows, rows 0-3 from DI and 4-7 from R13 = DI+4·R11. Each row
// is what the four-row kernel makes of it, step for step: Z16-Z23 hold the
// rows' integer lanes. The rows go in pairs (0 1) to (6 7): Z0, Z2, Z4
// and Z6 accumulate a pair's rows in their low and high halves, Z9-Z12
// their mins (MINS_PAIR), and Z1, Z3, Z5 and Z7 hold their yd (YD_PAIR).
// Z8 and Z13 are scratch, Z14 the mins and Z15 the scales from
// SCALE_WORDS, in both halves. Z24 holds the nibbles, Z25 the nibble mask,
// Z26 the scales of two runs, Z27 -dmin or the products, Z28-Z31 the
// shuffle masks, K1 the upper words and K3 the upper eight lanes.

// YD_PAIR sets YD to the yd of the row whose Q8_K block is at A in its low
// eight lanes and to that of the row at B in its high eight.
#define YD_PAIR(A, B, YD) \
	VBROADCASTSS A, YD; \
	VBROADCASTSS B, K3, YD

// YD_PAIRS8 sets Z1, Z3, Z5 and Z7 to the yd pairs of the eight rows.
#define YD_PAIRS8 \
	YD_PAIR((DI), (DI)(R11*1), Z1); \
	YD_PAIR((DI)(R11*2), (DI)(R12*1), Z3); \
	YD_PAIR((R13), (R13)(R11*1), Z5); \
	YD_PAIR((R13)(R11*2), (R13)(R12*1), Z7)

// MINS_PAIR is PAIR_MINS for a pair of rows of the eight-row kernel, with
// bsums at AS and BS and yd pair YD, step for step in each lane; but each
// row's four min lanes are in its half of ACC twice over (lanes 2l and
// 2l+1 hold lane l), which VPSHUFD and VPADDD make where VPHADDD, which has
// no 512-bit form, would pack them (MINS_ORDER puts them back). It uses Z8
// and Z26.
#define MINS_PAIR(AS, BS, YD, ACC) \
	VMOVDQU AS, Y8; \
	VINSERTI64X4 $1, BS, Z8, Z8; \
	VPMADDWD Z14, Z8, Z8; \
	VPSHUFD $0xb1, Z8, Z26; \
	VPADDD Z26, Z8, Z8; \
	VCVTDQ2PS Z8, Z8; \
	VMULPS Z27, YD, Z26; \
	VFMADD231PS Z8, Z26, ACC

// MINS_ORDER sets Y (low half of Z) to the min lanes of a pair of rows in
// Z as PAIR_MINS leaves them for PAIR_RESULTS, with minsOrder in Z8.
#define MINS_ORDER(Z) \
	VPERMPS Z, Z8, Z

// Q4K8_HEADER starts a Q4_K block of the eight-row kernel, as Q4K4_HEADER
// does for four: the scales in Z15, the yd pairs in Z1-Z7, the mins times
// the rows' bsums added to Z9-Z12, the integer lanes cleared.
#define Q4K8_HEADER \
	SCALES_MINS; \
	SCALE_WORDS(X15, Y15, X14, Y14); \
	VINSERTI64X4 $1, Y15, Z15, Z15; \
	VINSERTI64X4 $1, Y14, Z14, Z14; \
	LOAD_HALF(2, 0x8000, X13); \
	VBROADCASTSS X13, Z27; \
	LEAQ (DI)(R11*4), R13; \
	YD_PAIRS8; \
	MINS_PAIR(260(DI), 260(DI)(R11*1), Z1, Z9); \
	MINS_PAIR(260(DI)(R11*2), 260(DI)(R12*1), Z3, Z10); \
	MINS_PAIR(260(R13), 260(R13)(R11*1), Z5, Z11); \
	MINS_PAIR(260(R13)(R11*2), 260(R13)(R12*1), Z7, Z12); \
	CLEAR_HIGH_512

// Q4K8_GROUP adds the runs 2g and 2g+1 of the Q4_K block at SI to Z16-Z23.
#define Q4K8_GROUP(g, M) \
	VBROADCASTI64X4 (16+32*g)(SI), Z24; \
	VPSRLW $4, Z24, K1, Z24; \
	VPANDD Z25, Z24, Z24; \
	VPSHUFB M, Z15, Z26; \
	ROWS4_AT_512(DI, (4+64*g), Z24, Z26, Z27, Z16, Z17, Z18, Z19); \
	ROWS4_AT_512(R13, (4+64*g), Z24, Z26, Z27, Z20, Z21, Z22, Z23)

// ACCUMULATE_PAIR adds the integer lanes of a pair of rows, ZA and ZB,
// each with its halves added together as FOLD_512 adds them, times yd·d,
// with the pair's yd in YD and d in every lane of D, to the pair's
// accumulator ACC, ZA's row in the low half and ZB's in the high: in each
// lane the steps of ACCUMULATE4. It uses T and U.
#define ACCUMULATE_PAIR(ZA, ZB, YD, D, ACC, T, U) \
	VSHUFI64X2 $0x44, ZB, ZA, T; \
	VSHUFI64X2 $0xee, ZB, ZA, U; \
	VPADDD U, T, T; \
	VCVTDQ2PS T, T; \
	VMULPS D, YD, U; \
	VFMADD231PS T, U, ACC

// ACCUMULATE8_512 ends a block of an eight-row kernel: the integer lanes
// Z16-Z23 times d, in every lane of D, go into the pairs' accumulators Z0,
// Z2, Z4 and Z6, with the yd pairs in Z1-Z7. It uses T and U.
#define ACCUMULATE8_512(D, T, U) \
	ACCUMULATE_PAIR(Z16, Z17, Z1, D, Z0, T, U); \
	ACCUMULATE_PAIR(Z18, Z19, Z3, D, Z2, T, U); \
	ACCUMULATE_PAIR(Z20, Z21, Z5, D, Z4, T, U); \
	ACCUMULATE_PAIR(Z22, Z23, Z7, D, Z6, T, U)

// SPLIT_PAIRS8 leaves the eight rows' accumulators in Y0-Y7, from the
// pairs' in Z0, Z2, Z4 and Z6.
#define SPLIT_PAIRS8 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VEXTRACTF64X4 $1, Z2, Y3; \
	VEXTRACTF64X4 $1, Z4, Y5; \
	VEXTRACTF64X4 $1, Z6, Y7

// KEEP_HIGH8 sets K3 to the upper eight lanes of a 512-bit register, using
// AX.
#define KEEP_HIGH8 \
	MOVL $0xff00, AX; \
	KMOVW AX, K3

// SUMS8 leaves sum8 of the accumulators Y0-Y7 in X0-X7.
#define SUMS8 \
	SUMS4; \
	SUM8(Y4, X4, X8); \
	SUM8(Y5, X5, X8); \
	SUM8(Y6, X6, X8); \
	SUM8(Y7, X7, X8)

// STORE8 writes the low floats of X0-X7 to out, outStride floats apart.
#define STORE8 \
	MOVQ out+32(FP), AX; \
	MOVQ outStride+40(FP), BX; \
	SHLQ $2, BX; \
	LEAQ (BX)(BX*2), DX; \
	VMOVSS X0, (AX); \
	VMOVSS X1, (AX)(BX*1); \
	VMOVSS X2, (AX)(BX*2); \
	VMOVSS X3, (AX)(DX*1); \
	LEAQ (AX)(BX*4), AX; \
	VMOVSS X4, (AX); \
	VMOVSS X5, (AX)(BX*1); \
	VMOVSS X6, (AX)(BX*2); \
	VMOVSS X7, (AX)(DX*1)

// func dot8Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot8Q4KAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	LEAQ (R11)(R11*2), R12
	SHUFFLES_AT_512(Z28, Z29, Z30, Z31)
	CLEAR_Y0_7
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z25
	UPPER_WORDS_MASK
	KEEP_HIGH8
	TESTQ CX, CX
	JZ    q4k8zDone

q4k8zBlock:
	Q4K8_HEADER
	Q4K8_GROUP(0, Z28)
	Q4K8_GROUP(1, Z29)
	Q4K8_GROUP(2, Z30)
	Q4K8_GROUP(3, Z31)
	LOAD_HALF(0, 0, X13)
	VBROADCASTSS X13, Z13
	ACCUMULATE8_512(Z13, Z8, Z26)
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4k8zBlock

q4k8zDone:
	SPLIT_PAIRS8
	VMOVDQU64 minsOrder<>(SB), Z8
	MINS_ORDER(Z9)
	MINS_ORDER(Z10)
	MINS_ORDER(Z11)
	MINS_ORDER(Z12)
	SUMS8
	PAIR_RESULTS(Y9, X9, X0, X1)
	PAIR_RESULTS(Y10, X10, X2, X3)
	PAIR_RESULTS(Y11, X11, X4, X5)
	PAIR_RESULTS(Y12, X12, X6, X7)
	STORE8
	CLEAR_ALL_HIGH_512
	VZEROUPPER
	RET

// Q5K4_GROUP adds the runs 2g and 2g+1 of the Q5_K block at SI to Y4-Y7;
// SHL, nl, SHH and nh are those of Q5K_GROUP.
#define Q5K4_GROUP(g, SHL, nl, SHH, nh) \
	VPAND (48+32*g)(SI), Y15, Y8; \
	VMOVDQU 16(SI), Y11; \
	SHL $nl, Y11, Y11; \
	VPAND Y14, Y11, Y11; \
	VPOR Y11, Y8, Y8; \
	VPSHUFB kScaleShuffle<>+(64*g)(SB), Y12, Y9; \
	ROWS4(Y8, Y9, (4+64*g)); \
	VMOVDQU (48+32*g)(SI), Y8; \
	VPSRLW $4, Y8, Y8; \
	VPAND Y15, Y8, Y8; \
	VMOVDQU 16(SI), Y11; \
	SHH $nh, Y11, Y11; \
	VPAND Y14, Y11, Y11; \
	VPOR Y11, Y8, Y8; \
	VPSHUFB kScaleShuffle<>+(64*g+32)(SB), Y12, Y9; \
	ROWS4(Y8, Y9, (36+64*g))

// Q5K4_START sets up a four-row Q5_K kernel whose arguments are in SI, DI,
// R11 and CX: R12, the rows' accumulators Y0-Y3 and min sums X13, the masks
// Y14 and Y15.
#define Q5K4_START \
	LEAQ (R11)(R11*2), R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS X13, X13, X13; \
	BROADCAST_BYTES(0x0f, X15, Y15); \
	BROADCAST_BYTES(0x10, X14, Y14)

// Q5K4_HEADER starts a Q5_K block of a four-row kernel: the scales in Y12,
// each row's kMinSums times -yd·dmin added to its lane of X13, and the
// integer lanes Y4-Y7 cleared. The kMinSums are added up with three
// VPHADDDs, after which (4 5 6 7) holds the high halves of (0 1 2 3).
#define Q5K4_HEADER \
	SCALES_MINS; \
	SCALE_WORDS(X12, Y12, X8, Y8); \
	VPMADDWD 260(DI), Y8, Y4; \
	VPMADDWD 260(DI)(R11*1), Y8, Y5; \
	VPMADDWD 260(DI)(R11*2), Y8, Y6; \
	VPMADDWD 260(DI)(R12*1), Y8, Y7; \
	VPHADDD Y5, Y4, Y4; \
	VPHADDD Y7, Y6, Y6; \
	VPHADDD Y6, Y4, Y4; \
	VEXTRACTI128 $1, Y4, X5; \
	VPADDD X5, X4, X4; \
	VCVTDQ2PS X4, X4; \
	VMOVSS (DI), X5; \
	VINSERTPS $0x10, (DI)(R11*1), X5, X5; \
	VINSERTPS $0x20, (DI)(R11*2), X5, X5; \
	VINSERTPS $0x30, (DI)(R12*1), X5, X5; \
	LOAD_HALF(2, 0x8000, X6); \
	VBROADCASTSS X6, X6; \
	VMULPS X6, X5, X5; \
	VFMADD231PS X4, X5, X13; \
	CLEAR_LANES4

// Q5K4_SUMS adds each row's min sum to its sum, leaving them in X0-X3.
#define Q5K4_SUMS \
	SUMS4; \
	VADDSS X13, X0, X0; \
	VMOVSHDUP X13, X8; \
	VADDSS X8, X1, X1; \
	VMOVHLPS X13, X13, X8; \
	VADDSS X8, X2, X2; \
	VPERMILPS $0xff, X13, X8; \
	VADDSS X8, X3, X3

// func dot4Q5KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q5KAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	Q5K4_START
	TESTQ CX, CX
	JZ    q5k4Done

q5k4Block:
	Q5K4_HEADER
	Q5K4_GROUP(0, VPSLLW, 4, VPSLLW, 3)
	Q5K4_GROUP(1, VPSLLW, 2, VPSLLW, 1)
	Q5K4_GROUP(2, VPSLLW, 0, VPSRLW, 1)
	Q5K4_GROUP(3, VPSRLW, 2, VPSRLW, 3)
	K4_NEXT(0, 176)
	JNZ  q5k4Block

q5k4Done:
	Q5K4_SUMS
	MOVQ out+32(FP), AX
	MOVQ outStride+40(FP), BX
	SHLQ $2, BX
	STORE4
	VZEROUPPER
	RET

// Q5K_LEVELS_512 sets L to the levels of runs 2g and 2g+1 of the Q5_K block
// at SI: the nibbles of qs bytes 32g…32g+31, and the fifth bits from qh in
// both halves of Z11, which SH by the counts in Z moves to bit 4 (Z14).
#define Q5K_LEVELS_512(g, SH, Z, L) \
	NIBBLES_512((48+32*g), L); \
	VBROADCASTI64X4 16(SI), Z11; \
	SH Z, Z11, Z11; \
	VPANDD Z14, Z11, Z11; \
	VPORD Z11, L, L

// Q5K4_GROUP_512 adds the runs 2g and 2g+1 of the Q5_K block at SI to
// Z4-Z7, with the scales of Z12 and the masks M as Q4K4_GROUP_512 takes
// them.
#define Q5K4_GROUP_512(g, SH, Z, M) \
	Q5K_LEVELS_512(g, SH, Z, Z8); \
	VPSHUFB M, Z12, Z9; \
	ROWS4_512((4+64*g))

// Q5K_GROUP_512 adds the runs 2g and 2g+1 of the Q5_K block at SI to Z8,
// with the scales of Z5 and the masks M as Q4K_GROUP_512 takes them, using
// Z9-Z11.
#define Q5K_GROUP_512(g, SH, Z, M) \
	Q5K_LEVELS_512(g, SH, Z, Z9); \
	VPMADDUBSW (4+64*g)(DI), Z9, Z9; \
	VPSHUFB M, Z5, Z10; \
	VPDPWSSD Z10, Z9, Z8

// Q5K_START_512 widens the masks Y14 and Y15 to Z14 and Z15 and sets K1 and
// the shifts of Q5K_GROUP in Z16-Z19 (left by 4 and 3, left by 2 and 1,
// right by 0 and 1, right by 2 and 3 for the groups 0 to 3), using AX.
#define Q5K_START_512 \
	VPBROADCASTD X14, Z14; \
	VPBROADCASTD X15, Z15; \
	UPPER_WORDS_MASK; \
	SHIFT_COUNTS(4, 3, Z16); \
	SHIFT_COUNTS(2, 1, Z17); \
	SHIFT_COUNTS(0, 1, Z18); \
	SHIFT_COUNTS(2, 3, Z19)

// Q5K_GROUPS_512 runs G, a group macro, over the four groups of a block,
// with their shift counts (Q5K_START_512) and masks (SHUFFLES_512).
#define Q5K_GROUPS_512(G) \
	G(0, VPSLLVW, Z16, Z20); \
	G(1, VPSLLVW, Z17, Z21); \
	G(2, VPSRLVW, Z18, Z22); \
	G(3, VPSRLVW, Z19, Z23)

// func dotQ5KAVX512(w, x *byte, nb int) float32
TEXT ·dotQ5KAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	SHUFFLES_512
	VXORPS Y0, Y0, Y0 // acc
	VXORPS X1, X1, X1 // summs
	BROADCAST_BYTES(0x0f, X15, Y15)
	BROADCAST_BYTES(0x10, X14, Y14)
	Q5K_START_512
	MOVQ $0x8000000000000000, AX
	VMOVQ AX, X13
	TESTQ CX, CX
	JZ    q5kzDone

q5kzBlock:
	Q5K_HEADER
	VINSERTI64X4 $1, Y5, Z5, Z5
	VPXOR Y8, Y8, Y8
	Q5K_GROUPS_512(Q5K_GROUP_512)
	FOLD_512(Z8, Y8, Y9)
	K1_NEXT(176)
	JNZ  q5kzBlock

q5kzDone:
	SUM8(Y0, X0, X2)
	VADDSS X1, X0, X0
	CLEAR_HIGH_512
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dot4Q5KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q5KAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	SHUFFLES_512
	Q5K4_START
	Q5K_START_512
	TESTQ CX, CX
	JZ    q5k4zDone

q5k4zBlock:
	Q5K4_HEADER
	VINSERTI64X4 $1, Y12, Z12, Z12
	Q5K_GROUPS_512(Q5K4_GROUP_512)
	FOLD4_512
	K4_NEXT(0, 176)
	JNZ  q5k4zBlock

q5k4zDone:
	Q5K4_SUMS
	MOVQ out+32(FP), AX
	MOVQ outStride+40(FP), BX
	SHLQ $2, BX
	STORE4
	CLEAR_HIGH_512
	VZEROUPPER
	RET
// Q6K4_RUN adds run j of the Q6_K block at SI to Y4-Y7: L holds its low
// nibbles (unmasked), and SH by n moves its high bits in the qh bytes at
// qh(SI) to bits 4-5. Y11 holds the scales of run j.
#define Q6K4_RUN(L, qh, SH, n, j) \
	VPAND Y15, L, Y8; \
	VMOVDQU qh(SI), Y9; \
	SH $n, Y9, Y9; \
	VPAND Y14, Y9, Y9; \
	VPOR Y9, Y8, Y8; \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y12, Y11; \
	Q6K4_ROW((4+32*j)(DI)); \
	VPADDD Y10, Y4, Y4; \
	Q6K4_ROW((4+32*j)(DI)(R11*1)); \
	VPADDD Y10, Y5, Y5; \
	Q6K4_ROW((4+32*j)(DI)(R11*2)); \
	VPADDD Y10, Y6, Y6; \
	Q6K4_ROW((4+32*j)(DI)(R12*1)); \
	VPADDD Y10, Y7, Y7

// Q6K4_ROW leaves in Y10 the kLanes of the levels in Y8 (minus 32, Y13)
// times the quants at q8, with the scales Y11, using Y9.
#define Q6K4_ROW(q8) \
	VPMADDUBSW q8, Y8, Y10; \
	VPMADDUBSW q8, Y13, Y9; \
	VPSUBW Y9, Y10, Y10; \
	VPMADDWD Y11, Y10, Y10

// Q6K4_HALF adds the runs 4h…4h+3 of the Q6_K block at SI to Y4-Y7.
#define Q6K4_HALF(h) \
	VMOVDQU (64*h)(SI), Y8; \
	Q6K4_RUN(Y8, (128+32*h), VPSLLW, 4, (4*h)); \
	VMOVDQU (64*h+32)(SI), Y8; \
	Q6K4_RUN(Y8, (128+32*h), VPSLLW, 2, (4*h+1)); \
	VMOVDQU (64*h)(SI), Y8; \
	VPSRLW $4, Y8, Y8; \
	Q6K4_RUN(Y8, (128+32*h), VPSRLW, 0, (4*h+2)); \
	VMOVDQU (64*h+32)(SI), Y8; \
	VPSRLW $4, Y8, Y8; \
	Q6K4_RUN(Y8, (128+32*h), VPSRLW, 2, (4*h+3))

// Q6K_START sets up a Q6_K kernel whose arguments are in SI, DI, R11 and
// CX: R12 (for four rows), the rows' accumulators Y0-Y3 and the masks
// Y13-Y15.
#define Q6K_START \
	LEAQ (R11)(R11*2), R12; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	BROADCAST_BYTES(0x0f, X15, Y15); \
	BROADCAST_BYTES(0x30, X14, Y14); \
	BROADCAST_BYTES(0x20, X13, Y13)

// Q6K_HEADER starts a Q6_K block of a one- or four-row kernel: its scales
// as words in Y12 (as in dotQ6KAVX2) and the integer lanes Y4-Y7 cleared.
#define Q6K_HEADER \
	Q6K_SCALES; \
	CLEAR_LANES4

// Q6K_SCALES sets Y12 to the scales of the Q6_K block at SI as words.
#define Q6K_SCALES \
	VMOVDQU 192(SI), X12; \
	VPSHUFB q6KScaleOrder<>(SB), X12, X12; \
	VPMOVSXBW X12, Y12

// func dot4Q6KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q6KAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	Q6K_START
	TESTQ CX, CX
	JZ    q6k4Done

q6k4Block:
	Q6K_HEADER
	Q6K4_HALF(0)
	Q6K4_HALF(1)
	K4_NEXT(208, 210)
	JNZ  q6k4Block

q6k4Done:
	SUMS4
	MOVQ out+32(FP), AX
	MOVQ outStride+40(FP), BX
	SHLQ $2, BX
	STORE4
	VZEROUPPER
	RET

// Q6K_LEVELS_512 finishes in Z8 the levels of runs j and j+1 of the Q6_K
// block at SI, as Q6K4_RUN does one run's: their low bits in Z8
// (unmasked), their qh bytes at qh(SI) in both halves of Z11, shifted by SH
// with the counts in Z.
#define Q6K_LEVELS_512(qh, SH, Z) \
	VPANDD Z15, Z8, Z8; \
	VBROADCASTI64X4 qh(SI), Z11; \
	SH Z, Z11, Z11; \
	VPANDD Z14, Z11, Z11; \
	VPORD Z11, Z8, Z8

// Q6K4_ROW_512 adds to A the lanes of the levels in Z8 (minus 32, Z13)
// times the quants at q8, with the scales Z9, using Z10 and Z11.
#define Q6K4_ROW_512(q8, A) \
	VPMADDUBSW q8, Z8, Z10; \
	VPMADDUBSW q8, Z13, Z11; \
	VPSUBW Z11, Z10, Z10; \
	VPDPWSSD Z9, Z10, A

// Q6K4_PAIR_512 adds the runs j and j+1 of the Q6_K block at SI to Z4-Z7,
// the levels made by Q6K_LEVELS_512 and the scales from Z12, picked by M,
// the shuffle masks of runs j and j+1 (SHUFFLES_512).
#define Q6K4_PAIR_512(qh, SH, Z, j, M) \
	Q6K_LEVELS_512(qh, SH, Z); \
	VPSHUFB M, Z12, Z9; \
	Q6K_ROWS4_512(DI, j, Z4, Z5, Z6, Z7)

// Q6K_ROWS4_512 adds runs j and j+1 of the levels in Z8 to A0-A3, the
// lanes of the four rows from B (B, B+R11, B+2·R11, B+R12).
#define Q6K_ROWS4_512(B, j, A0, A1, A2, A3) \
	Q6K4_ROW_512((4+32*j)(B), A0); \
	Q6K4_ROW_512((4+32*j)(B)(R11*1), A1); \
	Q6K4_ROW_512((4+32*j)(B)(R11*2), A2); \
	Q6K4_ROW_512((4+32*j)(B)(R12*1), A3)

// Q6K8_PAIR is Q6K4_PAIR_512 for the eight rows of the eight-row kernel,
// into Z16-Z23.
#define Q6K8_PAIR(qh, SH, Z, j, M) \
	Q6K_LEVELS_512(qh, SH, Z); \
	VPSHUFB M, Z12, Z9; \
	Q6K_ROWS4_512(DI, j, Z16, Z17, Z18, Z19); \
	Q6K_ROWS4_512(R13, j, Z20, Z21, Z22, Z23)

// Q6K8_HALF is Q6K4_HALF_512 for the eight-row kernel, whose shift counts
// are in Z24 and Z25.
#define Q6K8_HALF(h, M0, M1) \
	VMOVDQU64 (64*h)(SI), Z8; \
	Q6K8_PAIR((128+32*h), VPSLLVW, Z24, (4*h), M0); \
	VMOVDQU64 (64*h)(SI), Z8; \
	VPSRLW $4, Z8, Z8; \
	Q6K8_PAIR((128+32*h), VPSRLVW, Z25, (4*h+2), M1)

// Q6K4_HALF_512 adds the runs 4h…4h+3 of the Q6_K block at SI to Z4-Z7,
// with the masks M0 (runs 4h and 4h+1) and M1 (4h+2 and 4h+3).
#define Q6K4_HALF_512(h, M0, M1) \
	VMOVDQU64 (64*h)(SI), Z8; \
	Q6K4_PAIR_512((128+32*h), VPSLLVW, Z16, (4*h), M0); \
	VMOVDQU64 (64*h)(SI), Z8; \
	VPSRLW $4, Z8, Z8; \
	Q6K4_PAIR_512((128+32*h), VPSRLVW, Z17, (4*h+2), M1)

// Q6K_PAIR_512 adds the runs j and j+1 of the Q6_K block at SI to Z4, with
// the scales from Z12 and the masks M: Q6K4_PAIR_512 for one row.
#define Q6K_PAIR_512(qh, SH, Z, j, M) \
	Q6K_LEVELS_512(qh, SH, Z); \
	VPSHUFB M, Z12, Z9; \
	Q6K4_ROW_512((4+32*j)(DI), Z4)

// Q6K_HALF_512 adds the runs 4h…4h+3 of the Q6_K block at SI to Z4, with
// the masks M0 and M1 as Q6K4_HALF_512 takes them.
#define Q6K_HALF_512(h, M0, M1) \
	VMOVDQU64 (64*h)(SI), Z8; \
	Q6K_PAIR_512((128+32*h), VPSLLVW, Z16, (4*h), M0); \
	VMOVDQU64 (64*h)(SI), Z8; \
	VPSRLW $4, Z8, Z8; \
	Q6K_PAIR_512((128+32*h), VPSRLVW, Z17, (4*h+2), M1)

// Q6K_START_512 widens the masks Y13-Y15 of Q6K_START to Z13-Z15 and sets
// the shift counts that bring the high bits of runs 4h and 4h+1 to bits
// 4-5 (left by 4 and 2) in Z16, those of runs 4h+2 and 4h+3 (right by 0 and
// 2) in Z17. It uses AX and K1.
#define Q6K_START_512 \
	VPBROADCASTD X13, Z13; \
	VPBROADCASTD X14, Z14; \
	VPBROADCASTD X15, Z15; \
	UPPER_WORDS_MASK; \
	SHIFT_COUNTS(4, 2, Z16); \
	SHIFT_COUNTS(0, 2, Z17)

// func dotQ6KAVX512(w, x *byte, nb int) float32
TEXT ·dotQ6KAVX512(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	SHUFFLES_512
	Q6K_START
	Q6K_START_512
	TESTQ CX, CX
	JZ    q6kzDone

q6kzBlock:
	Q6K_HEADER
	VINSERTI64X4 $1, Y12, Z12, Z12
	Q6K_HALF_512(0, Z20, Z21)
	Q6K_HALF_512(1, Z22, Z23)
	FOLD_512(Z4, Y4, Y10)
	Q6K1_NEXT(Y4)
	JNZ  q6kzBlock

q6kzDone:
	SUM8(Y0, X0, X2)
	CLEAR_HIGH_512
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dot4Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q6KAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	SHUFFLES_512
	Q6K_START
	Q6K_START_512
	TESTQ CX, CX
	JZ    q6k4zDone

q6k4zBlock:
	Q6K_HEADER
	VINSERTI64X4 $1, Y12, Z12, Z12
	Q6K4_HALF_512(0, Z20, Z21)
	Q6K4_HALF_512(1, Z22, Z23)
	FOLD4_512
	K4_NEXT(208, 210)
	JNZ  q6k4zBlock

q6k4zDone:
	SUMS4
	MOVQ out+32(FP), AX
	MOVQ outStride+40(FP), BX
	SHLQ $2, BX
	STORE4
	CLEAR_HIGH_512
	VZEROUPPER
	RET

// The eight-row Q6_K kernel: rows 0-3 from DI and 4-7 from R13 =
// DI+4·R11, as in the eight-row Q4_K kernel, each row what the four-row
// kernel makes of it. Z8-Z15 are the four-row kernel's, Z16-Z23 the rows'
// integer lanes, Z24 and Z25 the shift counts, Z27 d, Z28-Z31 the shuffle
// masks.

// func dot8Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot8Q6KAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ stride+16(FP), R11
	MOVQ nb+24(FP), CX
	SHUFFLES_AT_512(Z28, Z29, Z30, Z31)
	Q6K_START
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VPBROADCASTD X13, Z13
	VPBROADCASTD X14, Z14
	VPBROADCASTD X15, Z15
	UPPER_WORDS_MASK
	SHIFT_COUNTS(4, 2, Z24)
	SHIFT_COUNTS(0, 2, Z25)
	KEEP_HIGH8
	TESTQ CX, CX
	JZ    q6k8zDone

q6k8zBlock:
	Q6K_SCALES
	VINSERTI64X4 $1, Y12, Z12, Z12
	CLEAR_HIGH_512
	LEAQ (DI)(R11*4), R13
	Q6K8_HALF(0, Z28, Z29)
	Q6K8_HALF(1, Z30, Z31)
	LOAD_HALF(208, 0, X27)
	VBROADCASTSS X27, Z27
	YD_PAIRS8
	ACCUMULATE8_512(Z27, Z8, Z26)
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q6k8zBlock

q6k8zDone:
	SPLIT_PAIRS8
	SUMS8
	STORE8
	CLEAR_ALL_HIGH_512
	VZEROUPPER
	RET

// Q3K_LEVELS sets L and H to the parts of run j of the Q3_K block at SI
// (qs in Y12, hmask in Y13): LSH by ln moves the run's low level bits to
// bits 0-1, kept in L; HSH by hn moves its high bits to bit 2, and VPANDN
// turns each clear bit into the 4 to subtract, in H.
#define Q3K_LEVELS(LSH, ln, HSH, hn, L, H) \
	LSH $ln, Y12, L; \
	VPAND kBytes<>(SB), L, L; \
	HSH $hn, Y13, H; \
	VPANDN kBytes<>+32(SB), H, H

// Q3K_PRODUCT sets T to the pair sums of the levels L - H (Q3K_LEVELS)
// times the quants at q8, as VPMADDUBSW of each part and the quants, using
// U.
#define Q3K_PRODUCT(q8, L, H, T, U) \
	VPMADDUBSW q8, L, T; \
	VPMADDUBSW q8, H, U; \
	VPSUBW U, T, T

// Q3K_RUN adds run j of the Q3_K block at SI to Y8, with the scales in Y5.
#define Q3K_RUN(j, LSH, ln, HSH, hn) \
	Q3K_LEVELS(LSH, ln, HSH, hn, Y9, Y10); \
	Q3K_PRODUCT((4+32*j)(DI), Y9, Y10, Y9, Y10); \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y5, Y10; \
	VPMADDWD Y10, Y9, Y9; \
	VPADDD Y9, Y8, Y8

// Q3K_RUNS runs RUN (Q3K_RUN or Q3K4_RUN) over the eight runs of the
// Q3_K block at SI, with its hmask in Y13 and each half of its qs in turn
// in Y12: run j's low bits are bits 2(j%4)… of qs half j/4, its high bits
// bit j of hmask.
#define Q3K_RUNS(RUN) \
	VMOVDQU (SI), Y13; \
	VMOVDQU 32(SI), Y12; \
	RUN(0, VPSRLW, 0, VPSLLW, 2); \
	RUN(1, VPSRLW, 2, VPSLLW, 1); \
	RUN(2, VPSRLW, 4, VPSRLW, 0); \
	RUN(3, VPSRLW, 6, VPSRLW, 1); \
	VMOVDQU 64(SI), Y12; \
	RUN(4, VPSRLW, 0, VPSRLW, 2); \
	RUN(5, VPSRLW, 2, VPSRLW, 3); \
	RUN(6, VPSRLW, 4, VPSRLW, 4); \
	RUN(7, VPSRLW, 6, VPSRLW, 5)

// Q3K_SCALES sets S to the sixteen scales of the Q3_K block at SI minus 32
// (unpackQ3KScales) as words, those of the first 16 values of each run in
// the low half and of the second 16 in the high half, using AX, BX, DX, R8,
// XS (the low half of S) and the masks 0x0f… in M0F and 0x03… in M03:
// the low nibbles of bytes 96-103 for scales 0-7, their high nibbles for
// 8-15; the top bits of scale j at bit 2·(j/4) of byte 104+j%4, which DX
// lines up as h | (h>>2)<<32.
#define Q3K_SCALES(M0F, M03, XS, S) \
	MOVQ 96(SI), AX; \
	MOVL 104(SI), DX; \
	MOVQ DX, BX; \
	SHRQ $2, BX; \
	SHLQ $32, BX; \
	ORQ  BX, DX; \
	MOVQ DX, BX; \
	ANDQ M03, BX; \
	SHLQ $4, BX; \
	MOVQ AX, R8; \
	ANDQ M0F, R8; \
	ORQ  BX, R8; \
	SHRQ $4, DX; \
	ANDQ M03, DX; \
	SHLQ $4, DX; \
	SHRQ $4, AX; \
	ANDQ M0F, AX; \
	ORQ  DX, AX; \
	VMOVQ R8, XS; \
	VPINSRQ $1, AX, XS, XS; \
	VPSUBB kBytes<>+64(SB), XS, XS; \
	VPSHUFB q6KScaleOrder<>(SB), XS, XS; \
	VPMOVSXBW XS, S

// func dotQ3KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ3KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	MOVQ $0x0f0f0f0f0f0f0f0f, R11
	MOVQ $0x0303030303030303, R12
	TESTQ CX, CX
	JZ    q3kDone

q3kBlock:
	Q3K_SCALES(R11, R12, X4, Y5)
	VPXOR Y8, Y8, Y8
	Q3K_RUNS(Q3K_RUN)
	// d = yd·d
	LOAD_HALF(108, 0, X2)
	VMULSS (DI), X2, X2
	VBROADCASTSS X2, Y3
	VCVTDQ2PS Y8, Y8
	VFMADD231PS Y8, Y3, Y0
	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q3kBlock

q3kDone:
	SUM8(Y0, X0, X2)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q2K_RUN adds run j of the Q2_K block at SI to Y8: the levels are bits
// 2s…2s+1 of each byte of Y12 (qs), masked by Y14.
#define Q2K_RUN(j, s) \
	VPSRLW $(2*s), Y12, Y9; \
	VPAND Y14, Y9, Y9; \
	RUN(Y9, (4+32*j)(DI), j, Y10)

// Q2K_RUNS runs RUN (Q2K_RUN or Q2K4_RUN) over the eight runs of the
// Q2_K block at SI, each half of its qs in turn in Y12: run j's levels are
// bits 2(j%4)… of half j/4.
#define Q2K_RUNS(RUN) \
	VMOVDQU 16(SI), Y12; \
	RUN(0, 0); \
	RUN(1, 1); \
	RUN(2, 2); \
	RUN(3, 3); \
	VMOVDQU 48(SI), Y12; \
	RUN(4, 0); \
	RUN(5, 1); \
	RUN(6, 2); \
	RUN(7, 3)

// func dotQ2KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ2KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BROADCAST_BYTES(0x0f, X15, Y15)
	BROADCAST_BYTES(0x03, X14, Y14)
	TESTQ CX, CX
	JZ    q2kDone

q2kBlock:
	// The min terms first: word k of Y6 is the min of sub-block k, and
	// VPMADDWD with the bsums pairs sub-blocks 2k and 2k+1 in dword k.
	VMOVDQU (SI), X4
	VPSRLW $4, X4, X6
	VPAND X15, X6, X6
	VPMOVZXBW X6, Y6
	VPMADDWD 260(DI), Y6, Y6
	VCVTDQ2PS Y6, Y6
	LOAD_HALF(82, 0x8000, X2) // -dmin
	VMULSS (DI), X2, X2
	VBROADCASTSS X2, Y3
	VFMADD231PS Y6, Y3, Y0
	// Scales: the first 16 values of each run take the low half of Y5,
	// the second 16 the high half.
	VPAND X15, X4, X4
	VPSHUFB q6KScaleOrder<>(SB), X4, X4
	VPMOVZXBW X4, Y5
	VPXOR Y8, Y8, Y8
	Q2K_RUNS(Q2K_RUN)
	// d = yd·d
	LOAD_HALF(80, 0, X2)
	VMULSS (DI), X2, X2
	VBROADCASTSS X2, Y3
	VCVTDQ2PS Y8, Y8
	VFMADD231PS Y8, Y3, Y0
	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q2kBlock

q2kDone:
	SUM8(Y0, X0, X2)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// iq4nlTable holds iq4nlValues, the levels the IQ4_NL nibbles stand for.
DATA iq4nlTable<>+0(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlTable<>+8(SB)/8, $0x7159453526190d01
GLOBL iq4nlTable<>(SB), RODATA|NOPTR, $16

// IQ4XS_LEVELS sets Y9 to the levels of run j of the IQ4_XS block at SI:
// the low nibbles of its 16 qs bytes are values 0-15, the high nibbles
// 16-31, looked up in Y14 (Y15 is the nibble mask). It uses X10.
#define IQ4XS_LEVELS(j) \
	VMOVDQU (8+16*j)(SI), X9; \
	VPSRLW $4, X9, X10; \
	VINSERTI128 $1, X10, Y9, Y9; \
	VPAND Y15, Y9, Y9; \
	VPSHUFB Y9, Y14, Y9

// IQ4XS_PRODUCT sets T to the pair sums of the levels L times the quants
// at q8, loaded into Q. VPMADDUBSW takes the quants' magnitudes as the
// unsigned side and the levels with the quants' signs as the signed side,
// which is exact even for a quant of -128, whose magnitude as an unsigned
// byte is 128.
#define IQ4XS_PRODUCT(q8, Q, L, T) \
	VMOVDQU q8, Q; \
	VPSIGNB Q, L, T; \
	VPABSB Q, Q; \
	VPMADDUBSW T, Q, T

// IQ4XS_RUN adds run j of the IQ4_XS block at SI to Y8, with the scales in
// Y5.
#define IQ4XS_RUN(j) \
	IQ4XS_LEVELS(j); \
	IQ4XS_PRODUCT((4+32*j)(DI), Y10, Y9, Y9); \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y5, Y10; \
	VPMADDWD Y10, Y9, Y9; \
	VPADDD Y9, Y8, Y8

// SPREAD moves the fields of R, by three steps of shift, OR and mask (M1-M3
// shifts S1-S3), so that field i lands in byte i, using DX.
#define SPREAD(R, S1, M1, S2, M2, S3, M3) \
	MOVQ R, DX; \
	SHLQ $S1, DX; \
	ORQ  DX, R; \
	ANDQ M1, R; \
	MOVQ R, DX; \
	SHLQ $S2, DX; \
	ORQ  DX, R; \
	ANDQ M2, R; \
	MOVQ R, DX; \
	SHLQ $S3, DX; \
	ORQ  DX, R; \
	ANDQ M3, R

// iq4xsSpread holds the masks of IQ4XS_SCALES's two SPREADs.
DATA iq4xsSpread<>+0(SB)/8, $0x0000ffff0000ffff
DATA iq4xsSpread<>+8(SB)/8, $0x00ff00ff00ff00ff
DATA iq4xsSpread<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA iq4xsSpread<>+24(SB)/8, $0x000000ff000000ff
DATA iq4xsSpread<>+32(SB)/8, $0x000f000f000f000f
DATA iq4xsSpread<>+40(SB)/8, $0x0303030303030303
GLOBL iq4xsSpread<>(SB), RODATA|NOPTR, $48

// IQ4XS_SCALES sets S to the scales of the IQ4_XS block at SI
// (iq4xsScale) as words, in both halves: the nibbles of scales_l and the
// 2-bit fields of scales_h spread to a byte each, minus 32. It uses AX, BX,
// DX and XS, the low half of S.
#define IQ4XS_SCALES(XS, S) \
	MOVL 4(SI), AX; \
	SPREAD(AX, 16, iq4xsSpread<>+0(SB), 8, iq4xsSpread<>+8(SB), 4, iq4xsSpread<>+16(SB)); \
	MOVWLZX 2(SI), BX; \
	SPREAD(BX, 24, iq4xsSpread<>+24(SB), 12, iq4xsSpread<>+32(SB), 6, iq4xsSpread<>+40(SB)); \
	SHLQ $4, BX; \
	ORQ  BX, AX; \
	VMOVQ AX, XS; \
	VPSUBB kBytes<>+64(SB), XS, XS; \
	VPMOVSXBW XS, XS; \
	VINSERTI128 $1, XS, S, S

// EIGHT_RUNS runs RUN(j) for the eight runs j of a super-block.
#define EIGHT_RUNS(RUN) \
	RUN(0); \
	RUN(1); \
	RUN(2); \
	RUN(3); \
	RUN(4); \
	RUN(5); \
	RUN(6); \
	RUN(7)

// func dotIQ4XSAVX2(w, x *byte, nb int) float32
TEXT ·dotIQ4XSAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BROADCAST_BYTES(0x0f, X15, Y15)
	VBROADCASTI128 iq4nlTable<>(SB), Y14
	TESTQ CX, CX
	JZ    iq4xsDone

iq4xsBlock:
	IQ4XS_SCALES(X5, Y5)
	VPXOR Y8, Y8, Y8
	EIGHT_RUNS(IQ4XS_RUN)
	// d·yd
	LOAD_HALF(0, 0, X2)
	VMULSS (DI), X2, X2
	VBROADCASTSS X2, Y3
	VCVTDQ2PS Y8, Y8
	VFMADD231PS Y8, Y3, Y0
	ADDQ $136, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  iq4xsBlock

iq4xsDone:
	SUM8(Y0, X0, X2)
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// The four-row kernels of Q2_K, Q3_K and IQ4_XS, laid out as Q4_K's (see
// K4_START): the rows' accumulators in Y0-Y3 and their integer lanes in
// Y4-Y7, each row what the one-row kernel makes of it.

// Q2K4_MINS adds a row's min terms to its accumulator ACC: the mins in Y13
// times the bsums at bsums, times -dmin (X11) times the row's yd at yd.
#define Q2K4_MINS(yd, bsums, ACC) \
	VPMADDWD bsums, Y13, Y10; \
	VCVTDQ2PS Y10, Y10; \
	VMULSS yd, X11, X9; \
	VBROADCASTSS X9, Y9; \
	VFMADD231PS Y10, Y9, ACC

// Q2K4_RUN adds run j of the Q2_K block at SI to Y4-Y7: the levels are bits
// 2s…2s+1 of each byte of Y12 (qs), masked by Y14; the scales are in Y13.
#define Q2K4_RUN(j, s) \
	VPSRLW $(2*s), Y12, Y8; \
	VPAND Y14, Y8, Y8; \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y13, Y9; \
	ROWS4(Y8, Y9, (4+32*j))

// func dot4Q2KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q2KAVX2(SB), NOSPLIT, $0-48
	K4_START
	BROADCAST_BYTES(0x0f, X15, Y15)
	BROADCAST_BYTES(0x03, X14, Y14)
	TESTQ CX, CX
	JZ    q2k4Done

q2k4Block:
	// The min terms first, as in dotQ2KAVX2.
	VMOVDQU (SI), X12
	VPSRLW $4, X12, X13
	VPAND X15, X13, X13
	VPMOVZXBW X13, Y13
	LOAD_HALF(82, 0x8000, X11)
	Q2K4_MINS((DI), 260(DI), Y0)
	Q2K4_MINS((DI)(R11*1), 260(DI)(R11*1), Y1)
	Q2K4_MINS((DI)(R11*2), 260(DI)(R11*2), Y2)
	Q2K4_MINS((DI)(R12*1), 260(DI)(R12*1), Y3)
	VPAND X15, X12, X12
	VPSHUFB q6KScaleOrder<>(SB), X12, X12
	VPMOVZXBW X12, Y13
	CLEAR_LANES4
	Q2K_RUNS(Q2K4_RUN)
	K4_NEXT(80, 84)
	JNZ  q2k4Block

q2k4Done:
	K4_END

// EACH_ROW4 runs ROW(q8, LANE) for each of the four rows: its quants at
// off from its Q8_K block and its integer lanes.
#define EACH_ROW4(ROW, off) \
	ROW(off(DI), Y4); \
	ROW(off(DI)(R11*1), Y5); \
	ROW(off(DI)(R11*2), Y6); \
	ROW(off(DI)(R12*1), Y7)

// Q3K4_ROW adds to LANE the lanes of the levels in Y8 and Y9 (Q3K_LEVELS)
// times a row's quants at q8, with the scales in Y10, using Y11 and Y14.
#define Q3K4_ROW(q8, LANE) \
	Q3K_PRODUCT(q8, Y8, Y9, Y11, Y14); \
	VPMADDWD Y10, Y11, Y11; \
	VPADDD Y11, LANE, LANE

// Q3K4_RUN adds run j of the Q3_K block at SI to Y4-Y7, with the scales in
// Y15.
#define Q3K4_RUN(j, LSH, ln, HSH, hn) \
	Q3K_LEVELS(LSH, ln, HSH, hn, Y8, Y9); \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y15, Y10; \
	EACH_ROW4(Q3K4_ROW, (4+32*j))

// func dot4Q3KAVX2(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4Q3KAVX2(SB), NOSPLIT, $0-48
	K4_START
	MOVQ $0x0f0f0f0f0f0f0f0f, R9
	MOVQ $0x0303030303030303, R10
	TESTQ CX, CX
	JZ    q3k4Done

q3k4Block:
	Q3K_SCALES(R9, R10, X15, Y15)
	CLEAR_LANES4
	Q3K_RUNS(Q3K4_RUN)
	K4_NEXT(108, 110)
	JNZ  q3k4Block

q3k4Done:
	K4_END

// IQ4XS4_ROW adds to LANE the lanes of the levels in Y9 times a row's
// quants at q8, with the scales in Y10, using Y8 and Y11.
#define IQ4XS4_ROW(q8, LANE) \
	IQ4XS_PRODUCT(q8, Y11, Y9, Y8); \
	VPMADDWD Y10, Y8, Y8; \
	VPADDD Y8, LANE, LANE

// IQ4XS4_RUN adds run j of the IQ4_XS block at SI to Y4-Y7, with the scales
// in Y12.
#define IQ4XS4_RUN(j) \
	IQ4XS_LEVELS(j); \
	VPSHUFB kScaleShuffle<>+(32*j)(SB), Y12, Y10; \
	EACH_ROW4(IQ4XS4_ROW, (4+32*j))

// func dot4IQ4XSAVX2(w, x *byte, stride, nb int, out *float32, outStride int)
TEXT ·dot4IQ4XSAVX2(SB), NOSPLIT, $0-48
	K4_START
	BROADCAST_BYTES(0x0f, X15, Y15)
	VBROADCASTI128 iq4nlTable<>(SB), Y14
	TESTQ CX, CX
	JZ    iq4xs4Done

iq4xs4Block:
	IQ4XS_SCALES(X12, Y12)
	CLEAR_LANES4
	EIGHT_RUNS(IQ4XS4_RUN)
	K4_NEXT(0, 136)
	JNZ  iq4xs4Block

iq4xs4Done:
	K4_END
