package datapath

import (
	"testing"

	"neutrino/link/mem"
	"neutrino/packet"
)

// FuzzProcess runs arbitrary frames, with arbitrary offload metadata (what
// a VM writes into a virtio-net header is its own choice), into every port
// of a node whose egresses include ones without offloads (the uplink), so
// that checksum completion and software segmentation see them too.
// Nothing may panic, and every frame is accounted for.
func FuzzProcess(f *testing.F) {
	r1, r2 := mac(0x11), mac(0x12)
	f.Add(uint8(0), udpFrame(f, r1, broadcast, 0, 30), uint8(0), uint16(0), uint16(0), uint16(0), uint16(0))
	f.Add(uint8(4), udpFrame(f, r2, broadcast, 101, 30), uint8(0), uint16(0), uint16(0), uint16(0), uint16(0))
	f.Add(uint8(0), udpFrame(f, r1, broadcast, 0, 3000), uint8(1), uint16(42), uint16(1000), uint16(34), uint16(16))
	f.Add(uint8(1), udpFrame(f, r2, broadcast, 0, 100), uint8(0x80), uint16(42), uint16(0), uint16(34), uint16(6))
	f.Add(uint8(0), []byte{1, 2, 3}, uint8(0), uint16(0), uint16(0), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, port uint8, frame []byte, gsoType uint8, hdrLen, size, csumStart, csumOff uint16) {
		if len(frame) > packet.MaxFrame {
			return
		}
		n, _ := memNode(t, twoNetSpec(), Options{}, mem.AsSink())
		in := int(port) % len(n.ports())
		b := packet.NewBuffer(packet.MaxFrame)
		b.SetData(frame)
		b.Meta.GSO = packet.GSO{
			Type: packet.GSOType(gsoType), NeedsCsum: gsoType&1 == 1 || csumOff != 0,
			HdrLen: hdrLen, Size: size, CsumStart: csumStart, CsumOffset: csumOff,
		}
		w := n.NewWorker(1)
		n.Process(w, in, []*packet.Buffer{b})
		// Every frame is accounted for: dropped on the way in, or
		// written or dropped on the way out by at least one port (every
		// network of the node has another member).
		var rx, rxDrops, out uint64
		for _, p := range n.Counters().Ports {
			rx += p.RxFrames
			rxDrops += p.RxDrops
			out += p.TxFrames + p.TxDrops
		}
		if rx != 1 || rxDrops > 1 || (rxDrops == 1) != (out == 0) {
			t.Fatalf("rx %d, rx drops %d, tx+tx drops %d: a frame got lost or counted twice", rx, rxDrops, out)
		}
	})
}
