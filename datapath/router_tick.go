package datapath

import "neutrino/router"

// routerTimers is what the routers' timers keep between ticks: how many
// ticks sent gratuitous ARP, and scratch slices.
type routerTimers struct {
	garp    int
	reqs    []router.Request
	dropped []*heldFrame
}

// routerTick runs the routers' timers once at now on worker w (which no
// other goroutine uses): gratuitous ARP at start, the neighbour caches'
// requests and failures, the expiry of incomplete datagrams and of
// connections; what they send is written before it returns.
func (n *Node) routerTick(w *Worker, rt *routerTimers, now int64) {
	w.begin(n.g.Load())
	defer w.end()
	w.now = now
	announced := false
	for _, e := range w.g.routers {
		if e.garpSent >= garpRounds {
			continue
		}
		if e.garpSent == 0 {
			e.garpAt = now
		}
		if now-e.garpAt >= int64(e.garpSent)*int64(garpInterval) {
			e.announce(w)
			e.garpSent++
			announced = true
		}
	}
	if announced {
		rt.garp++
	}
	for _, e := range w.g.routers {
		rt.reqs, rt.dropped = e.neigh.Tick(now, rt.reqs[:0], rt.dropped[:0])
		for _, r := range rt.reqs {
			w.hops = 1
			e.sendARPRequest(w, r.Iface, r.IP, r.MAC)
		}
		for i, h := range rt.dropped {
			w.hops = 1
			e.unreachable(w, h)
			rt.dropped[i] = nil
		}
		if k := e.frags.Expire(now); k > 0 {
			// Datagrams never completed: their fragments, held since
			// they came, are dropped now.
			w.drops[StageRouter][RouterFragment].add(uint64(k))
		}
	}
	n.ct.Expire(now, conntrackExpireBudget)
	w.flush()
}
