package datapath

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"neutrino/conntrack"
)

// Reload makes the node what spec says while traffic runs, as one step:
// a new graph is built beside the running one and swapped in. Ports whose
// device is unchanged keep it (its reader, its counters, its slot on
// br-int, its FDB entries: not a frame of theirs is lost); new ports'
// devices are opened first, removed ones closed once no frame can reach
// them. The connection table, the DHCP leases, the FDB and the routers'
// neighbours are kept, and what Neutron's agents do on each change is
// done: a removed or moved floating IP's connections are deleted (a moved
// one, or a new one, is announced by gratuitous ARP), connections a
// changed security group no longer allows are deleted, a removed port's
// leases are released and its zone's connections deleted.
//
// On an error (a device that won't open) nothing changed, but for a port
// whose device had to be made anew, which stays down. Reloads are
// serialized.
func (n *Node) Reload(spec *Spec) (*ReloadResult, error) {
	n.reloadMu.Lock()
	defer n.reloadMu.Unlock()
	start := time.Now()
	old := n.g.Load()
	if spec.Node != old.spec.Node {
		return nil, fmt.Errorf("the topology's node is %s, this node is %s: start a node of its own for it", spec.Node, old.spec.Node)
	}
	if n.stopped {
		return nil, errors.New("the node has stopped")
	}
	spec.keepZones(old.spec)
	spec.keepRuleSets(old.spec)
	slots, err := assignSlots(n.slots, slotKeys(spec))
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", spec.Node, err)
	}
	res := &ReloadResult{}
	diffSpecs(res, old.spec, spec)

	oldPorts := map[string]*port{}
	for _, p := range old.ports {
		if p != nil {
			oldPorts[p.spec.Name] = p
		}
	}
	ports := make([]*port, slotCount(slots))
	var opened, gone, early []*port
	keep := map[*device]bool{}
	fail := func(err error) (*ReloadResult, error) {
		for _, p := range opened {
			err = errors.Join(err, p.close())
		}
		return nil, err
	}
	// Devices made anew whose name is taken by the old one (a TAP
	// device, a namespace) go first.
	for _, ps := range spec.Ports {
		if op := oldPorts[ps.Name]; op != nil && !sameDevice(op.spec, ps) && op.spec.Device == ps.Device {
			op.down.Store(true)
			if err := op.close(); err != nil {
				n.log.Warn("reload: closing a port's device to make it anew", "port", ps.Name, "err", err)
			}
			early = append(early, op)
		}
	}
	for _, ps := range spec.Ports {
		id := slots[portSlotKey(ps.Name)]
		if op := oldPorts[ps.Name]; op != nil && sameDevice(op.spec, ps) {
			p, err := newPort(op.device, id, ps)
			if err != nil {
				return fail(err)
			}
			ports[id] = p
			keep[op.device] = true
			continue
		}
		p, err := n.openPort(spec, ps, id)
		if err != nil {
			return fail(fmt.Errorf("reload: %w", err))
		}
		ports[id] = p
		opened = append(opened, p)
	}
	g, membership, err := n.buildGraph(spec, ports, slots, old)
	if err != nil {
		return fail(err)
	}
	n.setLimits(g)
	for _, p := range old.ports {
		if p != nil && !keep[p.device] {
			gone = append(gone, p)
		}
	}
	// The new graph first, then the membership: until both are in,
	// frames of the old one may meet new slots (br-int drops them) and
	// the new one's br-int may meet removed ones (its sink drops them).
	n.g.Store(g)
	if err := n.sw.SetMembership(membership); err != nil {
		n.log.Error("reload: br-int membership", "err", err) // validated by the spec; not expected
	}
	before := n.slots
	n.slots = slots
	n.quiesce(old)
	for _, p := range gone {
		if !p.closedBy(early) {
			if err := p.close(); err != nil {
				n.log.Warn("reload: closing a removed port's device", "port", p.spec.Name, "err", err)
			}
		}
		n.sw.FlushPort(p.id)
	}
	freed := freedSlots(before, slots)
	for _, id := range freed {
		n.sw.FlushPort(id)
	}
	n.endCaptures(freed)
	if n.running != nil {
		for _, p := range opened {
			n.startReader(p)
		}
	}
	if spec.ConntrackMax != old.spec.ConntrackMax {
		// nf_conntrack_max changed: the bound moves at once; connections
		// over a lowered one stay until they end.
		n.ct.SetMaxEntries(spec.ConntrackMax)
		res.ConntrackMax = fmt.Sprintf("%d -> %d", maxOrDefault(old.spec.ConntrackMax), maxOrDefault(spec.ConntrackMax))
	}
	n.settleState(res, old, g)
	res.Took = time.Since(start)
	res.TookMS = float64(res.Took.Microseconds()) / 1000
	n.log.Info("reloaded", "changes", res.Summary(), "took", res.Took)
	return res, nil
}

// maxOrDefault is a conntrack_max as the table applies it.
func maxOrDefault(n int) int {
	if n <= 0 {
		return conntrack.DefaultMaxEntries
	}
	return n
}

// closedBy reports whether p is one of l.
func (p *port) closedBy(l []*port) bool {
	for _, q := range l {
		if q == p {
			return true
		}
	}
	return false
}

// sameDevice reports whether a port described by b can go on with the
// device opened for a: the same kind of device, name, address, MTU and
// namespace, the same underlay socket and remote VTEPs.
func sameDevice(a, b PortSpec) bool {
	if a.Kind != b.Kind || a.Attach != b.Attach || a.Device != b.Device || !bytes.Equal(a.MAC, b.MAC) || a.MTU != b.MTU {
		return false
	}
	if !reflect.DeepEqual(a.Netns, b.Netns) {
		return false
	}
	if a.Tunnel != nil && b.Tunnel != nil {
		// The endpoint numbers the remote VTEPs as it was given them.
		return a.Tunnel.Local == b.Tunnel.Local && a.Tunnel.Port == b.Tunnel.Port && slices.Equal(a.Tunnel.VTEPs, b.Tunnel.VTEPs)
	}
	return (a.Tunnel == nil) == (b.Tunnel == nil)
}

// quiesce waits until no worker runs a batch it began on graph old (at
// most a second: a worker stuck that long is reported and not waited
// for).
func (n *Node) quiesce(old *graph) {
	n.workersMu.Lock()
	workers := append([]*Worker(nil), n.workers...)
	n.workersMu.Unlock()
	deadline := time.Now().Add(time.Second)
	for _, w := range workers {
		s := w.seq.Load()
		if s%2 == 0 {
			continue // between batches: its next begins on the new graph
		}
		for w.seq.Load() == s {
			if time.Now().After(deadline) {
				n.log.Warn("reload: a worker is still in a batch of the old graph after 1 s; going on")
				return
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
}
