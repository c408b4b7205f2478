package datapath

import (
	"neutrino/internal/ratelimit"
	"neutrino/packet"
	"neutrino/packet/header"
)

// portIn is a device port's ingress element: it parses each frame once,
// checks its size against the port's MTU, classifies it into a local VLAN
// (the port's network, or for an uplink the network of its tag), strips
// the tag, and hands it to br-int (output 0), or to the network's DHCP
// port (output 1) when the frame is for it: DHCP from a client, ARP for
// the DHCP port's address, anything to its MAC. Answering those on the
// node, before br-int, is what makes the DHCP service distributed: a VM's
// DHCP traffic never leaves its node, and the DHCP port's MAC is never
// learned elsewhere.
type portIn struct {
	p     *port
	out   []target          // portInToBridge, then the DHCP port(s)
	dhcp  *dhcpPort         // VM ports: the network's DHCP port on this node, nil when none
	storm *ratelimit.Bucket // broadcast and multicast frames into br-int; nil: no limit
	// Uplinks: the DHCP ports of the networks the uplink carries; a frame
	// addressed to one (its MAC, its network) goes to it at output
	// portInToDHCP+k, not through br-int, where the DHCP port's MAC is
	// never learned.
	uplinkDHCP []*dhcpPort
	intercepts bool      // dhcp or uplinkDHCP is set
	fw         *sgFilter // VM ports with security groups: egress filtering, before anything else
	tun        *brtun    // the tunnel port: br-tun's tables 4 and 10
	// routers are the MACs of the router ports on a VM port's network:
	// frames to them may be routed flows the route cache answers
	// (routeFast, after the port's egress filter); other frames never
	// try it.
	routers [][6]byte
	br      *bridge // out[portInToBridge]'s element when it is br-int (always, today)
	// vmKey is, for a VM port of one network on br-int, its part of the
	// keys of the worker's VM flow cache (vmFast): its slot plus one, in
	// the bits above a key's ports and protocol. 0: the port never
	// tries the cache.
	vmKey uint64
}

// Outputs of portIn.
const (
	portInToBridge uint16 = iota
	portInToDHCP
)

func (e *portIn) name() string { return e.p.element() }

func (e *portIn) receive(w *Worker, _ uint16, b *packet.Buffer) {
	p := e.p
	b.Meta.InPort = uint16(p.id)
	tr := b.Meta.Trace
	if tr != nil {
		tr.Addf(p.element(), "receive", "%d bytes%s", b.Len(), gsoDetail(b))
	}
	l := &b.Meta.Layout
	if m := header.Parse(b.Data(), l); m != header.OK {
		e.drop(w, b, Reason(m))
		return
	}
	tagged := l.Flags&header.Tagged != 0
	if tooBig(p, b, tagged) {
		e.drop(w, b, ReasonOversize)
		return
	}

	// Into a local VLAN; inside the node frames are untagged.
	lvid := p.spec.LVID
	vid := l.TCI & header.MaxVID
	switch {
	case e.tun != nil:
		// From the tunnels (br-tun tables 4 and 10): the VNI's local
		// VLAN; the sender's VTEP learns the source MAC.
		t := b.Meta.Tunnel
		if t.VTEP == 0 {
			e.drop(w, b, ReasonUnknownVTEP)
			return
		}
		if lvid = e.tun.tunnelLVID(t.VNI); lvid == 0 {
			e.drop(w, b, ReasonUnknownVNI)
			return
		}
		if tagged {
			e.drop(w, b, ReasonDoubleTagged)
			return
		}
		e.tun.learn(w, lvid, [6]byte(b.Data()[6:12]), t.VTEP, b.Len())
		if tr != nil {
			tr.Addf(p.element(), "classify", "vni %d from vtep %s -> local vlan %d", t.VNI, e.tun.vtepAddr(t.VTEP), lvid)
		}
	case p.trunk != nil:
		var ok bool
		if lvid, ok = p.trunk.Ingress(tagged, vid); !ok {
			e.drop(w, b, ReasonUnknownVLAN)
			return
		}
		if tr != nil {
			tr.Addf(p.element(), "classify", "%s -> local vlan %d", wireTag(tagged, vid), lvid)
		}
	case tagged && vid != 0:
		e.drop(w, b, ReasonTaggedOnAccess)
		return
	}
	if tagged {
		// The wire tag (or a VM's priority tag, VLAN id 0) goes.
		b.PopVLAN()
		untag(l)
		if isTag(l.EtherType) {
			e.drop(w, b, ReasonDoubleTagged)
			return
		}
	}
	b.Meta.LVID = lvid
	// A unicast to a router's MAC may be a routed flow the route cache
	// answers (routeFast, after the port's egress filter); other frames
	// of a VM port may be flows the VM flow cache answers.
	toRouter := len(e.routers) > 0 && e.toRouter(b)
	if e.vmKey != 0 && !toRouter && w.vmFast(e, b) {
		return
	}
	if e.fw != nil {
		e.filtered(w, b, lvid, toRouter)
		return
	}

	// A cached walk is a unicast to a router's MAC: never for a DHCP
	// port, nor under storm control.
	if toRouter && w.routeFast(e, b) {
		return
	}
	if e.intercepts || b.Data()[0]&1 != 0 {
		if e.special(w, b, lvid) {
			return
		}
	}
	if e.br != nil {
		e.toBridge(w, b, nil)
		return
	}
	w.rec.b = nil
	w.emit(e.out[portInToBridge], b)
}

// toBridge hands frame b to br-int, the common way out of a port: a
// direct call instead of emit's indirect one (the hop is counted all the
// same, and not taken back: nothing follows in this element). fl is the
// filters' flow cache entry of b's egress filtering, if any. The walk
// recorded for the route cache or the VM flow cache ends here.
func (e *portIn) toBridge(w *Worker, b *packet.Buffer, fl *sgFlow) {
	w.hops++
	e.br.forward(w, uint16(e.p.id), b, fl)
	if w.rec.b != nil {
		w.recEnd(b)
	}
	if w.vfc.rec.b == b {
		w.vfc.fill(w, e.br, fl, b)
	}
}

// toRouter reports whether b is for one of the router ports of the
// port's network.
func (e *portIn) toRouter(b *packet.Buffer) bool {
	dst := [6]byte(b.Data()[0:6])
	for _, m := range e.routers {
		if m == dst {
			return true
		}
	}
	return false
}

// special is the rest of ingress for frames that may not simply go to
// br-int: those a DHCP port may want, and broadcasts and multicasts (storm
// control). It reports whether it took care of the frame (sent it to a
// DHCP port, or dropped it). Kept out of receive, so that unicast between
// VMs runs through less code.
func (e *portIn) special(w *Worker, b *packet.Buffer, lvid uint16) bool {
	tr := b.Meta.Trace
	if e.dhcp != nil && e.dhcp.wants(b) {
		if tr != nil {
			tr.Add(e.p.element(), "intercept", "for the DHCP port, answered on this node")
		}
		w.emit(e.out[portInToDHCP], b)
		return true
	}
	for k, d := range e.uplinkDHCP {
		if d.lvid == lvid && [6]byte(b.Data()[0:6]) == d.mac {
			if tr != nil {
				tr.Add(e.p.element(), "intercept", "to the DHCP port's MAC, answered on this node")
			}
			w.emit(e.out[int(portInToDHCP)+k], b)
			return true
		}
	}
	if e.storm != nil && b.Data()[0]&1 != 0 && !e.stormAllows(w) {
		e.drop(w, b, ReasonStormControl)
		return true
	}
	return false
}

// drop counts a frame dropped on ingress, against the port too.
func (e *portIn) drop(w *Worker, b *packet.Buffer, r Reason) {
	if !w.dryRun {
		e.p.c.rxDrops.Add(1)
	}
	w.dropIn(e, StagePortIn, uint8(r), b)
}

// tooBig reports whether a frame is larger than the port's MTU allows: the
// frame itself, or for a super-frame, each of the segments it stands for
// (its headers plus the segment size the sender asked for).
func tooBig(p *port, b *packet.Buffer, tagged bool) bool {
	limit := p.maxFrame
	if tagged {
		limit += header.VLANTagLen
	}
	g := &b.Meta.GSO
	if !g.IsGSO() {
		return b.Len() > limit
	}
	l := &b.Meta.Layout
	return l.Flags&header.HasL4 != 0 && int(l.Payload)+int(g.Size) > limit
}

// untag moves a Layout's offsets back over the 4 bytes of a popped tag,
// so the frame is not parsed twice.
func untag(l *header.Layout) {
	l.Flags &^= header.Tagged
	l.TCI = 0
	l.L3 -= header.VLANTagLen
	if l.Flags&header.HasL4 != 0 {
		l.L4 -= header.VLANTagLen
		l.Payload -= header.VLANTagLen
	}
}

// isTag reports whether an EtherType is a VLAN tag's.
func isTag(t uint16) bool { return t == header.EtherTypeVLAN || t == header.EtherTypeQinQ }

// stormAllows takes a token for a broadcast or multicast frame; a dry run
// only looks.
func (e *portIn) stormAllows(w *Worker) bool {
	if w.dryRun {
		return e.storm.Tokens(w.now) > 0
	}
	return e.storm.Allow(w.now)
}
