#include "textflag.h"

// The two loops below share their set-up, their per-block sum and their
// final reduction, as macros. Y0-Y3 are the accumulators, Y8 the mask of
// the low 16 bits of each 32-bit lane.

#define SUM_INIT \
	VPXOR Y0, Y0, Y0 \
	VPXOR Y1, Y1, Y1 \
	VPXOR Y2, Y2, Y2 \
	VPXOR Y3, Y3, Y3 \
	VPCMPEQD Y8, Y8, Y8 \
	VPSRLD $16, Y8, Y8

// SUM_BLOCK adds the 64-byte block loaded into Y4 and Y5.
#define SUM_BLOCK \
	VPAND Y8, Y4, Y6 \
	VPSRLD $16, Y4, Y4 \
	VPAND Y8, Y5, Y7 \
	VPSRLD $16, Y5, Y5 \
	VPADDD Y6, Y0, Y0 \
	VPADDD Y4, Y1, Y1 \
	VPADDD Y7, Y2, Y2 \
	VPADDD Y5, Y3, Y3

// SUM_REDUCE adds the lanes of the accumulators into AX.
#define SUM_REDUCE \
	VPADDD Y1, Y0, Y0 \
	VPADDD Y3, Y2, Y2 \
	VPADDD Y2, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1 \
	VPMOVZXDQ X0, Y2 \
	VPMOVZXDQ X1, Y3 \
	VPADDQ Y3, Y2, Y2 \
	VEXTRACTI128 $1, Y2, X3 \
	VPADDQ X3, X2, X2 \
	VPSHUFD $0x4e, X2, X3 \
	VPADDQ X3, X2, X2 \
	VMOVQ X2, AX \
	VZEROUPPER

// func sumAVX2(b []byte) uint64
//
// sumAVX2 adds the little-endian 16-bit words of b, whose length is a
// multiple of 64 and at most maxAVX2Chunk, into a plain (not folded) sum.
// Each 32-bit lane of four accumulators gets the low and the high word of
// one 32-bit piece of every 64-byte block, so no lane can overflow within
// a chunk: 4096 blocks add at most 4096*0xffff < 2^28 to a lane, and the
// four accumulators together stay below 2^30.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	SHRQ $6, CX
	SUM_INIT
	TESTQ CX, CX
	JZ done

loop:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	SUM_BLOCK
	ADDQ $64, SI
	DECQ CX
	JNZ loop

done:
	SUM_REDUCE
	MOVQ AX, ret+24(FP)
	RET

// func copySumAVX2(dst, src []byte) uint64
//
// copySumAVX2 is sumAVX2 over src that also stores every block it loads
// into dst (at least as long as src): a copy and its checksum in one pass.
TEXT ·copySumAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $6, CX
	SUM_INIT
	TESTQ CX, CX
	JZ copydone

copyloop:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VMOVDQU Y4, (DI)
	VMOVDQU Y5, 32(DI)
	SUM_BLOCK
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ copyloop

copydone:
	SUM_REDUCE
	MOVQ AX, ret+48(FP)
	RET
