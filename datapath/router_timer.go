package datapath

import (
	"context"
	"time"
)

// routerTick is how often the routers' timers run: neighbour requests and
// their retries (every second by default), failed resolutions, the
// expiry of connections and of incomplete datagrams.
const routerTick = 100 * time.Millisecond

// Gratuitous ARP at start, as the L3 agent's arping: for each qr- address,
// the gateway IP and each floating IP, garpRounds rounds garpInterval
// apart, each an unsolicited request (arping -U) and reply (arping -A).
const (
	garpRounds   = 3
	garpInterval = time.Second
)

// conntrackExpireBudget is how many table slots one tick looks at for
// expired connections: the whole default table in about 10 s.
const conntrackExpireBudget = 4096

// routerLoop runs the routers' timers until ctx is done, on a worker of
// its own: what they send goes out as any batch's frames do.
func (n *Node) routerLoop(ctx context.Context) {
	w := n.NewWorker(n.batch)
	t := time.NewTicker(routerTick)
	defer t.Stop()
	rt := &routerTimers{}
	for {
		n.routerTick(w, rt, n.clock.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// announce sends one round of gratuitous ARP for every address the router
// answers for.
func (e *routerElem) announce(w *Worker) {
	for i := range e.ports {
		p := &e.ports[i]
		addrs := [][4]byte{p.ip}
		if p.gateway {
			for _, f := range e.spec.FloatingIPs {
				addrs = append(addrs, f.Address.As4())
			}
		}
		for _, ip := range addrs {
			if e.garpOnly != nil && !e.garpOnly[ip] {
				continue
			}
			for _, reply := range []bool{false, true} {
				if len(w.held) >= poolBuffers-4 {
					w.flush() // a router with many floating IPs: send what is made, free the pool
				}
				w.hops = 1
				e.sendGratuitous(w, i, ip, reply)
			}
		}
	}
}
