package datapath

import (
	"net"
	"testing"

	"neutrino/link/mem"
	"neutrino/packet"
)

// BenchmarkL2Forward measures in-process L2 forwarding: parse, learn,
// look up and forward batches of 64 frames of 64 bytes from one port to
// known destinations on two others, written to in-memory sinks. The
// target is at least 15 million frames/s per core.
func BenchmarkL2Forward(b *testing.B) {
	spec := twoNetSpec()
	spec.Ports = append(spec.Ports, PortSpec{Name: "r3", Device: "tapr3", MAC: mac(0x13), MTU: 1500, Network: "red", LVID: 1})
	n, _ := memNode(b, spec, Options{}, mem.AsSink())
	r3, _ := n.PortIndex("r3")
	// The destinations: 8 MACs behind r1, 8 behind r2.
	var dsts []net.HardwareAddr
	for i := 0; i < 16; i++ {
		m := net.HardwareAddr{0x52, 0x54, 0, 0, 1, byte(i)}
		dsts = append(dsts, m)
		send(b, n, []string{"r1", "r2"}[i%2], udpFrame(b, m, broadcast, 0, 18))
	}
	bufs := make([]*packet.Buffer, 64)
	for i := range bufs {
		src := net.HardwareAddr{0x52, 0x54, 0, 0, 3, byte(i % 8)}
		bufs[i] = packet.NewBuffer(2048)
		bufs[i].SetData(udpFrame(b, src, dsts[i%len(dsts)], 0, 18))
	}
	w := n.NewWorker(len(bufs))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Process(w, r3, bufs)
	}
	b.ReportMetric(float64(b.N*len(bufs))/b.Elapsed().Seconds()/1e6, "Mframes/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bufs)), "ns/frame")
}
