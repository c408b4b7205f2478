package datapath

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"neutrino/firewall"
	"neutrino/packet"
	"neutrino/packet/header"
)

// sgFilter is one VM port's security groups and the fixed rules around
// them, as Neutron's firewall drivers build them: egress filtering where
// a frame leaves the port for br-int (portIn calls egress), ingress
// filtering where a frame leaves br-int, a DHCP port or a router for the
// port (sgIngress, an element of the graph). Frames between two VMs of
// one node are checked on both sides, each in its own port's conntrack
// zone. The filter is immutable; its counters are atomic (rule hits) or
// per worker (the fixed rules).
type sgFilter struct {
	n        *Node
	p        *port
	label    string // "sg-" + the port's name, in traces
	zone     uint16
	stateful bool
	groups   []string
	pairs    []sgPair
	mac      [6]byte // the port's own
	set      *firewall.Set
	match    [2]*firewall.Matcher // by direction
	rules    []firewall.Rule
	hits     []ruleHits // by rule id
	frags    *fragMemory
	spec     *SecuritySpec
	// base is what the workers' counters of the slot's fixed rules held
	// when the filter was made (a reload's new filter starts at zero).
	base [2][NumSGReasons][2]uint64
	gen  uint16 // 15 bits: tells this filter's cache entries from an older one's of the port (tag)
}

// sgPair is an AddressPair ready for comparing: an IPv4 prefix as
// address and mask.
type sgPair struct {
	mac        [6]byte
	addr, mask uint32
}

// ruleHits counts the packets and bytes a group rule let through (first
// packets of connections, or every packet of a stateless port).
type ruleHits struct {
	pkts, bytes atomic.Uint64
}

// sgCounters are one worker's counters of the fixed rules of one port,
// by direction and rule.
type sgCounters [2][NumSGReasons]struct{ pkts, bytes uint64Counter }

// newFilter builds port p's filter. was, when set, is the filter of p's
// slot in the graph a reload replaces: when it filters the same way, the
// new one goes on with its counters, its fragments and its generation
// (so the workers' conntrack caches stay valid).
func newFilter(n *Node, p *port, was *sgFilter) *sgFilter {
	s := p.spec.Security
	f := &sgFilter{
		n: n, p: p, label: "sg-" + p.spec.Name, zone: s.Zone, stateful: s.Stateful,
		groups: s.Groups, set: s.Rules,
	}
	if was != nil && was.p.spec.Name == p.spec.Name && sameSecurity(was.spec, s) {
		f.spec, f.set, f.hits, f.frags, f.gen, f.base = was.spec, was.set, was.hits, was.frags, was.gen, was.base
		f.match, f.rules, f.mac, f.pairs = was.match, was.rules, was.mac, was.pairs
		return f
	}
	f.spec, f.frags, f.gen = s, newFragMemory(), uint16(n.filterGen.Add(1)&0x7fff)
	if n.g.Load() != nil {
		// A reload: the slot's fixed-rule counters so far are an older
		// filter's.
		f.base = n.sgCounts(int(p.id))
	}
	f.match[sgEgress], f.match[sgIngress] = s.Rules.Egress(), s.Rules.Ingress()
	f.rules = s.Rules.Rules()
	if len(p.spec.MAC) == 6 {
		f.mac = [6]byte(p.spec.MAC)
	}
	f.hits = make([]ruleHits, len(f.rules))
	for _, ap := range s.Pairs {
		if !ap.Prefix.Addr().Is4() || len(ap.MAC) != 6 {
			continue
		}
		a := ap.Prefix.Addr().As4()
		mask := ^uint32(0)
		if b := ap.Prefix.Bits(); b < 32 {
			mask = ^(^uint32(0) >> b)
		}
		f.pairs = append(f.pairs, sgPair{mac: [6]byte(ap.MAC), addr: binary.BigEndian.Uint32(a[:]) & mask, mask: mask})
	}
	return f
}

func (f *sgFilter) name() string { return f.label }

// receive is the ingress side: a frame for the port, from br-int, a DHCP
// port or a router, goes to the port's output queue when the filter lets
// it.
func (f *sgFilter) receive(w *Worker, _ uint16, b *packet.Buffer) {
	if f.ingress(w, b) {
		w.enqueue(int(f.p.id), b)
	}
}

// egress decides a frame the port sent, before br-int; it reports
// whether the frame goes on (a dropped frame is counted and traced).
func (f *sgFilter) egress(w *Worker, b *packet.Buffer) bool {
	if f.fast(w, b, sgEgress) {
		return true
	}
	l := &b.Meta.Layout
	d := b.Data()
	switch {
	case l.Flags&header.IsIPv4 != 0:
	case l.EtherType == header.EtherTypeARP:
		if l.Flags&header.IsARP != 0 && f.arpFromPair(d, header.ARP(d[l.L3:])) {
			return f.verdict(w, b, sgEgress, SGAcceptARP)
		}
		return f.verdict(w, b, sgEgress, SGSpoofedARP)
	case l.EtherType == header.EtherTypeIPv6:
		return f.verdict(w, b, sgEgress, SGIPv6)
	default:
		return f.verdict(w, b, sgEgress, SGEtherType)
	}
	ip := d[l.L3:]
	mac, src := [6]byte(d[6:12]), binary.BigEndian.Uint32(ip[12:16])
	udp := l.Proto == header.ProtoUDP && l.Flags&header.HasL4 != 0
	var sport, dport uint16
	if udp {
		u := header.UDP(d[l.L4:])
		sport, dport = u.SrcPort(), u.DstPort()
	}
	switch {
	case udp && sport == 68 && dport == 67 && src == 0 && binary.BigEndian.Uint32(ip[16:20]) == 0xffffffff && f.ownMAC(mac):
		return f.verdict(w, b, sgEgress, SGAcceptDHCPClient) // discover: before anti-spoofing, from the port's MAC
	case !f.fromPair(mac, src):
		return f.verdict(w, b, sgEgress, SGSpoofedSource)
	case udp && sport == 68 && dport == 67:
		return f.verdict(w, b, sgEgress, SGAcceptDHCPClient)
	case udp && sport == 67 && dport == 68:
		return f.verdict(w, b, sgEgress, SGDHCPServer)
	}
	return f.state(w, b, sgEgress)
}

// ingress decides a frame on its way to the port.
func (f *sgFilter) ingress(w *Worker, b *packet.Buffer) bool {
	if f.fast(w, b, sgIngress) {
		return true
	}
	l := &b.Meta.Layout
	d := b.Data()
	switch {
	case l.Flags&header.IsIPv4 != 0:
	case l.EtherType == header.EtherTypeARP:
		return f.verdict(w, b, sgIngress, SGAcceptARP)
	case l.EtherType == header.EtherTypeIPv6:
		return f.verdict(w, b, sgIngress, SGIPv6)
	default:
		return f.verdict(w, b, sgIngress, SGEtherType)
	}
	if l.Proto == header.ProtoUDP && l.Flags&header.HasL4 != 0 {
		if u := header.UDP(d[l.L4:]); u.SrcPort() == 67 && u.DstPort() == 68 {
			return f.verdict(w, b, sgIngress, SGAcceptDHCPReply)
		}
	}
	return f.state(w, b, sgIngress)
}

// fromPair reports whether (mac, ip) is one of the port's pairs.
func (f *sgFilter) fromPair(mac [6]byte, ip uint32) bool {
	for i := range f.pairs {
		p := &f.pairs[i]
		if p.mac == mac && ip&p.mask == p.addr {
			return true
		}
	}
	return false
}

// ownMAC reports whether mac is the port's MAC or the MAC of one of its
// pairs.
func (f *sgFilter) ownMAC(mac [6]byte) bool {
	if mac == f.mac {
		return true
	}
	for i := range f.pairs {
		if f.pairs[i].mac == mac {
			return true
		}
	}
	return false
}

// arpFromPair reports whether an ARP packet the port sent speaks for the
// port: its Ethernet source and sender MAC are one MAC, and the sender IP
// goes with it. A probe (sender IP 0.0.0.0, RFC 5227) claims no address
// and passes with the port's MAC.
func (f *sgFilter) arpFromPair(frame []byte, a header.ARP) bool {
	sha := a.SHA()
	if sha != [6]byte(frame[6:12]) {
		return false
	}
	spa := a.SPA()
	if ip := binary.BigEndian.Uint32(spa[:]); ip != 0 {
		return f.fromPair(sha, ip)
	}
	return f.ownMAC(sha)
}

// verdict counts b under fixed rule r of direction dir, traces it, and
// reports whether the rule lets it through (a drop is counted at stage
// security_group too).
func (f *sgFilter) verdict(w *Worker, b *packet.Buffer, dir int, r SGReason) bool {
	if !w.dryRun {
		c := &w.sg[f.p.id][dir][r]
		c.pkts.inc()
		c.bytes.add(uint64(b.Len()))
	}
	if r.accepts() {
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(f.label, sgDirName[dir], "accept: %s", matchText(dir, r))
		}
		return true
	}
	if !w.dryRun {
		if dir == sgEgress {
			f.p.c.rxDrops.Add(1) // received from the VM, not let in
		} else {
			f.p.c.txDrops.Add(1) // for the VM, not let out to it
		}
	}
	w.dropIn(f, StageSecurityGroup, uint8(r), b)
	return false
}

var sgDirName = [2]string{sgEgress: "egress", sgIngress: "ingress"}

// ruleText names rule id of the port for traces and show: its group,
// index and what it matches.
func (f *sgFilter) ruleText(id int) string {
	r := &f.rules[id]
	return fmt.Sprintf("%s rules[%d] %s", r.Group, r.Index, r.String())
}
