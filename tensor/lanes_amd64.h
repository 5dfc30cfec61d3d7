// Reductions shared by the assembly kernels: the reference's horizontal sums
// (lanes.go), which fix the order in which lanes are added.

// SUM8 reduces the lanes of Y (low half X) into the low lane of X as sum8
// does: ((a0+a4)+(a2+a6))+((a1+a5)+(a3+a7)).
#define SUM8(Y, X, XT) \
	VEXTRACTF128 $1, Y, XT; \
	VADDPS    XT, X, X; \
	VPERMILPS $0xee, X, XT; \
	VADDPS    XT, X, X; \
	VMOVSHDUP X, XT; \
	VADDSS    XT, X, X
