#include "textflag.h"
#include "lanes_amd64.h"

// AVX2 kernels of exp.go: vexpf eight lanes at a time. Every step is the Go
// twin's: VFMADD231PS and friends round once, as fma32 does, and the
// _mm512_scalef_ps that vexpf emulates with math.Ldexp is two
// multiplications by powers of two, the first exact, so that the result is
// rounded once.

// SPLAT defines name<> as eight copies of a 32-bit value (given twice in
// bits) for use as a memory operand.
#define SPLAT(name, bits) \
	DATA name<>+0(SB)/8, $bits; \
	DATA name<>+8(SB)/8, $bits; \
	DATA name<>+16(SB)/8, $bits; \
	DATA name<>+24(SB)/8, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

SPLAT(expShift, 0x4b4000004b400000)  // 0x1.8p23
SPLAT(expLog2E, 0x3fb8aa3b3fb8aa3b)  // 0x1.715476p+0
SPLAT(expLn2Hi, 0x3f3172003f317200)  // 0x1.62e4p-1
SPLAT(expLn2Lo, 0x35bfbe8e35bfbe8e)  // 0x1.7f7d1cp-20
SPLAT(expP5, 0x3c0720103c072010)     // 0x1.0e4020p-7
SPLAT(expP4, 0x3d2b9f173d2b9f17)     // 0x1.573e2ep-5
SPLAT(expP3, 0x3e2aaf333e2aaf33)     // 0x1.555e66p-3
SPLAT(expP2, 0x3efffedb3efffedb)     // 0x1.fffdb6p-2
SPLAT(expP1, 0x3f7ffff63f7ffff6)     // 0x1.ffffecp-1
SPLAT(expOne, 0x3f8000003f800000)    // 1
SPLAT(expLimit, 0x4340000043400000)  // 192
SPLAT(expInf, 0x7f8000007f800000)
SPLAT(expAbs, 0x7fffffff7fffffff)
SPLAT(expSign, 0x8000000080000000)
SPLAT(expBias, 0x0000007f0000007f)   // 127: the largest exponent, and its bias
SPLAT(expLeast, 0xffffff83ffffff83)  // -125

// EXP8 replaces the eight lanes of X by vexpf of them; N, U, P and Q are
// clobbered.
//
// vexpf's j lies between 0.7 and 1.5, so j·2^a is exact and normal for a
// in [-125, 127]; EXP8 splits n into such an a and n-a, which lies within
// [-67, 65] when |n| ≤ 192, and multiplies j by 2^a and then by 2^(n-a),
// which rounds once, to a subnormal or to infinity where the result goes
// there. Where |n| > 192 the result is 0 or +Inf by n's sign instead; n is
// NaN only when x is, and then so is j·2^a·2^(n-a).
#define EXP8(X, N, U, P, Q) \
	VMOVUPS      expShift<>(SB), N; \
	VFMADD231PS  expLog2E<>(SB), X, N; \
	VSUBPS       expShift<>(SB), N, N; \
	VFNMADD231PS expLn2Hi<>(SB), N, X; \
	VFNMADD231PS expLn2Lo<>(SB), N, X; \
	VMULPS       X, X, U; \
	VMOVUPS      expP5<>(SB), P; \
	VFMADD213PS  expP4<>(SB), X, P; \
	VMOVUPS      expP3<>(SB), Q; \
	VFMADD213PS  expP2<>(SB), X, Q; \
	VFMADD213PS  Q, U, P; \
	VMOVUPS      expP1<>(SB), Q; \
	VFMADD213PS  expOne<>(SB), X, Q; \
	VFMADD213PS  Q, U, P; \
	VCVTPS2DQ    N, X; \
	VPMINSD      expBias<>(SB), X, Q; \
	VPMAXSD      expLeast<>(SB), Q, Q; \
	VPSUBD       Q, X, X; \
	VPADDD       expBias<>(SB), Q, Q; \
	VPSLLD       $23, Q, Q; \
	VPADDD       expBias<>(SB), X, X; \
	VPSLLD       $23, X, X; \
	VMULPS       Q, P, P; \
	VMULPS       X, P, P; \
	VANDPS       expAbs<>(SB), N, U; \
	VCMPPS       $0x1e, expLimit<>(SB), U, U; \
	VXORPS       Q, Q, Q; \
	VCMPPS       $0x1e, Q, N, Q; \
	VANDPS       expInf<>(SB), Q, Q; \
	VBLENDVPS    U, Q, P, X

// func softmaxExpAVX2(x *float32, n int, m float32) float64
//
// For each register of sixteen values: e^(v-m) in Y0 (lanes 0…7) and Y1
// (lanes 8…15), stored, added as sum16 adds them and the float32 result
// added to the float64 sum in X14.
TEXT ·softmaxExpAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	VXORPS       X14, X14, X14
	SHRQ         $4, CX
	JZ           done

loop:
	VMOVUPS (SI), Y0
	VSUBPS  Y15, Y0, Y0
	EXP8(Y0, Y2, Y3, Y4, Y5)
	VMOVUPS 32(SI), Y1
	VSUBPS  Y15, Y1, Y1
	EXP8(Y1, Y6, Y7, Y8, Y9)
	VMOVUPS Y0, (SI)
	VMOVUPS Y1, 32(SI)
	VADDPS  Y1, Y0, Y0
	SUM8(Y0, X0, X1)
	VCVTSS2SD X0, X0, X0
	VADDSD  X0, X14, X14
	ADDQ    $64, SI
	DECQ    CX
	JNZ     loop

done:
	VMOVSD X14, ret+24(FP)
	VZEROUPPER
	RET

// func swigluAVX2(gate, up *float32, n int)
//
// Eight values at a time: g/(1+e^-g), times up.
TEXT ·swigluAVX2(SB), NOSPLIT, $0-24
	MOVQ gate+0(FP), SI
	MOVQ up+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	VXORPS  expSign<>(SB), Y0, Y1
	EXP8(Y1, Y2, Y3, Y4, Y5)
	VADDPS  expOne<>(SB), Y1, Y1
	VDIVPS  Y1, Y0, Y0
	VMULPS  (DI), Y0, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func scaleAVX2(x *float32, n int, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS s+16(FP), Y0
	MOVQ         CX, BX
	SHRQ         $3, BX
	JZ           rest

lanes:
	VMULPS  (SI), Y0, Y1
	VMOVUPS Y1, (SI)
	ADDQ    $32, SI
	DECQ    BX
	JNZ     lanes

rest:
	ANDQ $7, CX
	JZ   done

one:
	VMULSS (SI), X0, X1
	VMOVSS X1, (SI)
	ADDQ   $4, SI
	DECQ   CX
	JNZ    one

done:
	VZEROUPPER
	RET

// func maxLanesAVX2(x *float32, n int) float32
//
// As maxLanesGeneric: VMAXPS keeps its first source where it is the larger
// and its second otherwise (NaNs included), which is cmax(acc, x).
TEXT ·maxLanesAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	MOVL         $0xff800000, AX
	VMOVD        AX, X0
	VBROADCASTSS X0, Y0
	SHRQ         $3, CX
	JZ           maxDone

maxLoop:
	VMAXPS (SI), Y0, Y0
	ADDQ   $32, SI
	DECQ   CX
	JNZ    maxLoop

maxDone:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VMOVSS       X0, ret+16(FP)
	VZEROUPPER
	RET
