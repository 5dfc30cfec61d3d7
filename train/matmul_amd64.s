#include "textflag.h"

// ROW multiplies the broadcast A value at OFF(SI) by the two B registers
// Y12 and Y13 and adds the products to the tile row in ACC0 and ACC1.
#define ROW(OFF, ACC0, ACC1) \
	VBROADCASTSS OFF(SI), Y14; \
	VFMADD231PS  Y12, Y14, ACC0; \
	VFMADD231PS  Y13, Y14, ACC1

// ADDROW adds the tile row in ACC0 and ACC1 to the 16 floats at (DX) and
// moves DX to the next row of C.
#define ADDROW(ACC0, ACC1) \
	VADDPS  (DX), ACC0, ACC0; \
	VMOVUPS ACC0, (DX); \
	VADDPS  32(DX), ACC1, ACC1; \
	VMOVUPS ACC1, 32(DX); \
	ADDQ    BX, DX

// SETROW stores the tile row in ACC0 and ACC1 at (DX) and moves DX to the
// next row of C.
#define SETROW(ACC0, ACC1) \
	VMOVUPS ACC0, (DX); \
	VMOVUPS ACC1, 32(DX); \
	ADDQ    BX, DX

// func kernel6x16AVX2(k int, a, b, c *float32, ldc int, set bool)
//
// The 6×16 tile lives in Y0…Y11, row i in Y(2i) and Y(2i+1). Each step of
// k loads 16 values of the B panel and broadcasts 6 of the A panel.
TEXT ·kernel6x16AVX2(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX
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
	ROW(0, Y0, Y1)
	ROW(4, Y2, Y3)
	ROW(8, Y4, Y5)
	ROW(12, Y6, Y7)
	ROW(16, Y8, Y9)
	ROW(20, Y10, Y11)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop

store:
	MOVBLZX set+40(FP), AX
	TESTQ   AX, AX
	JNZ     set
	ADDROW(Y0, Y1)
	ADDROW(Y2, Y3)
	ADDROW(Y4, Y5)
	ADDROW(Y6, Y7)
	ADDROW(Y8, Y9)
	ADDROW(Y10, Y11)
	VZEROUPPER
	RET

set:
	SETROW(Y0, Y1)
	SETROW(Y2, Y3)
	SETROW(Y4, Y5)
	SETROW(Y6, Y7)
	SETROW(Y8, Y9)
	SETROW(Y10, Y11)
	VZEROUPPER
	RET
