#include "textflag.h"

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
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPCMPEQD Y8, Y8, Y8
	VPSRLD $16, Y8, Y8
	TESTQ CX, CX
	JZ done

loop:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VPAND Y8, Y4, Y6
	VPSRLD $16, Y4, Y4
	VPAND Y8, Y5, Y7
	VPSRLD $16, Y5, Y5
	VPADDD Y6, Y0, Y0
	VPADDD Y4, Y1, Y1
	VPADDD Y7, Y2, Y2
	VPADDD Y5, Y3, Y3
	ADDQ $64, SI
	DECQ CX
	JNZ loop

done:
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMOVZXDQ X0, Y2
	VPMOVZXDQ X1, Y3
	VPADDQ Y3, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPADDQ X3, X2, X2
	VPSHUFD $0x4e, X2, X3
	VPADDQ X3, X2, X2
	VMOVQ X2, AX
	VZEROUPPER
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
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPCMPEQD Y8, Y8, Y8
	VPSRLD $16, Y8, Y8
	TESTQ CX, CX
	JZ copydone

copyloop:
	VMOVDQU (SI), Y4
	VMOVDQU 32(SI), Y5
	VMOVDQU Y4, (DI)
	VMOVDQU Y5, 32(DI)
	VPAND Y8, Y4, Y6
	VPSRLD $16, Y4, Y4
	VPAND Y8, Y5, Y7
	VPSRLD $16, Y5, Y5
	VPADDD Y6, Y0, Y0
	VPADDD Y4, Y1, Y1
	VPADDD Y7, Y2, Y2
	VPADDD Y5, Y3, Y3
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ copyloop

copydone:
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMOVZXDQ X0, Y2
	VPMOVZXDQ X1, Y3
	VPADDQ Y3, Y2, Y2
	VEXTRACTI128 $1, Y2, X3
	VPADDQ X3, X2, X2
	VPSHUFD $0x4e, X2, X3
	VPADDQ X3, X2, X2
	VMOVQ X2, AX
	VZEROUPPER
	MOVQ AX, ret+48(FP)
	RET
