package datapath

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"neutrino/flow"
	"neutrino/packet"
)

// Trace runs a synthetic frame, described in Open vSwitch's flow syntax,
// into port of the running node as a dry run, and returns its path in
// Neutron's words: every element's decision, nothing delivered, nothing
// learned, no counter or connection changed. What the description leaves
// out comes from the port: its MAC and first IPv4 address as the source,
// and as the destination MAC the owner of nw_dst on the port's network
// (a port of this node, a router interface, a port of another node by
// L2 population) or else its router's interface (the gateway).
func (n *Node) Trace(port, desc string) (string, error) { return n.trace(port, desc, false) }

// TraceReply is Trace, then the trace of the reply (as ofproto/trace's
// --ct-next): the frame the host the traced frame reached would send
// back, run into the port it was delivered to, with the connections the
// traced frame would have made (and their NAT) seen by the reply's
// conntrack, and by nothing else. When the frame reaches no single host
// (dropped, answered by the node, flooded) the second part says so.
func (n *Node) TraceReply(port, desc string) (string, error) { return n.trace(port, desc, true) }

func (n *Node) trace(port, desc string, reply bool) (string, error) {
	idx, frame, err := n.traceInput(port, desc)
	if err != nil {
		return "", err
	}
	n.traceMu.Lock()
	defer n.traceMu.Unlock()
	if n.tracer == nil {
		n.tracer = n.NewWorker(1)
		n.tracer.SetDryRun(true)
	}
	w := n.tracer
	w.trace = &traceRun{ct: n.ct.NewOverlay()}
	defer func() { w.trace = nil }()
	ps := n.g.Load().ports[idx].spec
	tr := n.traceRun(w, idx, frame, packet.Tunnel{})
	out := fmt.Sprintf("%s at %s: %s\n%s", ps.Name, ps.Kind, frameSummary(frame), tr.String())
	if reply {
		out += "\n" + n.traceReply(w, tr)
	}
	return out, nil
}

// traceInput finds the port a trace starts at (by name or device) and
// builds the frame desc describes.
func (n *Node) traceInput(port, desc string) (int, []byte, error) {
	idx, ok := n.PortIndex(port)
	if !ok {
		for _, p := range n.ports() {
			if p.spec.Device == port {
				idx, ok = int(p.id), true
			}
		}
	}
	if !ok {
		return 0, nil, fmt.Errorf("no port %q on node %s (ports: %s)", port, n.node, strings.Join(n.portNames(false), ", "))
	}
	f, err := flow.Parse(desc)
	if err != nil {
		return 0, nil, err
	}
	ps := n.g.Load().ports[idx].spec
	var srcIP netip.Addr
	if len(ps.IPs) > 0 {
		srcIP = ps.IPs[0]
	}
	if ps.Kind != PortVM && (f.DlSrc == nil || (!f.NwSrc.IsValid() && f.Proto != "arp")) {
		return 0, nil, fmt.Errorf("a frame from %s %s needs dl_src and nw_src: the node does not know its hosts", ps.Kind, ps.Name)
	}
	f.Defaults(ps.MAC, srcIP, func(dst netip.Addr) net.HardwareAddr { return n.macOf(ps.LVID, dst) })
	frame, err := f.Frame()
	if err != nil {
		return 0, nil, err
	}
	return idx, frame, nil
}

// traceRun runs frame, marked for tracing, into device port idx on the
// dry-run worker w (from VXLAN tunnel tun, for the tunnel port) and
// returns its trace.
func (n *Node) traceRun(w *Worker, idx int, frame []byte, tun packet.Tunnel) *packet.Trace {
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(frame)
	b.Meta.Tunnel = tun
	var tr packet.Trace
	b.Meta.Trace = &tr
	n.Process(w, idx, []*packet.Buffer{b})
	return &tr
}

// macOf returns the MAC that a host on local VLAN lvid sends to for
// dst: the owner of dst on the network, else the network's router
// interface, else broadcast.
func (n *Node) macOf(lvid uint16, dst netip.Addr) net.HardwareAddr {
	for _, p := range n.ports() {
		if p.spec.LVID == lvid && p.spec.Kind == PortVM {
			for _, ip := range p.spec.IPs {
				if ip == dst {
					return p.spec.MAC
				}
			}
		}
	}
	var gw net.HardwareAddr
	for _, r := range n.Spec().Routers {
		for _, rp := range r.Ports {
			if rp.LVID != lvid {
				continue
			}
			if rp.Addr.Addr() == dst {
				return rp.MAC
			}
			if gw == nil && !rp.Gateway {
				gw = rp.MAC
			}
		}
	}
	for _, p := range n.ports() {
		if t := p.spec.Tunnel; t != nil {
			for _, tn := range t.Networks {
				if tn.LVID != lvid {
					continue
				}
				for _, a := range tn.ARP {
					if a.IP == dst {
						return a.MAC
					}
				}
			}
		}
	}
	if gw != nil {
		return gw
	}
	return net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
}
