#include "textflag.h"

// The macros serve both kernels: the AVX2 one passes YMM registers and a
// row half of 32 bytes, the AVX-512 one ZMM registers and 64 bytes.

// ROW broadcasts the A value at SRC into T and adds its products with the
// two B registers B0 and B1 to the tile row in ACC0 and ACC1.
#define ROW(SRC, T, B0, B1, ACC0, ACC1) \
	VBROADCASTSS SRC, T; \
	VFMADD231PS  B0, T, ACC0; \
	VFMADD231PS  B1, T, ACC1

// ADDROW adds the tile row in ACC0 and ACC1, HALF bytes each, to C at (DX)
// and moves DX to the next row of C.
#define ADDROW(HALF, ACC0, ACC1) \
	VADDPS  (DX), ACC0, ACC0; \
	VMOVUPS ACC0, (DX); \
	VADDPS  HALF(DX), ACC1, ACC1; \
	VMOVUPS ACC1, HALF(DX); \
	ADDQ    BX, DX

// SETROW stores the tile row in ACC0 and ACC1, HALF bytes each, at (DX)
// and moves DX to the next row of C.
#define SETROW(HALF, ACC0, ACC1) \
	VMOVUPS ACC0, (DX); \
	VMOVUPS ACC1, HALF(DX); \
	ADDQ    BX, DX

// func kernel6x16AVX2(k int, a *float32, ars, aps int, b, c *float32, ldc int, set bool)
//
// The 6×16 tile lives in Y0…Y11, row i in Y(2i) and Y(2i+1). Each step of
// k loads a row of 16 B values and broadcasts a column of 6 A values. The
// strides are in bytes: A's element (i, p) is at a + i·ars + p·aps. B is a
// packed panel, its rows 64 bytes apart. Rows 0 to 4 of A are addressed from SI through the
// index registers R8 (ars) and R9 (3·ars); row 5 has its own pointer R10.
TEXT ·kernel6x16AVX2(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	MOVQ aps+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
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
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ    store

loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	ROW((SI), Y14, Y12, Y13, Y0, Y1)
	ROW((SI)(R8*1), Y14, Y12, Y13, Y2, Y3)
	ROW((SI)(R8*2), Y14, Y12, Y13, Y4, Y5)
	ROW((SI)(R9*1), Y14, Y12, Y13, Y6, Y7)
	ROW((SI)(R8*4), Y14, Y12, Y13, Y8, Y9)
	ROW((R10), Y14, Y12, Y13, Y10, Y11)
	ADDQ R11, SI
	ADDQ R11, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  loop

store:
	MOVBLZX set+56(FP), AX
	TESTQ   AX, AX
	JNZ     set
	ADDROW(32, Y0, Y1)
	ADDROW(32, Y2, Y3)
	ADDROW(32, Y4, Y5)
	ADDROW(32, Y6, Y7)
	ADDROW(32, Y8, Y9)
	ADDROW(32, Y10, Y11)
	VZEROUPPER
	RET

set:
	SETROW(32, Y0, Y1)
	SETROW(32, Y2, Y3)
	SETROW(32, Y4, Y5)
	SETROW(32, Y6, Y7)
	SETROW(32, Y8, Y9)
	SETROW(32, Y10, Y11)
	VZEROUPPER
	RET

// func kernel6x32AVX512(k int, a *float32, ars, aps int, b *float32, bnext int, c *float32, ldc int, set bool)
//
// kernel6x16AVX2 over two tiles side by side, in ZMM registers: the 6×32
// tile lives in Z0…Z11, row i in Z(2i) and Z(2i+1). The second tile's
// packed B panel lies bnext bytes after the first. Every value of C is the
// same chain of fused multiply-adds as in kernel6x16AVX2, so the two
// kernels give identical results.
TEXT ·kernel6x32AVX512(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	MOVQ aps+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ bnext+40(FP), R12
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), BX
	SHLQ $2, BX
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	TESTQ CX, CX
	JZ    wstore

wloop:
	VMOVUPS (DI), Z12
	VMOVUPS (DI)(R12*1), Z13
	ROW((SI), Z14, Z12, Z13, Z0, Z1)
	ROW((SI)(R8*1), Z14, Z12, Z13, Z2, Z3)
	ROW((SI)(R8*2), Z14, Z12, Z13, Z4, Z5)
	ROW((SI)(R9*1), Z14, Z12, Z13, Z6, Z7)
	ROW((SI)(R8*4), Z14, Z12, Z13, Z8, Z9)
	ROW((R10), Z14, Z12, Z13, Z10, Z11)
	ADDQ R11, SI
	ADDQ R11, R10
	ADDQ $64, DI
	DECQ CX
	JNZ  wloop

wstore:
	MOVBLZX set+64(FP), AX
	TESTQ   AX, AX
	JNZ     wset
	ADDROW(64, Z0, Z1)
	ADDROW(64, Z2, Z3)
	ADDROW(64, Z4, Z5)
	ADDROW(64, Z6, Z7)
	ADDROW(64, Z8, Z9)
	ADDROW(64, Z10, Z11)
	VZEROUPPER
	RET

wset:
	SETROW(64, Z0, Z1)
	SETROW(64, Z2, Z3)
	SETROW(64, Z4, Z5)
	SETROW(64, Z6, Z7)
	SETROW(64, Z8, Z9)
	SETROW(64, Z10, Z11)
	VZEROUPPER
	RET
