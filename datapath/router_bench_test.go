package datapath

import (
	"encoding/binary"
	"runtime"
	"testing"

	"neutrino/conntrack"
	"neutrino/link/mem"
	"neutrino/packet"
	"neutrino/packet/header"
)

// routedBench is the seed 002 node, its endpoints sinks, with the
// upstream router resolved: frames from vm-81-12 to the internet are
// routed and SNATed to the gateway IP.
func routedBench(b testing.TB, opts Options) (*Node, int, *mem.Endpoint) {
	spec := seed002Spec(b)
	n, eps := memNode(b, spec, opts, mem.AsSink())
	// The VM's MAC learned by br-int; a first frame makes the router ask
	// for the upstream router, which answers.
	send(b, n, "vm-81-12", arpWhoHas(b, vm81MAC, vm81IP, v4("81.1.180.1")))
	send(b, n, "vm-81-12", udpDgram(b, vm81MAC, qr81MAC, vm81IP, internet, 9, 9, 64, 18))
	send(b, n, "physnet1", arpIsAt(b, upMAC, upIP, qgMAC, gwIP))
	rs, _ := n.Neighbors("")
	if len(rs) != 2 || rs[1].IP != upIP.String() || rs[1].State != "REACHABLE" {
		b.Fatalf("upstream router not resolved: %+v", rs)
	}
	in, _ := n.PortIndex("vm-81-12")
	return n, in, eps["physnet1"]
}

// flowFrames are 64-byte UDP frames from vm-81-12 to 8.8.8.8:53, flow i
// from source port 10000+i.
func flowFrames(b testing.TB, flows int) [][]byte {
	out := make([][]byte, flows)
	for i := range out {
		out[i] = udpDgram(b, vm81MAC, qr81MAC, vm81IP, internet, uint16(10000+i), 53, 64, 18)
	}
	return out
}

// runRouted processes the frames in batches of 64, restoring each frame
// first (the router rewrites them in place).
func runRouted(b *testing.B, n *Node, in int, frames [][]byte) {
	bufs := make([]*packet.Buffer, 64)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(2048)
	}
	w := n.NewWorker(len(bufs))
	batch := func(k int) {
		for i, buf := range bufs {
			buf.SetData(frames[(k*len(bufs)+i)%len(frames)])
		}
		n.Process(w, in, bufs)
	}
	batch(0) // the connections are made
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch(i)
	}
	b.ReportMetric(float64(b.N*len(bufs))/b.Elapsed().Seconds()/1e6, "Mframes/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bufs)), "ns/frame")
}

// BenchmarkRouterSNAT measures routed, SNATed frames whose connections
// are in the table (conntrack hits): parse, br-int, conntrack, FIB, NAT,
// neighbour, br-int, out. Target: at least 5 M frames/s per core, no
// allocation.
func BenchmarkRouterSNAT(b *testing.B) {
	n, in, _ := routedBench(b, Options{})
	runRouted(b, n, in, flowFrames(b, 1024))
}

// BenchmarkRouterSNAT1M is BenchmarkRouterSNAT with a million other
// connections in the table. Target: at least 2 M frames/s per core.
func BenchmarkRouterSNAT1M(b *testing.B) {
	n, in, _ := routedBench(b, Options{ConntrackMax: 1 << 21})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fillConntrack(b, n.ct, 1<<20)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runRouted(b, n, in, flowFrames(b, 1024))
	b.ReportMetric(float64(n.ct.Len()), "conns")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(1<<20), "heapB/conn")
}

// fillConntrack commits count UDP connections of other hosts.
func fillConntrack(b testing.TB, ct *conntrack.Table, count int) {
	now := int64(1)
	for i := 0; i < count; i++ {
		k := conntrack.Key{Src: [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}, Dst: [4]byte{1, 1, 1, 1},
			SPort: uint16(i), DPort: 53, Zone: 1, Proto: header.ProtoUDP}
		v := conntrack.NewVerdict(k, now)
		if _, why := ct.Commit(&v, now); why != conntrack.RefusedNone {
			b.Fatalf("commit %d: %v", i, why)
		}
	}
}

// newConnFrames rewrites the frames of bufs into new connections: a
// datagram from vm-81-12 to a destination of its own for each index from
// first on.
func newConnFrames(bufs []*packet.Buffer, tmpl []byte, first uint32) {
	for i, buf := range bufs {
		buf.SetData(tmpl)
		idx := first + uint32(i)
		ip := header.IPv4(buf.Data()[header.EthernetLen:])
		d := buf.Data()[header.EthernetLen+16:]
		d[0], d[1], d[2], d[3] = 11+byte(idx>>24), byte(idx>>16), byte(idx>>8), byte(idx)
		ip.SetChecksum(0)
		ip.SetChecksum(ip.CalculateChecksum())
		binary.BigEndian.PutUint16(buf.Data()[header.EthernetLen+20+6:], 0) // no UDP checksum
	}
}

// newConnBench is the router bench with a worker and 64 buffers for new
// connections.
func newConnBench(b *testing.B, opts Options) (*Node, int, *Worker, []*packet.Buffer, []byte) {
	n, in, _ := routedBench(b, opts)
	tmpl := udpDgram(b, vm81MAC, qr81MAC, vm81IP, internet, 10000, 53, 64, 18)
	bufs := make([]*packet.Buffer, 64)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(2048)
	}
	return n, in, n.NewWorker(len(bufs)), bufs, tmpl
}

// BenchmarkRouterNewConn measures new connections at a steady state: the
// table is full at the default conntrack_max (262144) of unreplied
// connections, as under a flood of new ones, and every frame opens a new
// connection to a destination of its own (conntrack miss, SNAT port
// choice, early drop of an unreplied connection, insert). The table's
// size does not depend on b.N. Target: at least 1 M per second per core.
func BenchmarkRouterNewConn(b *testing.B) {
	n, in, w, bufs, tmpl := newConnBench(b, Options{})
	max := n.ct.Stats().Max
	next := uint32(0)
	for n.ct.Len() < max {
		newConnFrames(bufs, tmpl, next)
		next += uint32(len(bufs))
		n.Process(w, in, bufs)
	}
	evicted := n.ct.Stats().Evicted
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		newConnFrames(bufs, tmpl, next)
		next += uint32(len(bufs))
		n.Process(w, in, bufs)
	}
	b.StopTimer()
	conns := b.N * len(bufs)
	b.ReportMetric(float64(conns)/b.Elapsed().Seconds()/1e6, "Mconns/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(conns), "ns/conn")
	if got := n.ct.Len(); got != max {
		b.Fatalf("%d connections in the table, want it full at %d", got, max)
	}
	if got := n.ct.Stats().Evicted - evicted; got < uint64(conns)*9/10 {
		b.Fatalf("%d early drops for %d new connections", got, conns)
	}
}

// BenchmarkRouterNewConnGrowth measures new connections into a table that
// grows from empty to b.N*64 connections (its slot tables doubling, the
// memory touched for the first time): a node's first minutes under load.
// Its cost per connection grows with b.N.
func BenchmarkRouterNewConnGrowth(b *testing.B) {
	n, in, w, bufs, tmpl := newConnBench(b, Options{ConntrackMax: 1 << 24})
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		newConnFrames(bufs, tmpl, uint32(k*len(bufs)))
		n.Process(w, in, bufs)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(bufs))/b.Elapsed().Seconds()/1e6, "Mconns/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bufs)), "ns/conn")
	if got := n.ct.Len(); got < b.N*len(bufs)/2 {
		b.Fatalf("%d connections in the table after %d new ones", got, b.N*len(bufs))
	}
}

// The routed, SNATed path allocates nothing once its connections exist.
func TestRouterForwardAllocs(t *testing.T) {
	n, in, up := routedBench(t, Options{})
	frames := flowFrames(t, 64)
	bufs := make([]*packet.Buffer, 64)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(2048)
	}
	w := n.NewWorker(len(bufs))
	batch := func() {
		for i, buf := range bufs {
			buf.SetData(frames[i])
		}
		n.Process(w, in, bufs)
	}
	batch()
	sent := up.Count()
	before := n.Counters().Drops
	if allocs := testing.AllocsPerRun(100, batch); allocs != 0 {
		t.Errorf("%.1f allocations per batch of routed frames, want 0", allocs)
	}
	if hits := n.Counters().RouteCacheHits; hits < 99*64 {
		t.Errorf("the route cache answered %d of the frames, want at least %d", hits, 99*64)
	}
	if after := n.Counters().Drops; len(after) != len(before) {
		t.Errorf("drops while routing: %v", after)
	}
	if got := up.Count() - sent; got < 100*64 {
		t.Errorf("%d frames out of the uplink, want at least %d", got, 100*64)
	}
}
