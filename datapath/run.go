package datapath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"neutrino/link"
	"neutrino/packet"
)

// Run reads every port until ctx is done, then closes the endpoints (the
// TAP devices the node created go away) and returns.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	n.reloadMu.Lock()
	n.running = &runState{ctx: ctx, wg: &wg}
	for _, p := range n.ports() {
		n.startReader(p)
	}
	n.reloadMu.Unlock()
	wg.Add(2)
	go func() {
		defer wg.Done()
		n.ageLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		n.routerLoop(ctx)
	}()
	<-ctx.Done()
	n.reloadMu.Lock() // a reload in progress ends first; none starts after
	err := n.Close()
	n.stopped = true
	n.reloadMu.Unlock()
	wg.Wait()
	// The last changes, and a compact file for the next start.
	if ferr := n.leases.Compact(); ferr != nil {
		err = errors.Join(err, fmt.Errorf("DHCP leases: %w", ferr))
	}
	return err
}

// runState is what Run gives the readers it starts, and a reload the
// readers of the ports it adds.
type runState struct {
	ctx context.Context
	wg  *sync.WaitGroup
}

// startReader starts p's reader; n.reloadMu is held, n.running set.
func (n *Node) startReader(p *port) {
	r := n.running
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		n.readLoop(r.ctx, p)
	}()
}

// readLoop is one port's reader: batches in, run to completion.
func (n *Node) readLoop(ctx context.Context, p *port) {
	w := n.NewWorker(n.batch)
	bufs := make([]*packet.Buffer, n.batch)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
	}
	failures := 0
	for {
		k, err := p.ep.ReadBatch(bufs)
		if k > 0 {
			n.Process(w, int(p.id), bufs[:k])
			failures = 0
		}
		if err == nil {
			continue
		}
		switch {
		case ctx.Err() != nil, errors.Is(err, link.ErrClosed), errors.Is(err, io.EOF):
			return
		case errors.Is(err, link.ErrDeviceGone):
			n.portGone(p, err)
			return
		}
		// Anything else is unexpected: report the first, back off, and
		// give up on the port when it keeps failing.
		failures++
		if failures == 1 {
			n.log.Warn("read failed", "port", p.spec.Name, "device", p.spec.Device, "err", err)
		}
		if failures >= 100 {
			n.portGone(p, err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// portGone marks a port down and reports it, once.
func (n *Node) portGone(p *port, err error) {
	if p.down.Swap(true) {
		return
	}
	n.sw.FlushPort(p.id)
	n.log.Error("port stopped: its device is gone; the other ports go on",
		"port", p.spec.Name, "device", p.spec.Device, "err", err)
}

// leaseFlushInterval is how often changed DHCP leases are written: a burst
// of thousands of leases a second costs a few writes.
const leaseFlushInterval = 200 * time.Millisecond

// ageLoop expires FDB entries and DHCP leases in the background (lookups
// already ignore expired ones, this only reclaims them) and writes changed
// leases to the state directory.
func (n *Node) ageLoop(ctx context.Context) {
	t := time.NewTicker(leaseFlushInterval)
	defer t.Stop()
	flushFailed := false
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.leases.Flush(); err != nil && !flushFailed {
			n.log.Error("DHCP leases could not be written; retrying", "err", err)
			flushFailed = true
		} else if err == nil {
			flushFailed = false
		}
		if i%5 == 0 {
			now := n.clock.Now()
			n.sw.Expire(now)
			n.leases.Expire(now)
		}
	}
}
