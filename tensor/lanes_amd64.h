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

// STORE_SUM8_PAIR stores sum8 of YA (low half XA) at (AX) and of YB at
// 4(AX), then moves AX on by BX bytes: two weight rows' results for one
// activation row. It uses X14.
#define STORE_SUM8_PAIR(YA, XA, YB, XB) \
	SUM8(YA, XA, X14); \
	VMOVSS XA, (AX); \
	SUM8(YB, XB, X14); \
	VMOVSS XB, 4(AX); \
	ADDQ   BX, AX

// SUM_ROUNDS reduces the four 16-lane registers of the rounds scheme
// (roundAcc), register r in Y(2r) and Y(2r+1), into the low lane of X0 as
// roundAcc.sum does: the registers (0+2)+(1+3), then their lanes. Clobbers
// Y1…Y7.
#define SUM_ROUNDS \
	VADDPS Y4, Y0, Y0; \
	VADDPS Y6, Y2, Y2; \
	VADDPS Y2, Y0, Y0; \
	VADDPS Y5, Y1, Y1; \
	VADDPS Y7, Y3, Y3; \
	VADDPS Y3, Y1, Y1; \
	VADDPS Y1, Y0, Y0; \
	SUM8(Y0, X0, X1)

// CLEAR_Y0_7 clears Y0…Y7: the registers of the rounds scheme, the
// accumulators of a tile.
#define CLEAR_Y0_7 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7

// CLEAR_HIGH_512 clears Z16-Z23, whose upper halves VZEROUPPER leaves as
// they are, for an AVX-512 kernel to return with them clean.
#define CLEAR_HIGH_512 \
	VPXORD X16, X16, X16; \
	VPXORD X17, X17, X17; \
	VPXORD X18, X18, X18; \
	VPXORD X19, X19, X19; \
	VPXORD X20, X20, X20; \
	VPXORD X21, X21, X21; \
	VPXORD X22, X22, X22; \
	VPXORD X23, X23, X23

// CLEAR_ALL_HIGH_512 clears Z16-Z31, as CLEAR_HIGH_512 does Z16-Z23.
#define CLEAR_ALL_HIGH_512 \
	CLEAR_HIGH_512; \
	VPXORD X24, X24, X24; \
	VPXORD X25, X25, X25; \
	VPXORD X26, X26, X26; \
	VPXORD X27, X27, X27; \
	VPXORD X28, X28, X28; \
	VPXORD X29, X29, X29; \
	VPXORD X30, X30, X30; \
	VPXORD X31, X31, X31
