package datapath

import (
	"neutrino/internal/ratelimit"
	"neutrino/packet"
	l2switch "neutrino/switch"
)

// buildGraph wires the node's elements for spec: br-int, a portIn per
// device port, a DHCP port per network that has one, a router per
// topology router, and returns the graph with br-int's membership. Every
// br-int port is named by its slot (slots, see slotKeys); ports[i] is the
// device port of slot i. old, when set, is the graph being replaced: the
// elements that stay take over its elements' state (a router's
// neighbours, a filter's counters, a DHCP server) where their spec is
// unchanged.
//
//	br-int output s (a device's slot) -> device s's output queue
//	br-int output s (a DHCP port's)   -> the DHCP port
//	br-int output s (a router port's) -> that port of the router
//	router output j                    -> br-int input of its port j's slot
//	portIn s output 0                  -> br-int input s
//	portIn s output 1 (VM ports)       -> the DHCP port of s's network
//	portIn s output 1+k (uplinks)      -> the DHCP port of the k-th network it carries that has one
//	DHCP port output s                 -> device s's output queue
//	br-int output t (the tunnel)       -> br-tun, whose output 0 is device
//	                                      t's queue (VXLAN), output 1 br-int
//	                                      input t (ARP responder replies)
//	br-int output of a free slot       -> a sink that drops (a port a
//	                                      reload removed, its FDB entries
//	                                      not yet flushed)
//
// A VM port with security groups gets a filter: portIn s calls its egress
// side before anything else, and every wire above that leads to device
// s's output queue leads to the filter's ingress side instead, whose
// output 0 is the queue.
func (n *Node) buildGraph(spec *Spec, ports []*port, slots map[string]l2switch.PortID, old *graph) (*graph, l2switch.Membership, error) {
	nslots := slotCount(slots)
	g := &graph{spec: spec, ports: ports, filters: make([]*sgFilter, len(ports))}
	add := func(e element, out []target) {
		g.elems = append(g.elems, e)
		g.wires = append(g.wires, out)
	}
	membership := make(l2switch.Membership, nslots)
	// Frames for a port with security groups go through its filter
	// (br-int's, the DHCP ports' and the routers' alike); the others
	// straight to the device's queue.
	sink := removedSink{}
	devices := make([]target, len(ports))
	filters := g.filters
	for i, p := range ports {
		if p == nil {
			devices[i] = target{elem: sink}
			continue
		}
		devices[i] = deviceTarget(i)
		membership[p.id] = p.vlans()
		if p.spec.Kind == PortVM && p.spec.Security != nil {
			var was *sgFilter
			if old != nil && int(p.id) < len(old.filters) {
				was = old.filters[p.id]
			}
			filters[i] = newFilter(n, p, was)
			devices[i] = target{elem: filters[i]}
		}
	}
	br := &bridge{n: n, out: make([]target, nslots)}
	for i := range br.out {
		br.out[i] = target{elem: sink}
	}
	copy(br.out, devices)
	// br-tun sits between br-int and the tunnel port, both ways.
	var tun *brtun
	for i, p := range ports {
		if p != nil && p.spec.Kind == PortTunnel && p.spec.Tunnel != nil {
			var was *brtun
			if old != nil {
				was = old.brtun
			}
			tun = n.newBrtun(i, p.spec.Tunnel, br, was)
			devices[i] = target{elem: tun}
			br.out[i] = devices[i]
		}
	}
	g.brtun = tun

	dhcpOf := map[uint16]*dhcpPort{} // by lvid
	var dhcps []*dhcpPort
	for i := range spec.Networks {
		nw := &spec.Networks[i]
		if nw.DHCP == nil {
			continue
		}
		e := &dhcpPort{network: nw.Name, lvid: nw.LVID, mac: [6]byte(nw.DHCP.MAC), out: devices, spec: nw.DHCP}
		for _, ip := range nw.DHCP.IPs {
			e.ips = append(e.ips, ip.As4())
		}
		if err := e.adopt(n, old.dhcpPort(nw.Name)); err != nil {
			return nil, nil, err
		}
		slot := slots[dhcpSlotKey(nw.Name)]
		membership[slot] = []uint16{nw.LVID}
		br.out[slot] = target{elem: e}
		dhcpOf[nw.LVID] = e
		dhcps = append(dhcps, e)
	}
	for i := range spec.Routers {
		rs := &spec.Routers[i]
		bports := make([]l2switch.PortID, len(rs.Ports))
		for k, ps := range rs.Ports {
			bports[k] = slots[routerSlotKey(rs.Name, ps.Name)]
		}
		e, err := n.newRouter(rs, bports, n.ct, br, old.router(rs.Name))
		if err != nil {
			return nil, nil, err
		}
		for k, ps := range rs.Ports {
			membership[bports[k]] = []uint16{ps.LVID}
			br.out[bports[k]] = target{elem: e, port: uint16(k)}
		}
		g.routers = append(g.routers, e)
	}
	add(br, br.out)
	for _, e := range dhcps {
		add(e, e.out)
	}
	for _, e := range g.routers {
		add(e, e.out)
	}
	for i, f := range filters {
		if f != nil {
			add(f, []target{deviceTarget(i)})
		}
	}
	if tun != nil {
		add(tun, []target{deviceTarget(tun.dev), {elem: br, port: uint16(tun.dev)}})
	}
	add(sink, nil)
	g.entry = make([]*portIn, len(ports))
	for i, p := range ports {
		if p == nil {
			continue
		}
		e := &portIn{p: p, out: []target{{elem: br, port: uint16(i)}}, fw: filters[i]}
		if n.stormOn {
			e.storm = new(ratelimit.Bucket)
			*e.storm = n.storm
			if old != nil && int(p.id) < len(old.entry) && old.entry[p.id] != nil && old.entry[p.id].storm != nil {
				e.storm = old.entry[p.id].storm // the same port goes on with its tokens
			}
		}
		if p.trunk == nil {
			e.dhcp = dhcpOf[p.spec.LVID]
			if e.dhcp != nil {
				e.out = append(e.out, target{elem: e.dhcp})
			}
		} else {
			for _, lvid := range membership[p.id] {
				if d := dhcpOf[lvid]; d != nil {
					e.uplinkDHCP = append(e.uplinkDHCP, d)
					e.out = append(e.out, target{elem: d})
				}
			}
		}
		if p.spec.Kind == PortTunnel {
			e.tun = tun
		}
		e.intercepts = e.dhcp != nil || len(e.uplinkDHCP) > 0
		if p.spec.Kind == PortVM && p.trunk == nil {
			for _, r := range g.routers {
				for k := range r.ports {
					if r.ports[k].lvid == p.spec.LVID {
						e.routers = append(e.routers, r.ports[k].mac)
					}
				}
			}
		}
		e.br, _ = e.out[portInToBridge].elem.(*bridge)
		if p.spec.Kind == PortVM && p.trunk == nil && e.tun == nil && e.br != nil && len(e.uplinkDHCP) == 0 {
			e.vmKey = (uint64(p.id) + 1) << 40
		}
		add(e, e.out)
		g.entry[i] = e
	}
	return g, membership, nil
}

// removedSink is where br-int sends frames for a free slot: a port a
// reload removed, whose FDB entries go when no frame of the old graph is
// left in flight. They are dropped and counted.
type removedSink struct{}

func (removedSink) name() string { return "br-int" }

func (s removedSink) receive(w *Worker, _ uint16, b *packet.Buffer) {
	w.dropIn(s, StageGraph, uint8(ReasonPortRemoved), b)
}

// Process runs a batch of frames read from device port in to completion,
// using the worker's queues, and returns when every frame has been
// written or dropped. The buffers stay the caller's.
func (n *Node) Process(w *Worker, in int, bufs []*packet.Buffer) {
	w.begin(n.g.Load())
	defer w.end()
	if in >= len(w.g.entry) || w.g.entry[in] == nil {
		// A reload removed the port; its reader stops at the next read.
		for _, b := range bufs {
			w.dropIn(removedSink{}, StageGraph, uint8(ReasonPortRemoved), b)
		}
		return
	}
	p := w.g.ports[in]
	w.now = n.clock.Now()
	if w.capt = n.captures.Load(); w.capt != nil && !w.dryRun {
		if cs := w.capt.dev[in]; cs != nil {
			for _, b := range bufs {
				record(cs, b, w.now, false)
			}
		}
	}
	w.cacheOK = !w.dryRun && w.capt == nil && !n.noRouteCache
	w.vfc.ok = !w.dryRun && w.capt == nil
	entry := w.g.entry[in]
	var bytes uint64
	w.ctAhead.Reset()
	w.run = bufs
	for i, b := range bufs {
		bytes += uint64(b.Len())
		w.at = i
		// The first hop is a direct call: every frame starts at its
		// port's ingress.
		w.hops = 1
		entry.receive(w, 0, b)
	}
	w.run = nil
	if !w.dryRun {
		p.c.rxFrames.Add(uint64(len(bufs)))
		p.c.rxBytes.Add(bytes)
	}
	w.flush()
}
