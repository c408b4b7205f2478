package datapath

import (
	"encoding/binary"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neutrino/link"
	"neutrino/link/mem"
	"neutrino/packet"
)

// bigFlow is traffic between two ports of the 500-port topology that the
// reloads of TestReload500NoLoss leave alone: web port from sends udp to
// app port to (port 5000, which app allows from members of web), on
// their network or through the router.
type bigFlow struct {
	from, to int
	routed   bool
}

// TestReload500NoLoss: while frames run between unchanged ports of the
// 500-port node, each flow from a goroutine with a worker of its own as
// the node's readers do, ~20 reloads add and remove other ports, remove
// and put back a floating IP and change a security group's rule on
// other ports. Every frame sent arrives, once. (The reload times are
// logged, not asserted: the machine may be shared.)
func TestReload500NoLoss(t *testing.T) {
	n, eps := bigCountingNode(t)
	flows := []bigFlow{{0, 10, false}, {1, 11, false}, {2, 12, false}, {3, 14, true}}
	if testing.Short() {
		flows = flows[:2]
	}

	// Every port of a flow makes itself known (ARP for its gateway): its
	// MAC is in the FDB, the router's neighbour cache holds the routed
	// flows' receivers, and their senders' FDB holds the router's MAC.
	gwMAC := map[int]net.HardwareAddr{} // by network
	for _, rp := range n.Spec().Routers[0].Ports {
		if a := rp.Addr.Addr().As4(); a[0] == 10 {
			gwMAC[int(a[1])-100] = rp.MAC
		}
	}
	for _, f := range flows {
		for _, k := range []int{f.from, f.to} {
			h := bigHost(k)
			send(t, n, h.port, arpWhoHas(t, h.mac, h.ip, net.IPv4(10, byte(100+k%10), 255, 254).To4()))
		}
	}
	dsts := make([]*flowCounter, len(flows)) // eps is the reloads' to write
	for i, f := range flows {
		dsts[i] = eps[bigName(f.to)]
		if got := dsts[i].flows.Load(); got != 0 {
			t.Fatalf("%s got %d udp frames to port %d before the test", bigName(f.to), got, bigFlowPort)
		}
	}

	reloads := bigReloads(t, n)
	sent := make([]atomic.Int64, len(flows))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range flows {
		from, to := bigHost(f.from), bigHost(f.to)
		dstMAC := to.mac
		if f.routed {
			dstMAC = gwMAC[f.from%10]
		}
		frame := udpDgram(t, from.mac, dstMAC, from.ip, to.ip, 40000+uint16(i), bigFlowPort, 64, 64)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sendFrames(t, n, from.port, frame, &sent[i], stop)
		}()
	}

	keep := map[string]bool{}
	for _, f := range flows {
		keep[bigName(f.from)], keep[bigName(f.to)] = true, true
	}
	for i := range sent {
		for sent[i].Load() == 0 {
			time.Sleep(time.Millisecond) // the reloads begin under traffic
		}
	}
	var took []time.Duration
	for i, spec := range reloads {
		time.Sleep(5 * time.Millisecond) // traffic between reloads too
		start := time.Now()
		res, err := n.Reload(spec)
		took = append(took, time.Since(start))
		if err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		if !res.Changed() {
			t.Errorf("reload %d changed nothing", i)
		}
		for _, p := range slices.Concat(res.PortsChanged, res.PortsRemoved) {
			if keep[strings.Fields(p)[0]] {
				t.Errorf("reload %d: a port of a flow changed: %s", i, p)
			}
		}
	}
	close(stop)
	wg.Wait()
	for i, f := range flows {
		name := bigName(f.to)
		got, want := dsts[i].flows.Load(), sent[i].Load()
		if got != want || want == 0 {
			t.Errorf("%s to %s (routed %v): %d frames arrived of %d sent", bigName(f.from), name, f.routed, got, want)
		}
		t.Logf("%s to %s (routed %v): %d frames sent, %d arrived", bigName(f.from), name, f.routed, want, got)
	}
	slices.Sort(took)
	t.Logf("%d reloads under traffic: median %v, longest %v", len(took), took[len(took)/2], took[len(took)-1])
}

// bigReloads resolves the topologies TestReload500NoLoss applies in turn,
// each changing something that is none of the flows' ports: db ports
// added and removed, a floating IP removed and put back, db's rule.
func bigReloads(t *testing.T, n *Node) []*Spec {
	t.Helper()
	variants := []big500{
		{without: map[int]bool{499: true}, extra: []int{500}},
		{},
		{noFIP: 41},
		{},
		{dbPort: 5433},
		{},
		{without: map[int]bool{498: true, 449: true}, extra: []int{501, 502}, noFIP: 191},
		{},
	}
	k := 20
	if testing.Short() {
		k = 8
	}
	var specs []*Spec
	for i := range k {
		specs = append(specs, loadForReload(t, n, variants[i%len(variants)].write(t, t.TempDir())))
	}
	return specs
}

// bigFlowPort is the udp port the flows are sent to.
const bigFlowPort = 5000

// flowCounter is an in-memory device that counts the frames written to
// it that are udp to bigFlowPort: the flows' frames, not the ARP probes
// the router sends a receiver now and then.
type flowCounter struct {
	*mem.Endpoint
	flows atomic.Int64
}

func (e *flowCounter) WriteBatch(bufs []*packet.Buffer) (int, error) {
	n, err := e.Endpoint.WriteBatch(bufs)
	for _, b := range bufs[:n] {
		if d := b.Data(); len(d) >= 14+20+8 && binary.BigEndian.Uint16(d[12:]) == 0x0800 && d[14+9] == 17 {
			l4 := 14 + int(d[14]&0xf)*4
			if len(d) >= l4+4 && binary.BigEndian.Uint16(d[l4+2:]) == bigFlowPort {
				e.flows.Add(1)
			}
		}
	}
	return n, err
}

// bigCountingNode starts a node of the 500-port topology whose devices
// are flowCounters (keeping no frame), returned by port name.
func bigCountingNode(t *testing.T) (*Node, map[string]*flowCounter) {
	t.Helper()
	eps := map[string]*flowCounter{}
	opts := Options{Logger: slog.New(slog.DiscardHandler)}
	opts.Open = func(ps PortSpec) (link.Endpoint, error) {
		o := []mem.Option{mem.WithMTU(ps.MTU), mem.AsSink()}
		if ps.Kind == PortVM {
			o = append(o, mem.WithCaps(link.CapCsumPartial|link.CapGSO))
		}
		e := &flowCounter{Endpoint: mem.New(ps.Name, o...)}
		eps[ps.Name] = e
		return e, nil
	}
	n, err := New(loadTestSpec(t, big500{}.write(t, t.TempDir()), ""), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, eps
}
