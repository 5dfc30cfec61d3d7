// Shared by the kernels of the 32-value block formats (legacy_amd64.s,
// q8_0_tile_amd64.s, repack_vnni_amd64.s): the levels of Q8_0, Q5_0 and
// IQ4_NL blocks, each X_LEVELS(R, Y, X, YT, XT) setting Y (low half X) to
// the 32 levels of the block at (R), signed bytes in value order, using YT
// (low half XT) as scratch, and of Q4_1 and Q5_1 blocks, unsigned; and the
// sum of a Q8_0 block's quants.

// Constants, 32 bytes each so that a YMM register can load one. (Names
// with <> are private to each file that includes them.)
DATA nibbleMask<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbleMask<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbleMask<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbleMask<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibbleMask<>(SB), RODATA|NOPTR, $32

DATA sixteens<>+0(SB)/8, $0x1010101010101010
DATA sixteens<>+8(SB)/8, $0x1010101010101010
DATA sixteens<>+16(SB)/8, $0x1010101010101010
DATA sixteens<>+24(SB)/8, $0x1010101010101010
GLOBL sixteens<>(SB), RODATA|NOPTR, $32

// qhSpread copies byte k/8 of a broadcast uint32 to byte k, and qhBit picks
// bit k%8 of it: together they turn the 32 fifth bits of a Q5_0 block into
// one byte per value.
DATA qhSpread<>+0(SB)/8, $0x0000000000000000
DATA qhSpread<>+8(SB)/8, $0x0101010101010101
DATA qhSpread<>+16(SB)/8, $0x0202020202020202
DATA qhSpread<>+24(SB)/8, $0x0303030303030303
GLOBL qhSpread<>(SB), RODATA|NOPTR, $32

DATA qhBit<>+0(SB)/8, $0x8040201008040201
DATA qhBit<>+8(SB)/8, $0x8040201008040201
DATA qhBit<>+16(SB)/8, $0x8040201008040201
DATA qhBit<>+24(SB)/8, $0x8040201008040201
GLOBL qhBit<>(SB), RODATA|NOPTR, $32

// iq4nlTable is kvalues_iq4nl, once per 128-bit half for VPSHUFB.
DATA iq4nlTable<>+0(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlTable<>+8(SB)/8, $0x7159453526190d01
DATA iq4nlTable<>+16(SB)/8, $0xf6eaddcfbfad9881
DATA iq4nlTable<>+24(SB)/8, $0x7159453526190d01
GLOBL iq4nlTable<>(SB), RODATA|NOPTR, $32

// NIBBLES sets Y to the 32 nibbles of the 16 bytes at ADDR in value order:
// the low nibbles, then the high ones.
#define NIBBLES(ADDR, X, Y, XT) \
	VMOVDQU ADDR, X; \
	VPSRLW  $4, X, XT; \
	VINSERTI128 $1, XT, Y, Y; \
	VPAND   nibbleMask<>(SB), Y, Y

// Q8_0_LEVELS: a Q8_0 block's quants.
#define Q8_0_LEVELS(R, Y, X, YT, XT) VMOVDQU 2(R), Y

// FIFTH_LEVELS sets Y to the 32 nibbles at NIB in value order with 16
// added where the fifth bits, the uint32 at QH, are set: the unsigned
// levels of a Q5_0 or Q5_1 block.
#define FIFTH_LEVELS(NIB, QH, Y, X, YT, XT) \
	NIBBLES(NIB, X, Y, XT); \
	VPBROADCASTD QH, YT; \
	VPSHUFB      qhSpread<>(SB), YT, YT; \
	VPAND        qhBit<>(SB), YT, YT; \
	VPCMPEQB     qhBit<>(SB), YT, YT; \
	VPAND        sixteens<>(SB), YT, YT; \
	VPOR         YT, Y, Y

// Q5_0_LEVELS: a Q5_0 block's levels, less 16.
#define Q5_0_LEVELS(R, Y, X, YT, XT) \
	FIFTH_LEVELS(6(R), 2(R), Y, X, YT, XT); \
	VPSUBB sixteens<>(SB), Y, Y

// Q4_1_LEVELS and Q5_1_LEVELS: the unsigned levels of a Q4_1 or Q5_1
// block, its offset m left apart.
#define Q4_1_LEVELS(R, Y, X, YT, XT) NIBBLES(4(R), X, Y, XT)
#define Q5_1_LEVELS(R, Y, X, YT, XT) FIFTH_LEVELS(8(R), 4(R), Y, X, YT, XT)

// IQ4NL_LEVELS: an IQ4_NL block's nibbles in value order, looked up in the
// level table.
#define IQ4NL_LEVELS(R, Y, X, YT, XT) \
	NIBBLES(2(R), X, Y, XT); \
	VMOVDQU iq4nlTable<>(SB), YT; \
	VPSHUFB Y, YT, Y

// QUANT_SUM sets AX to Σx of the 32 quants of the Q8_0 block at ADDR, with
// 0x80 in every byte of Y11 and zero in Y10: the quants plus 128 as
// unsigned bytes, summed by VPSADBW, less 32·128. It uses Y1 and X2.
#define QUANT_SUM(ADDR) \
	VMOVDQU      2(ADDR), Y1; \
	VPXOR        Y11, Y1, Y1; \
	VPSADBW      Y10, Y1, Y1; \
	VEXTRACTI128 $1, Y1, X2; \
	VPADDQ       X2, X1, X1; \
	VPSHUFD      $0x4e, X1, X2; \
	VPADDQ       X2, X1, X1; \
	VMOVD        X1, AX; \
	SUBL         $4096, AX
