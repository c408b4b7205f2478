package datapath

import (
	"neutrino/dhcp"
	"neutrino/internal/ratelimit"
	"neutrino/packet"
	l2switch "neutrino/switch"
)

// buildGraph wires the node's elements: br-int, a portIn per device port,
// a DHCP port per network that has one, a router per topology router. It
// adds the DHCP ports, then the routers' qr- and qg- ports, to membership
// as br-int ports after the devices'.
//
//	br-int output i (i < devices)   -> device i's output queue
//	br-int output devices+k         -> DHCP port k
//	portIn i output 0               -> br-int input i
//	br-int output devices+d+j       -> port j of a router (d: DHCP ports)
//	router output j                  -> br-int input devices+d+j (its port j)
//	portIn i output 1 (VM ports)    -> the DHCP port of i's network
//	portIn i output 1+k (uplinks)   -> the DHCP port of the k-th network it carries that has one
//	DHCP port output i              -> device i's output queue
//	br-int output t (the tunnel)    -> br-tun, whose output 0 is device
//	                                   t's queue (VXLAN), output 1 br-int
//	                                   input t (ARP responder replies)
//
// A VM port with security groups gets a filter: portIn i calls its egress
// side before anything else, and every wire above that leads to device
// i's output queue leads to the filter's ingress side instead, whose
// output 0 is the queue.
func (n *Node) buildGraph(membership l2switch.Membership, storm ratelimit.Bucket, stormOn bool) (*graph, error) {
	g := &graph{filters: make([]*sgFilter, len(n.ports))}
	add := func(e element, out []target) {
		g.elems = append(g.elems, e)
		g.wires = append(g.wires, out)
	}
	// Frames for a port with security groups go through its filter
	// (br-int's, the DHCP ports' and the routers' alike); the others
	// straight to the device's queue.
	devices := make([]target, len(n.ports))
	filters := g.filters
	for i, p := range n.ports {
		devices[i] = deviceTarget(i)
		if p.spec.Kind == PortVM && p.spec.Security != nil {
			filters[i] = newFilter(n, p)
			devices[i] = target{elem: filters[i]}
		}
	}
	br := &bridge{n: n, out: devices}
	// br-tun sits between br-int and the tunnel port, both ways.
	var tun *brtun
	for i, p := range n.ports {
		if p.spec.Kind == PortTunnel && p.spec.Tunnel != nil {
			tun = n.newBrtun(i, p.spec.Tunnel, br)
			devices[i] = target{elem: tun}
		}
	}
	g.brtun = tun

	dhcpOf := map[uint16]*dhcpPort{} // by lvid
	var dhcps []*dhcpPort
	for _, nw := range n.spec.Networks {
		if nw.DHCP == nil {
			continue
		}
		e := &dhcpPort{network: nw.Name, lvid: nw.LVID, mac: [6]byte(nw.DHCP.MAC), out: devices}
		for _, ip := range nw.DHCP.IPs {
			e.ips = append(e.ips, ip.As4())
		}
		if cfg := nw.DHCP.Server; cfg != nil {
			srv, err := dhcp.New(*cfg, n.leases)
			if err != nil {
				return nil, err
			}
			e.server = srv
		}
		membership[l2switch.PortID(len(br.out))] = []uint16{nw.LVID}
		br.out = append(br.out[:len(br.out):len(br.out)], target{elem: e})
		dhcpOf[nw.LVID] = e
		dhcps = append(dhcps, e)
	}
	for i := range n.spec.Routers {
		rs := &n.spec.Routers[i]
		first := l2switch.PortID(len(br.out))
		e, err := n.newRouter(rs, first, n.ct, br)
		if err != nil {
			return nil, err
		}
		for k, ps := range rs.Ports {
			membership[first+l2switch.PortID(k)] = []uint16{ps.LVID}
			br.out = append(br.out[:len(br.out):len(br.out)], target{elem: e, port: uint16(k)})
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
	for i, p := range n.ports {
		e := &portIn{p: p, out: []target{{elem: br, port: uint16(i)}}, fw: filters[i]}
		if stormOn {
			e.storm = new(ratelimit.Bucket)
			*e.storm = storm
		}
		if p.trunk == nil {
			e.dhcp = dhcpOf[p.spec.LVID]
			if e.dhcp != nil {
				e.out = append(e.out, target{elem: e.dhcp})
			}
		} else {
			for _, lvid := range membership[l2switch.PortID(i)] {
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
		e.br, _ = e.out[portInToBridge].elem.(*bridge)
		add(e, e.out)
		g.entry = append(g.entry, e)
	}
	return g, nil
}

// Process runs a batch of frames read from device port in to completion,
// using the worker's queues, and returns when every frame has been
// written or dropped. The buffers stay the caller's.
func (n *Node) Process(w *Worker, in int, bufs []*packet.Buffer) {
	p := n.ports[in]
	w.g = n.g.Load()
	w.now = n.clock.Now()
	if w.capt = n.captures.Load(); w.capt != nil && !w.dryRun {
		if cs := w.capt.dev[in]; cs != nil {
			for _, b := range bufs {
				record(cs, b, w.now, false)
			}
		}
	}
	entry := w.g.entry[in]
	var bytes uint64
	for _, b := range bufs {
		bytes += uint64(b.Len())
		// The first hop is a direct call: every frame starts at its
		// port's ingress.
		w.hops = 1
		entry.receive(w, 0, b)
	}
	if !w.dryRun {
		p.c.rxFrames.Add(uint64(len(bufs)))
		p.c.rxBytes.Add(bytes)
	}
	w.flush()
}
