package datapath

import (
	"testing"

	"neutrino/link/mem"
	"neutrino/packet"
)

// FuzzSecurityGroup runs arbitrary frames into every port of the
// security group lab, filtered or not, after a connection was opened
// from a to the outside host (so that replies find a connection too).
// Nothing may panic, and every frame is accounted for: dropped on the
// way in (at a filter's egress side among others), or written or dropped
// on the way out (at a filter's ingress side among others) by at least
// one port.
func FuzzSecurityGroup(f *testing.F) {
	f.Add(uint8(0), udpTo(f, sgA, sgB, 4000, 53))
	f.Add(uint8(6), udpTo(f, sgOut, sgWeb, 4000, 5005))
	f.Add(uint8(6), tcpSeg(f, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 40000, 80, true, false))
	f.Add(uint8(6), echo(f, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 64, 7, 1, true))
	f.Add(uint8(3), arpWhoHas(f, sgVIP.mac, v4("10.50.0.100"), v4("10.50.0.100")))
	f.Add(uint8(0), udpDgram(f, sgA.mac, hw("ff:ff:ff:ff:ff:ff"), v4("0.0.0.0"), v4("255.255.255.255"), 68, 67, 64, 300))
	f.Add(uint8(4), udpTo(f, sgLoose, sgOut, 7000, 40000))
	f.Add(uint8(0), []byte{1, 2, 3})
	spec := loadTestSpec(f, "testdata/secgroups/topology.yaml", "")
	f.Fuzz(func(t *testing.T, port uint8, frame []byte) {
		if len(frame) > packet.MaxFrame {
			return
		}
		n, _ := memNode(t, spec, Options{}, mem.AsSink())
		send(t, n, "a", echo(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 64, 7, 1, false))
		before := n.Counters()
		in := int(port) % len(n.ports())
		b := packet.NewBuffer(packet.MaxFrame)
		b.SetData(frame)
		n.Process(n.NewWorker(1), in, []*packet.Buffer{b})
		var rx, rxDrops, out uint64
		for i, p := range n.Counters().Ports {
			q := before.Ports[i]
			rx += p.RxFrames - q.RxFrames
			rxDrops += p.RxDrops - q.RxDrops
			out += p.TxFrames + p.TxDrops - q.TxFrames - q.TxDrops
		}
		if rx != 1 || rxDrops > 1 || (rxDrops == 1) != (out == 0) {
			t.Fatalf("rx %d, rx drops %d, tx+tx drops %d: a frame got lost or counted twice", rx, rxDrops, out)
		}
	})
}
