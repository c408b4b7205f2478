package datapath

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"neutrino/defrag"
	"neutrino/internal/clock"
	"neutrino/link/mem"
	"neutrino/packet"
	"neutrino/packet/header"
)

// rig is the seed 002 node on in-memory endpoints with a fake clock, run
// step by step: frames go in through Process, the routers' timers run
// through routerTick when the test says so. After every step it checks
// what the router sent and what it holds:
//
//   - every frame from one of the router's MACs parses; an IPv4 one has a
//     right header checksum, a TTL of at least 1 and, unless it is a
//     fragment, a right L4 checksum (an ICMP error's quoted header and,
//     when whole, quoted packet too); an ARP one comes from the port it
//     leaves by and never asks for one of the router's own addresses;
//   - no counter ever goes down;
//   - the frames held for neighbours, the neighbour cache, the reassembly
//     table and the connection table stay within their bounds.
//
// A forwarded frame keeps the checksums it came with: inputs whose L4
// checksum is wrong are remembered by IP identification (lax), and frames
// carrying that identification may be wrong the same way.
type rig struct {
	t    testing.TB
	n    *Node
	e    *routerElem
	eps  map[string]*mem.Endpoint
	clk  *clock.Fake
	w    *Worker // frames in
	tw   *Worker // the routers' timers
	rt   routerTimers
	bufs []*packet.Buffer
	seen map[string]int

	// answer: the lab's hosts answer the router's ARP requests for them.
	answer bool
	// gso is the offload metadata of the next frame in (then cleared):
	// what a TAP device reads from a VM's virtio-net header.
	gso packet.GSO
	// garp: the timers just sent a round of gratuitous ARP, requests
	// for the router's own addresses from themselves.
	garp bool
	lax  map[uint16]bool
	prev map[string]uint64
	// got collects the frames the node sent since the last take, but the
	// ARP replies the rig made for its hosts.
	got map[string][][]byte
}

// rigHost is a host of the lab behind a port.
type rigHost struct {
	port string
	mac  [6]byte
}

var rigHosts = map[[4]byte]rigHost{
	[4]byte(vm91IP): {"vm-91-14", [6]byte(vm91MAC)},
	[4]byte(vm81IP): {"vm-81-12", [6]byte(vm81MAC)},
	[4]byte(upIP):   {"physnet1", [6]byte(upMAC)},
	[4]byte(outIP):  {"physnet1", [6]byte(outMAC)},
}

// rigPorts are the node's ports that lead to the router, and the router's
// MAC on each one's network.
var (
	rigPorts    = []string{"vm-91-14", "vm-81-12", "physnet1"}
	rigRouterOn = map[string][6]byte{
		"vm-91-14": [6]byte(qr91MAC), "vm-81-12": [6]byte(qr81MAC), "physnet1": [6]byte(qgMAC),
	}
	rigHostOn = map[string][6]byte{
		"vm-91-14": [6]byte(vm91MAC), "vm-81-12": [6]byte(vm81MAC), "physnet1": [6]byte(outMAC),
	}
)

// rigEpoch is where the rig's clock starts.
var rigEpoch = time.Unix(1_800_000_000, 0)

var (
	seed002Once       sync.Once
	seed002Unfiltered *Spec
)

// seed002Loaded is the seed 002 spec without security groups, loaded
// once (New does not change it).
func seed002Loaded(t testing.TB) *Spec {
	seed002Once.Do(func() { seed002Unfiltered = seed002Spec(t) })
	if seed002Unfiltered == nil {
		t.Fatal("seed 002 spec did not load")
	}
	return seed002Unfiltered
}

// newRig builds the rig on spec (nil: seed 002) with opts; its clock is
// the rig's own.
func newRig(t testing.TB, spec *Spec, opts Options, epOpts ...mem.Option) *rig {
	t.Helper()
	if spec == nil {
		spec = seed002Loaded(t)
	}
	clk := clock.NewFake(rigEpoch)
	opts.Clock = clk
	n, eps := memNode(t, spec, opts, epOpts...)
	r := &rig{
		t: t, n: n, e: n.g.Load().routers[0], eps: eps, clk: clk,
		w: n.NewWorker(64), tw: n.NewWorker(64), rt: routerTimers{},
		seen: map[string]int{}, answer: true, lax: map[uint16]bool{}, got: map[string][][]byte{},
	}
	r.prev = r.counters()
	return r
}

// in runs frames in from port, in batches of 64, and checks the result.
func (r *rig) in(port string, frames ...[]byte) {
	r.t.Helper()
	r.inQuiet(port, frames...)
	r.drain()
	r.check()
}

// inQuiet runs frames in from port without looking at the result.
func (r *rig) inQuiet(port string, frames ...[]byte) {
	r.t.Helper()
	idx, ok := r.n.PortIndex(port)
	if !ok {
		r.t.Fatalf("no port %s", port)
	}
	for len(frames) > 0 {
		k := min(len(frames), 64)
		for len(r.bufs) < k {
			r.bufs = append(r.bufs, packet.NewBuffer(packet.MaxFrame))
		}
		for i, f := range frames[:k] {
			gso := r.gso
			r.gso = packet.GSO{}
			if !gso.NeedsCsum && !fixedL4(f) {
				if id, ok := ipID(f); ok {
					r.lax[id] = true
				}
			}
			r.bufs[i].SetData(f)
			r.bufs[i].Meta = packet.Meta{GSO: gso}
		}
		r.n.Process(r.w, idx, r.bufs[:k])
		frames = frames[k:]
	}
}

// tick moves the clock on by d and runs the routers' timers once.
func (r *rig) tick(d time.Duration) {
	r.t.Helper()
	r.clk.Advance(d)
	r.timers()
	r.check()
}

// timers runs the routers' timers once and looks at what they sent.
func (r *rig) timers() {
	r.t.Helper()
	rounds := r.rt.garp
	r.n.routerTick(r.tw, &r.rt, r.clk.Now())
	r.garp = r.rt.garp != rounds
	r.drain()
	r.garp = false
}

// settle runs the timers for d, a tick a second (fewer, longer ones
// past 10 s: timers fire late, never early), checking what they send at
// each and the rest at the end.
func (r *rig) settle(d time.Duration) {
	r.t.Helper()
	step := max(time.Second, d/10)
	for s := time.Duration(0); s < d; s += step {
		r.clk.Advance(min(step, d-s))
		r.timers()
	}
	r.check()
}

// take returns the frames sent since the last take, by port.
func (r *rig) take() map[string][][]byte {
	g := r.got
	r.got = map[string][][]byte{}
	return g
}

// drain checks every frame the node sent since the last look and, when
// the hosts answer, answers the router's ARP requests for them (until no
// more come, or a few rounds).
func (r *rig) drain() {
	r.t.Helper()
	for round := 0; ; round++ {
		replies := map[string][][]byte{}
		for _, name := range rigAllPorts(r.eps) {
			ep := r.eps[name]
			if ep.Count() == r.seen[name] {
				continue
			}
			sent := ep.Sent()
			for _, f := range sent[r.seen[name]:] {
				if err := r.verify(name, f); err != nil {
					r.t.Fatalf("frame out of %s: %v\n% x", name, err, f.Data)
				}
				if rep := r.arpAnswer(name, f.Data); rep != nil {
					replies[name] = append(replies[name], rep)
					continue
				}
				r.got[name] = append(r.got[name], f.Data)
			}
			r.seen[name] = len(sent)
		}
		if len(replies) == 0 || round == 4 {
			return
		}
		for _, name := range rigAllPorts(replies) {
			r.inQuiet(name, replies[name]...)
		}
	}
}

// rigAllPorts returns m's keys in order.
func rigAllPorts[V any](m map[string]V) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// arpAnswer returns a lab host's answer to f, an ARP request from the
// router out of port, or nil.
func (r *rig) arpAnswer(port string, f []byte) []byte {
	if !r.answer {
		return nil
	}
	var l header.Layout
	if header.Parse(f, &l) != header.OK || l.Flags&header.IsARP == 0 {
		return nil
	}
	a := header.ARP(f[l.L3:])
	h, ok := rigHosts[a.TPA()]
	if a.Op() != header.ARPRequest || !ok || h.port != port || a.SPA() == a.TPA() {
		return nil
	}
	return rawARP(h.mac, a.SHA(), header.ARPReply, h.mac, a.TPA(), a.SHA(), a.SPA())
}

// routerMACs are the router's port MACs.
func (r *rig) isRouterMAC(m [6]byte) bool {
	for i := range r.e.ports {
		if r.e.ports[i].mac == m {
			return true
		}
	}
	return false
}

// ownOrFloating reports whether ip is one of the router's addresses or
// floating IPs.
func (r *rig) ownOrFloating(ip [4]byte) bool {
	_, fip := r.e.dnat[ip]
	return fip || r.e.isOwn(ip)
}

// unsendable reports why the router may not send to ip, as a routed
// packet's destination or an ARP target, or "": its own addresses and
// floating IPs, multicast, the limited broadcast, and the broadcast
// address of one of its subnets (Linux neither forwards a directed
// broadcast nor resolves it).
func (r *rig) unsendable(ip [4]byte) string {
	switch {
	case r.ownOrFloating(ip):
		return "its own address"
	case ip[0] >= 224:
		return "a multicast or broadcast address"
	}
	a := netip.AddrFrom4(ip)
	for i := range r.e.ports {
		p := r.e.ports[i].prefix
		if p.Bits() < 31 && p.Contains(a) && a.Next().IsValid() && !p.Contains(a.Next()) {
			return "the broadcast address of " + p.String()
		}
	}
	return ""
}

// verify checks one frame sent out of port; frames that do not come from
// a router MAC (bridged between hosts) are not the router's.
func (r *rig) verify(port string, f mem.Frame) error {
	d := f.Data
	if len(d) < header.EthernetLen {
		return fmt.Errorf("runt")
	}
	src := [6]byte(d[6:12])
	if !r.isRouterMAC(src) {
		return nil
	}
	if want := rigRouterOn[port]; src != want {
		return fmt.Errorf("router MAC %x out of %s, want %x", src, port, want)
	}
	var l header.Layout
	if m := header.Parse(d, &l); m != header.OK {
		return fmt.Errorf("does not parse: %v", m)
	}
	switch {
	case l.Flags&header.IsARP != 0:
		a := header.ARP(d[l.L3:])
		if a.SHA() != src {
			return fmt.Errorf("ARP sender MAC %x from %x", a.SHA(), src)
		}
		if !r.ownOrFloating(a.SPA()) {
			return fmt.Errorf("ARP from the router for sender %s, not its address", netip.AddrFrom4(a.SPA()))
		}
		// A request for its own address from itself is gratuitous ARP,
		// which only the timers send, in their first rounds.
		if why := r.unsendable(a.TPA()); a.Op() == header.ARPRequest && why != "" && (a.SPA() != a.TPA() || !r.garp) {
			return fmt.Errorf("the router asks who has %s, %s", netip.AddrFrom4(a.TPA()), why)
		}
		return nil
	case l.Flags&header.IsIPv4 == 0:
		return fmt.Errorf("neither ARP nor IPv4 (EtherType %#x)", l.EtherType)
	}
	if dst := l.IPv4(d).Dst(); r.unsendable(dst) != "" {
		return fmt.Errorf("an IPv4 packet to %s, %s", netip.AddrFrom4(dst), r.unsendable(dst))
	}
	if f.GSO.IsGSO() {
		return verifySuper(d, f.GSO, r.lax)
	}
	if f.GSO.NeedsCsum {
		b := packet.NewBuffer(len(d))
		b.SetData(d)
		b.Meta.GSO = f.GSO
		b.Meta.Layout = l
		if err := packet.CompleteChecksum(b); err != nil {
			return fmt.Errorf("partial checksum: %v", err)
		}
		d = b.Data()
	}
	return verifyIPv4(d, &l, r.lax)
}

// verifySuper checks a TCP super-frame sent to a port that takes them by
// cutting it into its segments and checking each.
func verifySuper(d []byte, g packet.GSO, lax map[uint16]bool) error {
	b := packet.NewBuffer(len(d))
	b.SetData(d)
	b.Meta.GSO = g
	out := make([]*packet.Buffer, len(d)/max(int(g.Size), 1)+2)
	for i := range out {
		out[i] = packet.NewBuffer(int(g.HdrLen) + int(g.Size) + 128)
	}
	n, err := packet.Segment(b, out)
	if err != nil {
		return fmt.Errorf("super-frame %+v does not segment: %v", g, err)
	}
	for _, s := range out[:n] {
		var l header.Layout
		if m := header.Parse(s.Data(), &l); m != header.OK {
			return fmt.Errorf("segment does not parse: %v", m)
		}
		if err := verifyIPv4(s.Data(), &l, lax); err != nil {
			return fmt.Errorf("segment: %v", err)
		}
	}
	return nil
}

// verifyIPv4 checks an IPv4 frame's checksums (see rig); lax lists the
// identifications whose L4 checksums may be wrong.
func verifyIPv4(d []byte, l *header.Layout, lax map[uint16]bool) error {
	ip := l.IPv4(d)
	if !ip.ChecksumValid() {
		return fmt.Errorf("IPv4 header checksum wrong")
	}
	if ip.TTL() == 0 {
		return fmt.Errorf("TTL 0")
	}
	if ip.IsFragment() || l.Flags&header.HasL4 == 0 || lax[ip.ID()] {
		return nil
	}
	if err := l4Valid(ip); err != nil {
		return err
	}
	if l.Proto != header.ProtoICMP || !icmpIsErrorType(d[l.L4]) {
		return nil
	}
	// The quoted packet: its header when all there, and its L4 checksum
	// when it is quoted whole.
	q := header.IPv4(l.L4Payload(d))
	if len(q) < header.IPv4MinLen || q.Version() != 4 || q.HeaderLen() < header.IPv4MinLen || q.HeaderLen() > len(q) {
		return nil
	}
	if !q.ChecksumValid() {
		return fmt.Errorf("quoted IPv4 header checksum wrong")
	}
	if q.Check() != header.OK || q.IsFragment() || int(q.TotalLength()) != len(q) || lax[q.ID()] {
		return nil // an error about a packet that came with a wrong checksum quotes it so
	}
	if err := l4Valid(q); err != nil {
		return fmt.Errorf("quoted packet: %v", err)
	}
	return nil
}

// l4Valid checks the L4 checksum of ip, a whole datagram, for TCP, UDP
// and ICMP that parse.
func l4Valid(ip header.IPv4) error {
	if ip.Check() != header.OK || ip.IsFragment() {
		return nil
	}
	seg := []byte(ip[ip.HeaderLen():ip.TotalLength()])
	src, dst := ip.Src(), ip.Dst()
	switch ip.Protocol() {
	case header.ProtoTCP:
		if header.TCP(seg).Valid() && !header.TCP(seg).ChecksumValid(src, dst) {
			return fmt.Errorf("TCP checksum wrong")
		}
	case header.ProtoUDP:
		if u := header.UDP(seg); u.Valid() && !u.ChecksumValid(src, dst) {
			return fmt.Errorf("UDP checksum wrong")
		}
	case header.ProtoICMP:
		if len(seg) >= header.ICMPv4Len && !header.ICMPv4(seg).ChecksumValid() {
			return fmt.Errorf("ICMP checksum wrong")
		}
	}
	return nil
}

// icmpIsErrorType reports whether an ICMP message of type t is an error
// that quotes a packet.
func icmpIsErrorType(t uint8) bool {
	switch t {
	case header.ICMPv4DestUnreach, 4, header.ICMPv4Redirect, header.ICMPv4TimeExceeded, header.ICMPv4ParamProblem:
		return true
	}
	return false
}

// counters flattens every counter that only grows: drops by stage and
// reason, the ports', the router's (but its gauges) and the connection
// table's events.
func (r *rig) counters() map[string]uint64 {
	m := map[string]uint64{}
	c := r.n.Counters()
	for st, reasons := range c.Stages {
		for k, v := range reasons {
			m["drop/"+st+"/"+k] = v
		}
	}
	for _, p := range c.Ports {
		m["port/"+p.Port+"/rx"] = p.RxFrames
		m["port/"+p.Port+"/tx"] = p.TxFrames
		m["port/"+p.Port+"/rx_drops"] = p.RxDrops
		m["port/"+p.Port+"/tx_drops"] = p.TxDrops
	}
	rs, _ := r.n.Routers("")
	for _, ri := range rs {
		for k, v := range ri.Counters {
			switch k {
			case "neighbour_entries", "fragment_bytes_held":
				continue
			}
			m["router/"+k] = v
		}
	}
	cc := r.n.CountConntrack(ConntrackFilter{Zone: -1})
	m["ct/inserted"], m["ct/early_drop"], m["ct/insert_failed"] = cc.Inserted, cc.EarlyDrop, cc.Refused
	fs := r.e.frags.Stats()
	for o, v := range fs.Fragments {
		m["defrag/"+defrag.Outcome(o).String()] = v
	}
	m["defrag/timed_out"], m["defrag/killed"], m["defrag/evicted"] = fs.TimedOut, fs.Killed, fs.Evicted
	return m
}

// check fails the test when a counter went down or a bound is broken.
func (r *rig) check() {
	r.t.Helper()
	now := r.counters()
	for k, v := range r.prev {
		if now[k] < v {
			r.t.Fatalf("counter %s went down: %d -> %d", k, v, now[k])
		}
	}
	r.prev = now
	e := r.e
	if h := e.heldBytes.Load(); h < 0 || h > maxHeldBytes {
		r.t.Fatalf("%d bytes held for neighbours, bound %d", h, maxHeldBytes)
	}
	max := e.neigh.Config().MaxEntries
	nbs, err := r.n.Neighbors("")
	if err != nil {
		r.t.Fatal(err)
	}
	queued := 0
	for _, nb := range nbs {
		queued += nb.Queued
	}
	if ns := e.neigh.Stats(); ns.Entries > max || len(nbs) != ns.Entries {
		r.t.Fatalf("neighbour cache: %d entries, %d listed, bound %d", ns.Entries, len(nbs), max)
	}
	if q := e.neigh.Config().MaxQueue; queued > q*len(nbs) {
		r.t.Fatalf("%d frames queued for %d neighbours, at most %d each", queued, len(nbs), q)
	}
	fs := e.frags.Stats()
	if fs.Datagrams > defrag.DefaultMaxDatagrams || fs.HeldBytes+fs.IdleBytes > defrag.DefaultMaxBytes ||
		fs.HeldFragments > defrag.DefaultMaxFragments*fs.Datagrams {
		r.t.Fatalf("reassembly table out of bounds: %+v", fs)
	}
	if st := r.n.ct.Stats(); r.n.ct.Len() > st.Max {
		r.t.Fatalf("%d connections, bound %d", r.n.ct.Len(), st.Max)
	}
	if p := e.icmp.Stats().Peers; p > e.icmp.Config().MaxPeers {
		r.t.Fatalf("ICMP rate limiter tracks %d destinations, bound %d", p, e.icmp.Config().MaxPeers)
	}
	// Frames from the rig's hosts fit their ports: a frame too large for
	// its port is one the router made or forwarded without minding the
	// MTU.
	if d := now["drop/port_out/mtu_exceeded"]; d != 0 {
		r.t.Fatalf("the router sent %d frames larger than their port's MTU (port_out mtu_exceeded)", d)
	}
}

// finish lets every timer run out: neighbours resolve or fail and are
// forgotten, incomplete datagrams time out (30 s); then nothing may be
// left waiting.
func (r *rig) finish() {
	r.t.Helper()
	r.settle(6 * time.Second)
	r.tick(31 * time.Second)
	r.settle(6 * time.Second)
	r.drained()
}

// drained checks that nothing is left waiting once every timer has run:
// no frame held for a neighbour, no datagram being reassembled.
func (r *rig) drained() {
	r.t.Helper()
	nbs, _ := r.n.Neighbors("")
	for _, nb := range nbs {
		if nb.Queued != 0 || nb.State == "INCOMPLETE" {
			r.t.Fatalf("neighbour %+v still resolving after every timer ran", nb)
		}
	}
	if h := r.e.heldBytes.Load(); h != 0 {
		r.t.Fatalf("%d bytes still counted as held for neighbours, none are queued", h)
	}
	if fs := r.e.frags.Stats(); fs.Datagrams != 0 || fs.HeldBytes != 0 || fs.HeldFragments != 0 {
		r.t.Fatalf("datagrams still held after the reassembly timeout: %+v", fs)
	}
}

// drops returns the router stage's drop counter for reason.
func (r *rig) drops(reason RouterReason) uint64 {
	return r.n.Counters().Stages[StageRouter.String()][reason.String()]
}

// routerCounter returns one of show routers' counters.
func (r *rig) routerCounter(name string) uint64 {
	rs, _ := r.n.Routers("")
	return rs[0].Counters[name]
}

// ipID returns the IP identification of an untagged IPv4 frame.
func ipID(f []byte) (uint16, bool) {
	if len(f) < header.EthernetLen+header.IPv4MinLen || binary.BigEndian.Uint16(f[12:14]) != header.EtherTypeIPv4 {
		return 0, false
	}
	return header.IPv4(f[header.EthernetLen:]).ID(), true
}

// fixedL4 reports whether a frame's L4 checksums are right (those of an
// ICMP error's quote too) as far as verifyIPv4 looks: a forward of it must
// then be right as well.
func fixedL4(f []byte) bool {
	var l header.Layout
	if header.Parse(f, &l) != header.OK || l.Flags&header.IsIPv4 == 0 {
		return true
	}
	ip := l.IPv4(f)
	if ip.IsFragment() {
		return false // its datagram's checksum is the datagram's affair
	}
	return verifyIPv4(f, &l, nil) == nil
}

// Raw frame builders: faster than gopacket for floods and fuzzing, and
// able to build what gopacket will not.

// rawARP builds an Ethernet/IPv4 ARP frame.
func rawARP(src, dst [6]byte, op uint16, sha [6]byte, spa [4]byte, tha [6]byte, tpa [4]byte) []byte {
	f := make([]byte, header.EthernetLen+header.ARPLen)
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:14], header.EtherTypeARP)
	a := header.ARP(f[header.EthernetLen:])
	a.SetEthernetIPv4()
	a.SetOp(op)
	a.SetSHA(sha)
	a.SetSPA(spa)
	a.SetTHA(tha)
	a.SetTPA(tpa)
	return f
}

// rawIPv4 builds an untagged IPv4 frame carrying l4 (TCP, UDP or ICMP
// with its checksum computed, or anything else as is).
func rawIPv4(src, dst [6]byte, sip, dip [4]byte, proto, ttl uint8, id uint16, l4 []byte) []byte {
	f := make([]byte, header.EthernetLen+header.IPv4MinLen+len(l4))
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:14], header.EtherTypeIPv4)
	ip := header.IPv4(f[header.EthernetLen:])
	ip.SetHeaderLen(header.IPv4MinLen)
	ip.SetTotalLength(uint16(len(ip)))
	ip.SetID(id)
	ip.SetTTL(ttl)
	ip.SetProtocol(proto)
	ip.SetSrc(sip)
	ip.SetDst(dip)
	copy(ip[header.IPv4MinLen:], l4)
	fixChecksums(ip)
	return f
}

// rawUDP is a UDP header and payload (checksum left to fixChecksums).
func rawUDP(sport, dport uint16, payload int) []byte {
	u := make([]byte, header.UDPLen+payload)
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(len(u)))
	for i := header.UDPLen; i < len(u); i++ {
		u[i] = byte(i)
	}
	return u
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

// rawTCP is a 20-byte TCP header with flags and payload bytes of data.
func rawTCP(sport, dport uint16, flags uint8, seq, ack uint32, payload int) []byte {
	t := make([]byte, header.TCPMinLen+payload)
	th := header.TCP(t)
	th.SetSrcPort(sport)
	th.SetDstPort(dport)
	th.SetSeq(seq)
	th.SetAck(ack)
	th.SetDataOffset(5)
	th.SetFlags(flags)
	th.SetWindow(64240)
	return t
}

// rawICMP is an ICMP message: type, code, the second word (id and seq),
// then body.
func rawICMP(typ, code uint8, id, seq uint16, body []byte) []byte {
	m := make([]byte, header.ICMPv4Len+len(body))
	m[0], m[1] = typ, code
	binary.BigEndian.PutUint16(m[4:6], id)
	binary.BigEndian.PutUint16(m[6:8], seq)
	copy(m[header.ICMPv4Len:], body)
	return m
}

// fixChecksums sets the checksums of ip (an IPv4 datagram, its total
// length right): an ICMP error's quoted header first when all there, the
// L4 checksum of a whole TCP, UDP or ICMP datagram, then the header's.
func fixChecksums(ip header.IPv4) {
	if len(ip) < header.IPv4MinLen || ip.HeaderLen() < header.IPv4MinLen || ip.HeaderLen() > len(ip) {
		return
	}
	end := min(int(ip.TotalLength()), len(ip))
	hl := ip.HeaderLen()
	if !ip.IsFragment() && end >= hl {
		seg := []byte(ip[hl:end])
		src, dst := ip.Src(), ip.Dst()
		switch ip.Protocol() {
		case header.ProtoTCP:
			if t := header.TCP(seg); len(seg) >= header.TCPMinLen {
				t.SetChecksum(0)
				t.SetChecksum(^header.Checksum(seg, header.PseudoHeaderChecksum(header.ProtoTCP, src, dst, uint16(len(seg)))))
			}
		case header.ProtoUDP:
			if u := header.UDP(seg); u.Valid() {
				u.SetChecksum(0)
				u.SetChecksum(u.CalculateChecksum(src, dst))
			}
		case header.ProtoICMP:
			if len(seg) >= header.ICMPv4Len {
				m := header.ICMPv4(seg)
				if icmpIsErrorType(m.Type()) {
					q := header.IPv4(m.Payload())
					if len(q) >= header.IPv4MinLen && q.HeaderLen() >= header.IPv4MinLen && q.HeaderLen() <= len(q) {
						q.SetChecksum(0)
						q.SetChecksum(^header.Checksum(q[:q.HeaderLen()], 0))
					}
				}
				m.SetChecksum(0)
				m.SetChecksum(^header.Checksum(seg, 0))
			}
		}
	}
	ip.SetChecksum(0)
	ip.SetChecksum(^header.Checksum(ip[:hl], 0))
}

// a4 is an address as 4 bytes.
func a4(s string) [4]byte { return netip.MustParseAddr(s).As4() }

// The rig's frame checks find what they look for.
func TestRigVerify(t *testing.T) {
	r := newRig(t, nil, Options{})
	good := rawIPv4(mQR81, mVM81, aNet, aVM81, header.ProtoUDP, 63, 1, rawUDP(53, 33000, 20))
	errQuote := rawIPv4(mQR81, mVM81, aQR81, aVM81, header.ProtoICMP, 64, 2, rawICMP(3, 3, 0, 0,
		rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 3, rawUDP(1, 2, 4))[header.EthernetLen:]))
	if err := r.verify("vm-81-12", mem.Frame{Data: good}); err != nil {
		t.Fatalf("a good frame: %v", err)
	}
	if err := r.verify("vm-81-12", mem.Frame{Data: errQuote}); err != nil {
		t.Fatalf("a good ICMP error: %v", err)
	}
	bad := map[string]func() []byte{
		"IP checksum": func() []byte { f := append([]byte(nil), good...); f[24] ^= 1; return f },
		"UDP checksum": func() []byte {
			f := append([]byte(nil), good...)
			f[len(f)-1] ^= 1
			return f
		},
		"TTL 0": func() []byte { return rawIPv4(mQR81, mVM81, aNet, aVM81, header.ProtoUDP, 0, 1, rawUDP(53, 33000, 20)) },
		"quoted header checksum": func() []byte {
			f := append([]byte(nil), errQuote...)
			f[14+20+8+10] ^= 1
			m := header.ICMPv4(f[14+20:])
			m.SetChecksum(0)
			m.SetChecksum(m.CalculateChecksum())
			return f
		},
		"quoted UDP checksum": func() []byte {
			f := append([]byte(nil), errQuote...)
			f[len(f)-1] ^= 1
			m := header.ICMPv4(f[14+20:])
			m.SetChecksum(0)
			m.SetChecksum(m.CalculateChecksum())
			return f
		},
		"ARP for own address": func() []byte {
			return rawARP(mQG, mBcast, header.ARPRequest, mQG, aGW, [6]byte{}, aFIP)
		},
		"wrong port": func() []byte {
			return rawIPv4(mQR91, mVM81, aNet, aVM81, header.ProtoUDP, 63, 1, rawUDP(53, 33000, 20))
		},
	}
	for name, mk := range bad {
		port := "vm-81-12"
		if name == "ARP for own address" {
			port = "physnet1"
		}
		if err := r.verify(port, mem.Frame{Data: mk()}); err == nil {
			t.Errorf("%s: not found", name)
		}
	}
	// A forward of an input with a wrong checksum may keep it wrong.
	f := bad["UDP checksum"]()
	r.lax[frameIP(f).ID()] = true
	if err := r.verify("vm-81-12", mem.Frame{Data: f}); err != nil {
		t.Errorf("lax identification: %v", err)
	}
}
