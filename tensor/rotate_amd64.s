#include "textflag.h"

// The kernels of rotate.go, eight float32s a step. Every product is
// rounded or fused into its sum as the Go twins do it.

// func rotatePairsAVX2(x, cs, sc *float32, n int)
//
// Y0 = x; Y1 = its even values duplicated (x0 x0 x2 x2 …), Y2 its odd ones
// (x1 x1 x3 x3 …). Y2·sc gives x1·sin in even lanes and x1·cos in odd ones;
// VFMADDSUB231PS then makes Y1·cs minus that in even lanes and plus it in
// odd ones, each rounded once.
TEXT ·rotatePairsAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ cs+8(FP), DX
	MOVQ sc+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   pairsDone

pairs:
	VMOVUPS        (SI), Y0
	VMOVSLDUP      Y0, Y1
	VMOVSHDUP      Y0, Y2
	VMULPS         (DI), Y2, Y2
	VFMADDSUB231PS (DX), Y1, Y2
	VMOVUPS        Y2, (SI)
	ADDQ           $32, SI
	ADDQ           $32, DX
	ADDQ           $32, DI
	DECQ           CX
	JNZ            pairs

pairsDone:
	VZEROUPPER
	RET

// func rotateHalvesAVX2(lo, hi, cos, sin *float32, n int)
TEXT ·rotateHalvesAVX2(SB), NOSPLIT, $0-40
	MOVQ lo+0(FP), SI
	MOVQ hi+8(FP), DI
	MOVQ cos+16(FP), DX
	MOVQ sin+24(FP), BX
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	JZ   halvesDone

halves:
	VMOVUPS     (SI), Y0
	VMOVUPS     (DI), Y1
	VMULPS      (BX), Y1, Y2
	VFMSUB231PS (DX), Y0, Y2
	VMULPS      (DX), Y1, Y3
	VFMADD231PS (BX), Y0, Y3
	VMOVUPS     Y2, (SI)
	VMOVUPS     Y3, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	ADDQ        $32, BX
	DECQ        CX
	JNZ         halves

halvesDone:
	VZEROUPPER
	RET

// func scaleMulAVX2(dst, x, w *float32, n int, s float32)
TEXT ·scaleMulAVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         w+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS s+32(FP), Y0
	SHRQ         $3, CX
	JZ           scaleDone

scales:
	VMULPS  (SI), Y0, Y1
	VMULPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     scales

scaleDone:
	VZEROUPPER
	RET
