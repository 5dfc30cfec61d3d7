#include "textflag.h"
#include "lanes_amd64.h"
#include "blocks_amd64.h"

// AVX2 kernels of the 32-value block formats. Each sums exactly as its Go
// twin in q8_0.go, q4_0.go, q4_1.go, q5_0.go, q5_1.go or iq4nl.go: the
// integer part of a block is exact whatever the instructions, and the float
// part uses the same roundings in the same order (VFMADD231PS rounds once,
// like fma32).

// Constants, 32 bytes each so that a YMM register can load one.
DATA eights<>+0(SB)/8, $0x0808080808080808
DATA eights<>+8(SB)/8, $0x0808080808080808
DATA eights<>+16(SB)/8, $0x0808080808080808
DATA eights<>+24(SB)/8, $0x0808080808080808
GLOBL eights<>(SB), RODATA|NOPTR, $32

DATA minInt8<>+0(SB)/8, $0x8080808080808080
DATA minInt8<>+8(SB)/8, $0x8080808080808080
DATA minInt8<>+16(SB)/8, $0x8080808080808080
DATA minInt8<>+24(SB)/8, $0x8080808080808080
GLOBL minInt8<>(SB), RODATA|NOPTR, $32

DATA onesInt16<>+0(SB)/8, $0x0001000100010001
DATA onesInt16<>+8(SB)/8, $0x0001000100010001
DATA onesInt16<>+16(SB)/8, $0x0001000100010001
DATA onesInt16<>+24(SB)/8, $0x0001000100010001
GLOBL onesInt16<>(SB), RODATA|NOPTR, $32

// iq4nlAbs is iq4nlTable's magnitudes.
DATA iq4nlAbs<>+0(SB)/8, $0x0a1623314153687f
DATA iq4nlAbs<>+8(SB)/8, $0x7159453526190d01
DATA iq4nlAbs<>+16(SB)/8, $0x0a1623314153687f
DATA iq4nlAbs<>+24(SB)/8, $0x7159453526190d01
GLOBL iq4nlAbs<>(SB), RODATA|NOPTR, $32

// BLOCK_SCALE sets YD (and its low lane XD) to the product, rounded to
// float32, of the F16 scales at (W) and (X) in every lane.
#define BLOCK_SCALE(W, X, XD, YD) \
	VPBROADCASTW (W), XD; \
	VPBROADCASTW (X), X15; \
	VCVTPH2PS    XD, YD; \
	VCVTPH2PS    X15, Y15; \
	VMULPS       Y15, YD, YD

// OFFSET_LANES sets YQ to the eight lane sums of a block, lane l being
// Σ (q[i]-offset)·x[i] over values 4l…4l+3, where YQ holds the unsigned
// levels q (below 32), YX the signed activation quants and YOFF the offset
// in every byte. It sums q·x and offset·x apart, which VPMADDUBSW takes
// without saturating.
#define OFFSET_LANES(YQ, YX, YOFF, YT) \
	VPMADDUBSW YX, YQ, YQ; \
	VPMADDUBSW YX, YOFF, YT; \
	VPSUBW     YT, YQ, YQ; \
	VPMADDWD   onesInt16<>(SB), YQ, YQ

// SUMINT8 reduces the int32 lanes of Y (low half X) into the low lane of X.
#define SUMINT8(Y, X, XT) \
	VEXTRACTI128 $1, Y, XT; \
	VPADDD    XT, X, X; \
	VPSHUFD   $0x4e, X, XT; \
	VPADDD    XT, X, X; \
	VPSHUFD   $0xb1, X, XT; \
	VPADDD    XT, X, X

// PAIR_SCALES sets the low two lanes of XD to the products, rounded to
// float32, of the F16 scales of two blocks: at (W) and WNEXT(W), and at
// (X) and XNEXT(X). Clobbers X15.
#define PAIR_SCALES(W, WNEXT, X, XNEXT, XD) \
	VPBROADCASTW (W), XD; \
	VPINSRW      $1, WNEXT(W), XD, XD; \
	VPBROADCASTW (X), X15; \
	VPINSRW      $1, XNEXT(X), X15, X15; \
	VCVTPH2PS    XD, XD; \
	VCVTPH2PS    X15, X15; \
	VMULPS       X15, XD, XD

// PAIR_SUMS sets the low two lanes of XA to the sums of the int32 lanes of
// YA and of YB, converted to float32 (exactly: they are below 2²⁴).
#define PAIR_SUMS(YA, XA, YB, XT) \
	VPHADDD      YB, YA, YA; \
	VEXTRACTI128 $1, YA, XT; \
	VPADDD       XT, XA, XA; \
	VPHADDD      XA, XA, XA; \
	VCVTDQ2PS    XA, XA

// func dotQ8_0AVX2(w, x *byte, blocks int) (sum float32, exact bool)
//
// Lane sums come from VPMADDUBSW of |w| and x with w's signs, which is wrong
// only when x holds -128 (its negation overflows); exact reports that no
// DOT4_LANES8 is the body of a kernel of one weight row, whose blocks of
// WSIZE bytes LEVELS loads (blocks_amd64.h; the F16 scale at (SI) goes
// into Y10 in every lane), against four Q8_0 activation rows
// stride bytes apart, summed as vecDotQ8_0 sums: the lanes8 scheme.
#define DOT4_LANES8(LEVELS, WSIZE) \
	MOVQ w+0(FP), SI; \
	MOVQ x+8(FP), DI; \
	MOVQ stride+16(FP), R8; \
	MOVQ blocks+24(FP), CX; \
	LEAQ (DI)(R8*1), R9; \
	LEAQ (R9)(R8*1), R10; \
	LEAQ (R10)(R8*1), R11; \
	VXORPS  Y0, Y0, Y0; \
	VXORPS  Y1, Y1, Y1; \
	VXORPS  Y2, Y2, Y2; \
	VXORPS  Y3, Y3, Y3; \
	VPXOR   Y7, Y7, Y7; \
	VMOVDQU minInt8<>(SB), Y6; \
	VMOVDQU onesInt16<>(SB), Y5; \
	TESTQ   CX, CX; \
	JZ      done; \
loop: \
	LEVELS(SI, Y8, X8, Y4, X4); \
	VPABSB       Y8, Y9; \
	VPBROADCASTW (SI), X10; \
	VCVTPH2PS    X10, Y10; \
	Q8_0_ROW(DI, Y0); \
	Q8_0_ROW(R9, Y1); \
	Q8_0_ROW(R10, Y2); \
	Q8_0_ROW(R11, Y3); \
	ADDQ $WSIZE, SI; \
	ADDQ $34, DI; \
	ADDQ $34, R9; \
	ADDQ $34, R10; \
	ADDQ $34, R11; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+32(FP), AX; \
	MOVQ outStride+40(FP), BX; \
	SHLQ $2, BX; \
	SUM8(Y0, X0, X4); \
	VMOVSS X0, (AX); \
	ADDQ   BX, AX; \
	SUM8(Y1, X1, X4); \
	VMOVSS X1, (AX); \
	ADDQ   BX, AX; \
	SUM8(Y2, X2, X4); \
	VMOVSS X2, (AX); \
	ADDQ   BX, AX; \
	SUM8(Y3, X3, X4); \
	VMOVSS X3, (AX); \
	VPTEST Y7, Y7; \
	SETEQ  exact+48(FP); \
	VZEROUPPER; \
	RET

// DOT4_OFFSET is the body of a kernel of one Q4_1 or Q5_1 weight row,
// whose blocks of WSIZE bytes LEVELS loads as unsigned levels, against
// four Q8_1 activation rows stride bytes apart, summed as
// vecDotQ4_1Generic sums: the levels' products in the lanes8 scheme, Y0-Y3,
// and each row's offset terms m·s apart, in the low lanes of Y4-Y7.
#define DOT4_OFFSET(LEVELS, WSIZE) \
	MOVQ w+0(FP), SI; \
	MOVQ x+8(FP), DI; \
	MOVQ stride+16(FP), R8; \
	MOVQ blocks+24(FP), CX; \
	LEAQ (DI)(R8*1), R9; \
	LEAQ (R9)(R8*1), R10; \
	LEAQ (R10)(R8*1), R11; \
	CLEAR_Y0_7; \
	TESTQ CX, CX; \
	JZ    done; \
loop: \
	LEVELS(SI, Y8, X8, Y9, X9); \
	VPBROADCASTW (SI), X10; \
	VCVTPH2PS    X10, Y10; \
	VPBROADCASTW 2(SI), X14; \
	VCVTPH2PS    X14, X14; \
	Q8_1_ROW(DI, Y0, X4); \
	Q8_1_ROW(R9, Y1, X5); \
	Q8_1_ROW(R10, Y2, X6); \
	Q8_1_ROW(R11, Y3, X7); \
	ADDQ $WSIZE, SI; \
	ADDQ $36, DI; \
	ADDQ $36, R9; \
	ADDQ $36, R10; \
	ADDQ $36, R11; \
	DECQ CX; \
	JNZ  loop; \
done: \
	MOVQ out+32(FP), AX; \
	MOVQ outStride+40(FP), BX; \
	SHLQ $2, BX; \
	OFFSET_RESULT(Y0, X0, X4); \
	OFFSET_RESULT(Y1, X1, X5); \
	OFFSET_RESULT(Y2, X2, X6); \
	OFFSET_RESULT(Y3, X3, X7); \
	VZEROUPPER; \
	RET

// REPACK8_ROWS is the body, up to its last label, of a kernel of eight
// weight rows at a time against one activation row (repackRowsQ4_0AVX2,
// repackRowsIQ4_NLAVX2): SI the rows, R8 rowBytes, R9 the groups left, R10
// 3·rowBytes, AX the results, Y12 the nibble mask. GROUP runs at the start
// of each group, after DI and CX are set to the activations and the block
// count; BLOCK for each block, with R11 at the block of the group's row 0,
// adding the eight rows' products to Y0 in lane order.
#define REPACK8_ROWS(GROUP, BLOCK) \
	MOVQ w+0(FP), SI; \
	MOVQ rowBytes+8(FP), R8; \
	MOVQ groups+16(FP), R9; \
	MOVQ out+40(FP), AX; \
	LEAQ (R8)(R8*2), R10; \
	VMOVDQU nibbleMask<>(SB), Y12; \
	TESTQ R9, R9; \
	JZ    done; \
group: \
	MOVQ x+24(FP), DI; \
	MOVQ blocks+32(FP), CX; \
	GROUP; \
	MOVQ SI, R11; \
	LEAQ (SI)(R8*8), R14; \
	LEAQ (R14)(R8*8), R14; \
	VXORPS Y0, Y0, Y0; \
	TESTQ CX, CX; \
	JZ    store; \
block: \
	BLOCK; \
	ADDQ $18, R11; \
	ADDQ $34, DI; \
	DECQ CX; \
	JNZ  block; \
store: \
	STORE_ROWS8(Y0, X0, AX); \
	ADDQ $32, AX; \
	LEAQ (SI)(R8*8), SI; \
	DECQ R9; \
	JNZ  group; \
done:

// Q4_0_SUMS points R12 at the 8·Σx of repackRowsQ4_0AVX2's activations.
#define Q4_0_SUMS MOVQ sums+48(FP), R12

// NO_SUMS is REPACK8_ROWS's GROUP for kernels that need none.
#define NO_SUMS

// activation quant was -128, and otherwise the caller uses the Go twin.
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-29
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  Y0, Y0, Y0
	VPXOR   Y7, Y7, Y7
	VMOVDQU minInt8<>(SB), Y6
	VMOVDQU onesInt16<>(SB), Y5
	TESTQ   CX, CX
	JZ      q80done

q80loop:
	BLOCK_SCALE(SI, DI, X1, Y1)
	VMOVDQU    2(SI), Y2
	VMOVDQU    2(DI), Y3
	VPCMPEQB   Y6, Y3, Y4
	VPOR       Y4, Y7, Y7
	VPABSB     Y2, Y4
	VPSIGNB    Y2, Y3, Y3
	VPMADDUBSW Y3, Y4, Y3
	VPMADDWD   Y5, Y3, Y3
	VCVTDQ2PS  Y3, Y3
	VFMADD231PS Y3, Y1, Y0
	ADDQ $34, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  q80loop

q80done:
	SUM8(Y0, X0, X1)
	VMOVSS X0, sum+24(FP)
	VPTEST Y7, Y7
	SETEQ  exact+28(FP)
	VZEROUPPER
	RET

// func dotQ4_0AVX2(w, x *byte, blocks int) float32
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  Y0, Y0, Y0
	VMOVDQU eights<>(SB), Y6
	TESTQ   CX, CX
	JZ      q40done

q40loop:
	BLOCK_SCALE(SI, DI, X1, Y1)
	NIBBLES(2(SI), X2, Y2, X3)
	VMOVDQU 2(DI), Y3
	OFFSET_LANES(Y2, Y3, Y6, Y4)
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS Y2, Y1, Y0
	ADDQ $18, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  q40loop

q40done:
	SUM8(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func repackDotQ4_0AVX2(w, x *byte, blocks int) float32
//
// The repack scheme: one float32 accumulator, to which each block adds its
// whole integer sum times the scales with a fused multiply-add.
TEXT ·repackDotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  X0, X0, X0
	VMOVDQU eights<>(SB), Y6
	CMPQ    CX, $2
	JB      rq40one

rq40pair:
	PAIR_SCALES(SI, 18, DI, 34, X1)
	NIBBLES(2(SI), X2, Y2, X3)
	VMOVDQU 2(DI), Y3
	OFFSET_LANES(Y2, Y3, Y6, Y4)
	NIBBLES(20(SI), X10, Y10, X3)
	VMOVDQU 36(DI), Y3
	OFFSET_LANES(Y10, Y3, Y6, Y4)
	PAIR_SUMS(Y2, X2, Y10, X3)
	VFMADD231SS X2, X1, X0
	VMOVSHDUP   X1, X1
	VMOVSHDUP   X2, X2
	VFMADD231SS X2, X1, X0
	ADDQ $36, SI
	ADDQ $68, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JAE  rq40pair

rq40one:
	TESTQ CX, CX
	JZ    rq40done
	BLOCK_SCALE(SI, DI, X1, Y1)
	NIBBLES(2(SI), X2, Y2, X3)
	VMOVDQU 2(DI), Y3
	OFFSET_LANES(Y2, Y3, Y6, Y4)
	SUMINT8(Y2, X2, X3)
	VCVTDQ2PS   X2, X2
	VFMADD231SS X2, X1, X0

rq40done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// The reference multiplies a Q4_0 matrix it repacks eight rows at a time,
// each row's block sum in a lane of its own, and so sums each row as
// repackDotQ4_0Generic does: one fused multiply-add a block. The kernels
// below do the same from the file's layout: PAIR_Q4_0 leaves the lanes of
// two rows in one register, one row in each half, and three VPHADDDs fold
// four such registers into the eight block sums, in the lane order r0 r2
// r4 r6 r1 r3 r5 r7. The offset of the levels (8) comes off as 8·Σx, made
// for every block of an activation row beforehand (repackSumsQ4_0AVX2),
// and the weight scales are put together in the same lane order with
// scalar loads (a gather is slow on some CPUs). While a group of eight
// rows is multiplied, the group after next is prefetched into L2, 144
// bytes (its share of eight 18-byte blocks) a block: the rows of a group
// are read side by side, which the hardware prefetchers do not follow.

// PAIR_Q4_0 sets L to the lanes of the Q4_0 blocks at A (low half) and B
// (high half) against the activations x0…x15 in both halves of Y14 and
// x16…x31 in Y15, their levels unsigned (without the offset). It uses Y8,
// Y9 and the nibble mask in Y12.
#define PAIR_Q4_0(A, B, L) \
	UNPACK_PAIR(A, B); \
	VPMADDUBSW  Y14, Y8, Y8; \
	VPMADDUBSW  Y15, Y9, Y9; \
	VPADDW      Y9, Y8, Y8; \
	VPMADDWD    onesInt16<>(SB), Y8, L

// UNPACK_PAIR sets Y8 to the low nibbles (levels 0-15) of the Q4_0 blocks
// at A (low half) and B (high half), and Y9 to their high nibbles (levels
// 16-31), with the nibble mask in Y12.
#define UNPACK_PAIR(A, B) \
	VMOVDQU     A, X8; \
	VINSERTI128 $1, B, Y8, Y8; \
	VPSRLW      $4, Y8, Y9; \
	VPAND       Y12, Y8, Y8; \
	VPAND       Y12, Y9, Y9

// PAIR2_Q4_0 is PAIR_Q4_0 against two activation rows: LA gets the lanes
// against x in Y14 and Y15, LB against x in Y10 and Y11. It uses Y7.
#define PAIR2_Q4_0(A, B, LA, LB) \
	UNPACK_PAIR(A, B); \
	VPMADDUBSW Y14, Y8, LA; \
	VPMADDUBSW Y15, Y9, Y7; \
	VPADDW     Y7, LA, LA; \
	VPMADDWD   onesInt16<>(SB), LA, LA; \
	VPMADDUBSW Y10, Y8, Y8; \
	VPMADDUBSW Y11, Y9, Y9; \
	VPADDW     Y9, Y8, Y8; \
	VPMADDWD   onesInt16<>(SB), Y8, LB

// HALVES4 sets R to the four F16 scales at A, B, C and D, the first in the
// low word, using BX.
#define HALVES4(A, B, C, D, R) \
	MOVWQZX A, R; \
	MOVWQZX B, BX; \
	SHLQ    $16, BX; \
	ORQ     BX, R; \
	MOVWQZX C, BX; \
	SHLQ    $32, BX; \
	ORQ     BX, R; \
	MOVWQZX D, BX; \
	SHLQ    $48, BX; \
	ORQ     BX, R

// GROUP_SCALES sets Y5 to the weight scales of the block at R11 of the
// eight rows, in lane order, using BX and DX.
#define GROUP_SCALES \
	HALVES4((R11), (R11)(R8*2), (R13), (R13)(R8*2), DX); \
	VMOVQ DX, X5; \
	HALVES4((R11)(R8*1), (R11)(R10*1), (R13)(R8*1), (R13)(R10*1), DX); \
	VPINSRQ $1, DX, X5, X5; \
	VCVTPH2PS X5, Y5

// GROUP_START starts a block of a group: R13 at row 4, the group after
// next prefetched, the activations of the Q8_0 block at X (x0…x15 and
// x16…x31) in both halves of Y14 and Y15.
#define GROUP_START(X) \
	LEAQ (R11)(R8*4), R13; \
	PREFETCHT1 (R14); \
	PREFETCHT1 64(R14); \
	PREFETCHT1 128(R14); \
	ADDQ $144, R14; \
	VBROADCASTI128 2(X), Y14; \
	VBROADCASTI128 18(X), Y15

// ACCUMULATE_Q4_0 takes 8·Σx at S off the block sums in Y (integers), and
// adds them times the weight scales Y5 times the activation scale at X to
// ACC, using Y6 and T.
#define ACCUMULATE_Q4_0(Y, S, X, T, ACC) \
	VPBROADCASTD S, T; \
	VPSUBD       T, Y, Y; \
	ACCUMULATE_ROWS8(Y, X, ACC)

// ACCUMULATE_ROWS8 adds the block sums in Y (integers) times the weight
// scales Y5 times the activation scale at X to ACC, using Y6.
#define ACCUMULATE_ROWS8(Y, X, ACC) \
	VCVTDQ2PS    Y, Y; \
	VPBROADCASTW X, X6; \
	VCVTPH2PS    X6, Y6; \
	VMULPS       Y6, Y5, Y6; \
	VFMADD231PS  Y, Y6, ACC

// ROWS8_SUMS starts a block of a group of eight rows (GROUP_START) and
// sets Y1 to their integer block sums, in lane order, with PAIR (PAIR_Q4_0
// or PAIR_IQ4NL), and Y5 to their scales, using Y2 and Y3.
#define ROWS8_SUMS(PAIR) \
	GROUP_START(DI); \
	PAIR(2(R11), 2(R11)(R8*1), Y1); \
	PAIR(2(R11)(R8*2), 2(R11)(R10*1), Y2); \
	VPHADDD Y2, Y1, Y1; \
	PAIR(2(R13), 2(R13)(R8*1), Y2); \
	PAIR(2(R13)(R8*2), 2(R13)(R10*1), Y3); \
	VPHADDD Y3, Y2, Y2; \
	VPHADDD Y2, Y1, Y1; \
	GROUP_SCALES

// STORE_ROWS8 writes the eight results of ACC (low half X), in lane order,
// to the floats at R, using X2-X4.
#define STORE_ROWS8(ACC, X, R) \
	VEXTRACTF128 $1, ACC, X4; \
	VUNPCKLPS X4, X, X2; \
	VUNPCKHPS X4, X, X3; \
	VMOVUPS X2, (R); \
	VMOVUPS X3, 16(R)

// func repackSumsQ4_0AVX2(x *byte, blocks int, sums *int32, step int)
//
// It sets the int32 step bytes apart from sums on to 8·Σx of each Q8_0
// block of x: Σ(x+128) of each 8 bytes, then of all 32, less 32·128.
TEXT ·repackSumsQ4_0AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), DI
	MOVQ blocks+8(FP), CX
	MOVQ sums+16(FP), DX
	MOVQ step+24(FP), BX
	VMOVDQU minInt8<>(SB), Y11
	VPXOR   Y10, Y10, Y10
	TESTQ CX, CX
	JZ    rq4sumsDone

rq4sumsLoop:
	QUANT_SUM(DI)
	SHLL         $3, AX
	MOVL         AX, (DX)
	ADDQ $34, DI
	ADDQ BX, DX
	DECQ CX
	JNZ  rq4sumsLoop

rq4sumsDone:
	VZEROUPPER
	RET

// Q4_0_BLOCK8 is repackRowsQ4_0AVX2's block: the eight rows' products less
// 8·Σx, times the scales, into Y0.
#define Q4_0_BLOCK8 \
	ROWS8_SUMS(PAIR_Q4_0); \
	ACCUMULATE_Q4_0(Y1, (R12), (DI), Y2, Y0); \
	ADDQ $4, R12

// func repackRowsQ4_0AVX2(w *byte, rowBytes, groups int, x *byte, blocks int, out *float32, sums *int32)
//
// For groups groups of eight weight rows rowBytes apart, from w on, it
// sets out[r] to repackDotQ4_0 of row r and the activation row x, with
// 8·Σx of block b in sums[b]. Rows 0-3 of a group are at R11 + (0, 1, 2,
// 3)·R8, rows 4-7 at R13 = R11 + 4·R8.
TEXT ·repackRowsQ4_0AVX2(SB), NOSPLIT, $0-56
	REPACK8_ROWS(Q4_0_SUMS, Q4_0_BLOCK8)
	VZEROUPPER
	RET

// func repackRows2Q4_0AVX2(w *byte, rowBytes, groups int, x *byte, xStride, blocks int, out *float32, outStride int, sums *int32)
//
// repackRowsQ4_0AVX2 for two activation rows, x and xStride bytes on, whose
// results go to out and outStride floats on: each weight block is unpacked
// once for both. 8·Σx of block b is in sums[2b] for the first and
// sums[2b+1] for the second. Y14 and Y15 hold the first row's
// activations, Y10 and Y11 the second's, Y0 and Y1 their accumulators.
TEXT ·repackRows2Q4_0AVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ rowBytes+8(FP), R8
	MOVQ groups+16(FP), R9
	LEAQ (R8)(R8*2), R10
	VMOVDQU nibbleMask<>(SB), Y12
	TESTQ R9, R9
	JZ    rq4rows2Done

rq4rows2Group:
	MOVQ x+24(FP), DI
	MOVQ xStride+32(FP), AX
	MOVQ blocks+40(FP), CX
	MOVQ sums+64(FP), R12
	MOVQ SI, R11
	LEAQ (SI)(R8*8), R14
	LEAQ (R14)(R8*8), R14
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ CX, CX
	JZ    rq4rows2Store

rq4rows2Block:
	GROUP_START(DI)
	VBROADCASTI128 2(DI)(AX*1), Y10
	VBROADCASTI128 18(DI)(AX*1), Y11
	PAIR2_Q4_0(2(R11), 2(R11)(R8*1), Y2, Y3)
	PAIR2_Q4_0(2(R11)(R8*2), 2(R11)(R10*1), Y4, Y5)
	VPHADDD Y4, Y2, Y2
	VPHADDD Y5, Y3, Y3
	PAIR2_Q4_0(2(R13), 2(R13)(R8*1), Y4, Y5)
	PAIR2_Q4_0(2(R13)(R8*2), 2(R13)(R10*1), Y6, Y13)
	VPHADDD Y6, Y4, Y4
	VPHADDD Y13, Y5, Y5
	VPHADDD Y4, Y2, Y2
	VPHADDD Y5, Y3, Y3
	GROUP_SCALES
	ACCUMULATE_Q4_0(Y2, (R12), (DI), Y4, Y0)
	ACCUMULATE_Q4_0(Y3, 4(R12), (DI)(AX*1), Y4, Y1)
	ADDQ $18, R11
	ADDQ $34, DI
	ADDQ $8, R12
	DECQ CX
	JNZ  rq4rows2Block

rq4rows2Store:
	MOVQ out+48(FP), DX
	STORE_ROWS8(Y0, X0, DX)
	MOVQ outStride+56(FP), BX
	LEAQ (DX)(BX*4), DX
	STORE_ROWS8(Y1, X1, DX)
	ADDQ $32, out+48(FP)
	LEAQ (SI)(R8*8), SI
	DECQ R9
	JNZ  rq4rows2Group

rq4rows2Done:
	VZEROUPPER
	RET

// FIFTH_BITS adds to the levels in Y the fifth bits of the uint32 qh at
// ADDR: bit k of qh becomes 16 in byte k. It needs sixteens in Y6, qhSpread
// in Y7 and qhBit in Y8.
#define FIFTH_BITS(ADDR, Y, YT) \
	VPBROADCASTD ADDR, YT; \
	VPSHUFB      Y7, YT, YT; \
	VPAND        Y8, YT, YT; \
	VPCMPEQB     Y8, YT, YT; \
	VPAND        Y6, YT, YT; \
	VPOR         YT, Y, Y


// PAIR_IQ4NL is PAIR_Q4_0 for IQ4_NL blocks, as the reference's
// mul_sum_i8_pairs sums them: the levels' magnitudes (table in Y10) times
// the activations with the levels' signs (levels in Y11), which is exact
// but for an activation quant of -128 (the caller flags those). It uses
// Y13.
#define PAIR_IQ4NL(A, B, L) \
	UNPACK_PAIR(A, B); \
	VPSHUFB    Y8, Y11, Y13; \
	VPSHUFB    Y8, Y10, Y8; \
	VPSIGNB    Y13, Y14, Y13; \
	VPMADDUBSW Y13, Y8, Y8; \
	VPMADDWD   onesInt16<>(SB), Y8, Y8; \
	VPSHUFB    Y9, Y11, Y13; \
	VPSHUFB    Y9, Y10, Y9; \
	VPSIGNB    Y13, Y15, Y13; \
	VPMADDUBSW Y13, Y9, Y9; \
	VPMADDWD   onesInt16<>(SB), Y9, Y9; \
	VPADDD     Y9, Y8, L

// IQ4NL_BLOCK8 is repackRowsIQ4_NLAVX2's block: the eight rows' products,
// times the scales, into Y0, and any activation quant of -128 flagged in Y7.
#define IQ4NL_BLOCK8 \
	ROWS8_SUMS(PAIR_IQ4NL); \
	VPCMPEQB minInt8<>(SB), Y14, Y4; \
	VPOR     Y4, Y7, Y7; \
	VPCMPEQB minInt8<>(SB), Y15, Y4; \
	VPOR     Y4, Y7, Y7; \
	ACCUMULATE_ROWS8(Y1, (DI), Y0)

// func repackRowsIQ4_NLAVX2(w *byte, rowBytes, groups int, x *byte, blocks int, out *float32) (exact bool)
//
// repackRowsQ4_0AVX2 for IQ4_NL rows (repackDotIQ4_NLGeneric). exact is
// false if an activation quant is -128, and then the results are not.
TEXT ·repackRowsIQ4_NLAVX2(SB), NOSPLIT, $0-49
	VMOVDQU iq4nlAbs<>(SB), Y10
	VMOVDQU iq4nlTable<>(SB), Y11
	VPXOR   Y7, Y7, Y7
	REPACK8_ROWS(NO_SUMS, IQ4NL_BLOCK8)
	VPTEST Y7, Y7
	SETEQ  exact+48(FP)
	VZEROUPPER
	RET

// func dotQ5_0AVX2(w, x *byte, blocks int) float32
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  Y0, Y0, Y0
	VMOVDQU sixteens<>(SB), Y6
	VMOVDQU qhSpread<>(SB), Y7
	VMOVDQU qhBit<>(SB), Y8
	TESTQ   CX, CX
	JZ      q50done

q50loop:
	BLOCK_SCALE(SI, DI, X1, Y1)
	NIBBLES(6(SI), X2, Y2, X3)
	FIFTH_BITS(2(SI), Y2, Y3)
	VMOVDQU 2(DI), Y3
	OFFSET_LANES(Y2, Y3, Y6, Y4)
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS Y2, Y1, Y0
	ADDQ $22, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  q50loop

q50done:
	SUM8(Y0, X0, X1)
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// OFFSET_TERM adds, with a fused multiply-add, the product of the F16
// offsets m at 2(W) and s at 2(X) (Q4_1 or Q5_1 against Q8_1) to the low
// lane of XS. Clobbers X14, X15.
#define OFFSET_TERM(W, X, XS) \
	VPBROADCASTW 2(W), X14; \
	VPBROADCASTW 2(X), X15; \
	VCVTPH2PS    X14, X14; \
	VCVTPH2PS    X15, X15; \
	VFMADD231SS  X15, X14, XS

// func dotQ4_1AVX2(w, x *byte, blocks int) float32
//
// As vecDotQ4_1Generic: the unsigned levels times the activation quants in
// the lanes8 scheme (VPMADDUBSW takes the levels as they are), and apart
// from them, in X9, each block's offset term m·s; the reduced lanes plus
// that sum.
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  Y0, Y0, Y0
	VXORPS  X9, X9, X9
	VMOVDQU onesInt16<>(SB), Y5
	TESTQ   CX, CX
	JZ      q41done

q41loop:
	BLOCK_SCALE(SI, DI, X1, Y1)
	OFFSET_TERM(SI, DI, X9)
	NIBBLES(4(SI), X2, Y2, X3)
	VPMADDUBSW  4(DI), Y2, Y2
	VPMADDWD    Y5, Y2, Y2
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS Y2, Y1, Y0
	ADDQ $20, SI
	ADDQ $36, DI
	DECQ CX
	JNZ  q41loop

q41done:
	SUM8(Y0, X0, X1)
	VADDSS X9, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotQ5_1AVX2(w, x *byte, blocks int) float32
//
// dotQ4_1AVX2 with a fifth bit per level, as vecDotQ5_1Generic.
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  Y0, Y0, Y0
	VXORPS  X9, X9, X9
	VMOVDQU onesInt16<>(SB), Y5
	VMOVDQU sixteens<>(SB), Y6
	VMOVDQU qhSpread<>(SB), Y7
	VMOVDQU qhBit<>(SB), Y8
	TESTQ   CX, CX
	JZ      q51done

q51loop:
	BLOCK_SCALE(SI, DI, X1, Y1)
	OFFSET_TERM(SI, DI, X9)
	NIBBLES(8(SI), X2, Y2, X3)
	FIFTH_BITS(4(SI), Y2, Y3)
	VPMADDUBSW  4(DI), Y2, Y2
	VPMADDWD    Y5, Y2, Y2
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS Y2, Y1, Y0
	ADDQ $24, SI
	ADDQ $36, DI
	DECQ CX
	JNZ  q51loop

q51done:
	SUM8(Y0, X0, X1)
	VADDSS X9, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// IQ4NL_LANES sets Y (low half X) to the eight lane sums of the IQ4_NL
// block whose quants are at WQ and the Q8_0 quants at XQ, given the level
// table in Y6 and int16 ones in Y5. Clobbers Y3, Y4.
#define IQ4NL_LANES(WQ, XQ, Y, X) \
	NIBBLES(WQ, X, Y, X3); \
	VPSHUFB    Y, Y6, Y; \
	VMOVDQU    XQ, Y3; \
	VPABSB     Y3, Y4; \
	VPSIGNB    Y3, Y, Y; \
	VPMADDUBSW Y, Y4, Y; \
	VPMADDWD   Y5, Y, Y

// func dotIQ4_NLAVX2(w, x *byte, blocks int) float32
//
// As ggml_vec_dot_iq4_nl_q8_0: blocks in pairs, the first of each pair
// summed in the lanes8 scheme into one accumulator and the second into
// another; the two added lane by lane and reduced; a last odd block added
// to that sum with a fused multiply-add. The levels are never -128, so they
// take x's signs and VPMADDUBSW |x|.
TEXT ·dotIQ4_NLAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ blocks+16(FP), CX
	VXORPS  Y0, Y0, Y0
	VXORPS  Y7, Y7, Y7
	VMOVDQU iq4nlTable<>(SB), Y6
	VMOVDQU onesInt16<>(SB), Y5
	CMPQ    CX, $2
	JB      iq4tail

iq4pair:
	LEAQ 18(SI), R8
	LEAQ 34(DI), R9
	BLOCK_SCALE(SI, DI, X1, Y1)
	IQ4NL_LANES(2(SI), 2(DI), Y2, X2)
	VCVTDQ2PS   Y2, Y2
	VFMADD231PS Y2, Y1, Y0
	BLOCK_SCALE(R8, R9, X8, Y8)
	IQ4NL_LANES(20(SI), 36(DI), Y9, X9)
	VCVTDQ2PS   Y9, Y9
	VFMADD231PS Y9, Y8, Y7
	ADDQ $36, SI
	ADDQ $68, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JAE  iq4pair

iq4tail:
	VADDPS Y7, Y0, Y0
	SUM8(Y0, X0, X1)
	TESTQ CX, CX
	JZ    iq4done
	BLOCK_SCALE(SI, DI, X1, Y1)
	IQ4NL_LANES(2(SI), 2(DI), Y2, X2)
	SUMINT8(Y2, X2, X3)
	VCVTDQ2PS   X2, X2
	VFMADD231SS X2, X1, X0

iq4done:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// Q8_0 block step of dot4Q8_0AVX2 for the activation row at X into
// accumulator ACC: Y8 holds the weights, Y9 their magnitudes, Y10 the
// weight scale.
#define Q8_0_ROW(X, ACC) \
	VPBROADCASTW (X), X11; \
	VCVTPH2PS    X11, Y11; \
	VMULPS       Y11, Y10, Y11; \
	VMOVDQU      2(X), Y12; \
	VPCMPEQB     Y6, Y12, Y13; \
	VPOR         Y13, Y7, Y7; \
	VPSIGNB      Y8, Y12, Y12; \
	VPMADDUBSW   Y12, Y9, Y12; \
	VPMADDWD     Y5, Y12, Y12; \
	VCVTDQ2PS    Y12, Y12; \
	VFMADD231PS  Y12, Y11, ACC

// func dot4Q8_0AVX2(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)
// dotQ8_0AVX2 for one weight row against four activation rows stride bytes
// apart: each weight block is loaded once for the four of them.
TEXT ·dot4Q8_0AVX2(SB), NOSPLIT, $0-49
	DOT4_LANES8(Q8_0_LEVELS, 34)

// func dot4Q5_0AVX2(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)
//
// dotQ5_0AVX2 for one weight row against four activation rows stride bytes
// apart, with the levels signed (less 16) as dot4Q8_0AVX2 takes them.
TEXT ·dot4Q5_0AVX2(SB), NOSPLIT, $0-49
	DOT4_LANES8(Q5_0_LEVELS, 22)

// func batchDot4IQ4_NLAVX2(w, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)
//
// The tinyBLAS sum of IQ4_NL (batchDotIQ4_NL) for one weight row against
// four activation rows, as dot4Q8_0AVX2 sums Q8_0.
TEXT ·batchDot4IQ4_NLAVX2(SB), NOSPLIT, $0-49
	DOT4_LANES8(IQ4NL_LEVELS, 18)

// Q8_1_ROW is a block step of DOT4_OFFSET for the activation row at X: the
// levels in Y8 (unsigned) times its quants in the lanes8 scheme, times
// the scale product (Y10 holds the weight scale), into ACC; the offset m
// (X14) times its s into OFF, as OFFSET_TERM adds it.
#define Q8_1_ROW(X, ACC, OFF) \
	VPBROADCASTW (X), X11; \
	VCVTPH2PS    X11, Y11; \
	VMULPS       Y11, Y10, Y11; \
	VPMADDUBSW   4(X), Y8, Y12; \
	VPMADDWD     onesInt16<>(SB), Y12, Y12; \
	VCVTDQ2PS    Y12, Y12; \
	VFMADD231PS  Y12, Y11, ACC; \
	VPBROADCASTW 2(X), X13; \
	VCVTPH2PS    X13, X13; \
	VFMADD231SS  X13, X14, OFF

// OFFSET_RESULT stores at (AX) the sum of a row's lanes, ACC (low half X),
// plus its offsets' sum OFF, and moves AX on by BX bytes.
#define OFFSET_RESULT(ACC, X, OFF) \
	SUM8(ACC, X, X9); \
	VADDSS OFF, X, X; \
	VMOVSS X, (AX); \
	ADDQ   BX, AX

// func dot4Q4_1AVX2(w, x *byte, stride, blocks int, out *float32, outStride int)
//
// dotQ4_1AVX2 for one weight row against four activation rows stride bytes
// apart (see DOT4_OFFSET).
TEXT ·dot4Q4_1AVX2(SB), NOSPLIT, $0-48
	DOT4_OFFSET(Q4_1_LEVELS, 20)

// func dot4Q5_1AVX2(w, x *byte, stride, blocks int, out *float32, outStride int)
//
// dotQ5_1AVX2 for one weight row against four activation rows.
TEXT ·dot4Q5_1AVX2(SB), NOSPLIT, $0-48
	DOT4_OFFSET(Q5_1_LEVELS, 24)

// Q8_0 block step of dot2x4Q8_0AVX2 for the activation quants in Y12 and
// one weight row, whose quants are in WQ and magnitudes in WABS, into
// accumulator ACC; the scale product is the float32 at SCALE(SP).
#define Q8_0_TILE(WQ, WABS, SCALE, ACC) \
	VPSIGNB      WQ, Y12, Y13; \
	VPMADDUBSW   Y13, WABS, Y13; \
	VPMADDWD     onesInt16<>(SB), Y13, Y13; \
	VCVTDQ2PS    Y13, Y13; \
	VBROADCASTSS SCALE(SP), Y14; \
	VFMADD231PS  Y13, Y14, ACC

// Both weight rows' steps for the activation row at X, whose block is
// loaded once for them; Y15 keeps the least activation quant seen.
#define Q8_0_TILE_ROW(X, SCALE0, SCALE1, ACC0, ACC1) \
	VMOVDQU 2(X), Y12; \
	VPMINSB Y12, Y15, Y15; \
	Q8_0_TILE(Y8, Y9, SCALE0, ACC0); \
	Q8_0_TILE(Y10, Y11, SCALE1, ACC1)

// func dot2x4Q8_0AVX2(w *byte, wStride int, x *byte, stride, blocks int, out *float32, outStride int) (exact bool)
//
// dotQ8_0AVX2 for two weight rows wStride bytes apart against four
// activation rows stride bytes apart: each block is loaded once for all the
// products it takes part in. The eight scale products of a block are made
// by one multiplication and kept on the stack, from which each is
// broadcast. Result (i, j), of weight row i and activation row j, goes to
// out[j·outStride+i]. Accumulator Y(2j+i) holds its lanes.
TEXT ·dot2x4Q8_0AVX2(SB), NOSPLIT, $32-57
	MOVQ w+0(FP), SI
	MOVQ wStride+8(FP), R12
	ADDQ SI, R12
	MOVQ x+16(FP), DI
	MOVQ stride+24(FP), R8
	MOVQ blocks+32(FP), CX
	LEAQ (DI)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	CLEAR_Y0_7
	VPXOR  Y15, Y15, Y15
	TESTQ  CX, CX
	JZ     q8tiledone

q8tileloop:
	// Scales: X12 = dx0…dx3 twice, X13 = dw0 four times then dw1 four
	// times; their product in (SP) is dw0·dx0…dx3, dw1·dx0…dx3.
	VPBROADCASTW (DI), X12
	VPINSRW      $1, (R9), X12, X12
	VPINSRW      $2, (R10), X12, X12
	VPINSRW      $3, (R11), X12, X12
	VPUNPCKLQDQ  X12, X12, X12
	VPBROADCASTW (SI), X13
	VPBROADCASTW (R12), X14
	VPUNPCKLQDQ  X14, X13, X13
	VCVTPH2PS    X12, Y12
	VCVTPH2PS    X13, Y13
	VMULPS       Y12, Y13, Y13
	VMOVUPS      Y13, (SP)
	VMOVDQU      2(SI), Y8
	VPABSB       Y8, Y9
	VMOVDQU      2(R12), Y10
	VPABSB       Y10, Y11
	Q8_0_TILE_ROW(DI, 0, 16, Y0, Y1)
	Q8_0_TILE_ROW(R9, 4, 20, Y2, Y3)
	Q8_0_TILE_ROW(R10, 8, 24, Y4, Y5)
	Q8_0_TILE_ROW(R11, 12, 28, Y6, Y7)
	ADDQ $34, SI
	ADDQ $34, R12
	ADDQ $34, DI
	ADDQ $34, R9
	ADDQ $34, R10
	ADDQ $34, R11
	DECQ CX
	JNZ  q8tileloop

q8tiledone:
	MOVQ out+40(FP), AX
	MOVQ outStride+48(FP), BX
	SHLQ $2, BX
	STORE_SUM8_PAIR(Y0, X0, Y1, X1)
	STORE_SUM8_PAIR(Y2, X2, Y3, X3)
	STORE_SUM8_PAIR(Y4, X4, Y5, X5)
	STORE_SUM8_PAIR(Y6, X6, Y7, X7)
	VPCMPEQB minInt8<>(SB), Y15, Y15
	VPTEST   Y15, Y15
	SETEQ    exact+56(FP)
	VZEROUPPER
	RET
