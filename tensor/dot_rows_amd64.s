#include "textflag.h"

// Generation multiplies each weight matrix by one activation row, a call of
// the one-row kernel per weight row. These loops make those calls from
// assembly, which costs a fraction of a Go call through a function value
// with its slice checks: about 6% of generation time.
//
// Each keeps the one-row kernel's arguments at 0-23(SP) (its result at 24)
// and its own state at 32-55(SP), since the kernel may clobber every
// register: the current weight row, the current output and the rows left.

// DOT_ROWS sets out[r] to kernel K of weight row r, rowBytes bytes apart
// from w, and x, for r < rows, running AFTER after each call.
#define DOT_ROWS(K, AFTER) \
	MOVQ  rows+16(FP), CX; \
	TESTQ CX, CX; \
	JZ    done; \
	MOVQ  CX, 48(SP); \
	MOVQ  w+0(FP), AX; \
	MOVQ  AX, 32(SP); \
	MOVQ  out+40(FP), AX; \
	MOVQ  AX, 40(SP); \
loop: \
	MOVQ  32(SP), AX; \
	MOVQ  AX, 0(SP); \
	MOVQ  x+24(FP), AX; \
	MOVQ  AX, 8(SP); \
	MOVQ  nb+32(FP), AX; \
	MOVQ  AX, 16(SP); \
	CALL  K(SB); \
	MOVL  24(SP), AX; \
	MOVQ  40(SP), BX; \
	MOVL  AX, (BX); \
	AFTER; \
	ADDQ  $4, 40(SP); \
	MOVQ  rowBytes+8(FP), AX; \
	ADDQ  AX, 32(SP); \
	DECQ  48(SP); \
	JNZ   loop; \
done: \
	RET

// Prompts multiply each weight row by a chunk of activation rows, four or
// eight at a time. DOT_GROUPS makes those calls from assembly too: one Go
// call per weight row and chunk instead of one per group.
//
// DOT_GROUPS calls kernel K, of ROWS activation rows, groups times, moving
// x on by ROWS·stride bytes and out by ROWS·outStride floats after each
// call. It keeps K's arguments at 0-47(SP) and its own state at 48-71(SP):
// the current x, the current out and the groups left.
#define DOT_GROUPS(K, ROWS) \
	MOVQ  groups+48(FP), CX; \
	TESTQ CX, CX; \
	JZ    done; \
	MOVQ  CX, 64(SP); \
	MOVQ  x+8(FP), AX; \
	MOVQ  AX, 48(SP); \
	MOVQ  out+32(FP), AX; \
	MOVQ  AX, 56(SP); \
loop: \
	MOVQ  w+0(FP), AX; \
	MOVQ  AX, 0(SP); \
	MOVQ  48(SP), AX; \
	MOVQ  AX, 8(SP); \
	MOVQ  stride+16(FP), AX; \
	MOVQ  AX, 16(SP); \
	MOVQ  nb+24(FP), AX; \
	MOVQ  AX, 24(SP); \
	MOVQ  56(SP), AX; \
	MOVQ  AX, 32(SP); \
	MOVQ  outStride+40(FP), AX; \
	MOVQ  AX, 40(SP); \
	CALL  K(SB); \
	MOVQ  stride+16(FP), AX; \
	IMULQ $ROWS, AX; \
	ADDQ  AX, 48(SP); \
	MOVQ  outStride+40(FP), AX; \
	IMULQ $(4*ROWS), AX; \
	ADDQ  AX, 56(SP); \
	DECQ  64(SP); \
	JNZ   loop; \
done: \
	RET

// NOTHING is an AFTER for kernels that only return their result.
#define NOTHING

// Q8_0_EXACT clears exact when the last row's kernel said its result was
// not exact.
#define Q8_0_EXACT \
	MOVB 28(SP), AX; \
	ANDB AX, exact+48(FP)

// func dotRowsQ4KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ4KAVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ4KAVX2, NOTHING)

// func dotRowsQ4KAVX512(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ4KAVX512(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ4KAVX512, NOTHING)

// func dotRowsQ5KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ5KAVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ5KAVX2, NOTHING)

// func dotRowsQ5KAVX512(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ5KAVX512(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ5KAVX512, NOTHING)

// func dotRowsQ6KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ6KAVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ6KAVX2, NOTHING)

// func dotRowsQ6KAVX512(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ6KAVX512(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ6KAVX512, NOTHING)

// func dotRowsQ8_0AVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32) (exact bool)
TEXT ·dotRowsQ8_0AVX2(SB), NOSPLIT, $56-49
	MOVB $1, exact+48(FP)
	DOT_ROWS(·dotQ8_0AVX2, Q8_0_EXACT)

// func groupsQ4KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ4KAVX2(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q4KAVX2, 4)

// func groupsQ4KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ4KAVX512(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q4KAVX512, 4)

// func groups8Q4KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groups8Q4KAVX512(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot8Q4KAVX512, 8)

// func groupsQ5KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ5KAVX2(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q5KAVX2, 4)

// func groupsQ5KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ5KAVX512(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q5KAVX512, 4)

// func groupsQ6KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ6KAVX2(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q6KAVX2, 4)

// func groupsQ6KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ6KAVX512(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q6KAVX512, 4)

// func groups8Q6KAVX512(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groups8Q6KAVX512(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot8Q6KAVX512, 8)

// func dotRowsQ2KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ2KAVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ2KAVX2, NOTHING)

// func groupsQ2KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ2KAVX2(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q2KAVX2, 4)

// func dotRowsQ3KAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ3KAVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ3KAVX2, NOTHING)

// func groupsQ3KAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsQ3KAVX2(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4Q3KAVX2, 4)

// func dotRowsIQ4XSAVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsIQ4XSAVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotIQ4XSAVX2, NOTHING)

// func groupsIQ4XSAVX2(w, x *byte, stride, nb int, out *float32, outStride, groups int)
TEXT ·groupsIQ4XSAVX2(SB), NOSPLIT, $72-56
	DOT_GROUPS(·dot4IQ4XSAVX2, 4)

// func dotRowsQ4_1AVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ4_1AVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ4_1AVX2, NOTHING)

// func dotRowsQ5_1AVX2(w *byte, rowBytes, rows int, x *byte, nb int, out *float32)
TEXT ·dotRowsQ5_1AVX2(SB), NOSPLIT, $56-48
	DOT_ROWS(·dotQ5_1AVX2, NOTHING)
