package conntrack

import (
	"math/rand/v2"
	"testing"

	"neutrino/packet/header"
)

// TestFlowKey: a packet with a FlowKey has a key HitCache may answer
// (cacheableKey) in every zone, first fragments aside, and two packets
// have the same FlowKey exactly when they have the same key; over random
// frames (TCP with every flag byte, UDP, ICMP, fragments, truncated
// headers, IP options).
func TestFlowKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	byFlow := map[[2]uint64][2]uint64{}
	byKey := map[[2]uint64][2]uint64{}
	n := 0
	for i := 0; i < 100000; i++ {
		src, dst := cliIP, srvIP
		src[3] = byte(rng.IntN(3))
		sp, dp := uint16(40000+rng.IntN(3)), uint16(80+rng.IntN(2))
		var f []byte
		switch rng.IntN(3) {
		case 0:
			f = tcpFrame(src, dst, sp, dp, uint8(rng.IntN(256)))
		case 1:
			f = udpFrame(src, dst, sp, dp)
		default:
			f = echoFrame(src, dst, header.ICMPv4Echo, sp)
		}
		switch rng.IntN(8) {
		case 0: // a fragment: MF, or an offset
			f[14+6] |= byte(1 << rng.IntN(6))
			if rng.IntN(2) == 0 {
				f[14+7] = byte(rng.IntN(256))
			}
		case 1: // the L4 header cut short
			f = f[:min(len(f), 14+20+rng.IntN(20))]
		case 2: // IP options: the L4 header moves
			opt := make([]byte, len(f)+4)
			copy(opt, f[:34])
			copy(opt[38:], f[34:])
			opt[14] = 0x46
			opt[14+3] += 4
			f = opt
		}
		var l header.Layout
		if header.Parse(f, &l) != header.OK {
			continue
		}
		first := l.Flags&header.Fragment == 0 && f[l.L3+6]&0x20 != 0
		if rng.IntN(8) == 0 { // a frame shorter than its layout says
			f = f[:rng.IntN(len(f)+1)]
		}
		k0, k1, ok := FlowKey(f, &l)
		if ok && first {
			t.Fatalf("frame %d: a FlowKey for a first fragment: % x", i, f)
		}
		for _, zone := range []uint16{0, 7} {
			c0, c1, cok := cacheableKey(f, &l, zone)
			if ok && !cok {
				t.Fatalf("frame %d: a FlowKey, but no key HitCache may answer: % x", i, f)
			}
			if !ok && cok && !first {
				t.Fatalf("frame %d: a key HitCache may answer, but no FlowKey: % x", i, f)
			}
			if !ok || zone != 0 {
				continue
			}
			n++
			fk, ck := [2]uint64{k0, k1}, [2]uint64{c0, c1}
			if k, seen := byFlow[fk]; seen && k != ck {
				t.Fatalf("frame %d: one FlowKey, two keys", i)
			}
			if k, seen := byKey[ck]; seen && k != fk {
				t.Fatalf("frame %d: one key, two FlowKeys", i)
			}
			byFlow[fk], byKey[ck] = ck, fk
		}
	}
	if n < 10000 || len(byFlow) < 20 {
		t.Errorf("only %d frames with a FlowKey, %d keys", n, len(byFlow))
	}
}
