package datapath

import (
	"fmt"
	"slices"

	l2switch "neutrino/switch"
)

// Slots: every port of br-int (a device port, a DHCP port, a router's qr-
// or qg- port) has a br-int port id, its slot, that it keeps as long as
// it exists, across reloads: the FDB, the per-port counters, the workers'
// output queues and the captures all name ports by slot, so a reload
// that leaves a port alone leaves all of them valid. A device port's slot
// is also its index in graph.ports. A slot freed by a reload is given
// again only by a later one, so within one reload no frame in flight on
// the old graph can reach a new port by an old slot.

// slotKey names what holds a slot.
func portSlotKey(name string) string           { return "port " + name }
func dhcpSlotKey(network string) string        { return "dhcp " + network }
func routerSlotKey(router, port string) string { return "router " + router + " " + port }

// slotKeys lists what in spec holds a slot, in the order slots are first
// given: the device ports, the DHCP ports, the routers' ports. A first
// build thus numbers them as the graph is laid out.
func slotKeys(spec *Spec) []string {
	var keys []string
	for _, ps := range spec.Ports {
		keys = append(keys, portSlotKey(ps.Name))
	}
	for _, nw := range spec.Networks {
		if nw.DHCP != nil {
			keys = append(keys, dhcpSlotKey(nw.Name))
		}
	}
	for _, r := range spec.Routers {
		for _, p := range r.Ports {
			keys = append(keys, routerSlotKey(r.Name, p.Name))
		}
	}
	return keys
}

// assignSlots gives each key a slot: the one it has in old, else the
// lowest that neither old nor another key holds.
func assignSlots(old map[string]l2switch.PortID, keys []string) (map[string]l2switch.PortID, error) {
	taken := make(map[l2switch.PortID]bool, len(old)+len(keys))
	for _, id := range old {
		taken[id] = true
	}
	slots := make(map[string]l2switch.PortID, len(keys))
	var fresh []string
	for _, k := range keys {
		if _, dup := slots[k]; dup {
			return nil, fmt.Errorf("%s appears twice", k)
		}
		if id, ok := old[k]; ok {
			slots[k] = id
			continue
		}
		slots[k] = 0
		fresh = append(fresh, k)
	}
	next := 0
	for _, k := range fresh {
		for next <= int(^l2switch.PortID(0)) && taken[l2switch.PortID(next)] {
			next++
		}
		if next > int(^l2switch.PortID(0)) {
			return nil, fmt.Errorf("too many ports on br-int (%d)", len(keys))
		}
		slots[k] = l2switch.PortID(next)
		taken[l2switch.PortID(next)] = true
	}
	return slots, nil
}

// slotCount is one more than the highest slot.
func slotCount(slots map[string]l2switch.PortID) int {
	n := 0
	for _, id := range slots {
		n = max(n, int(id)+1)
	}
	return n
}

// freedSlots lists the slots of old that slots no longer gives, sorted.
func freedSlots(old, slots map[string]l2switch.PortID) []l2switch.PortID {
	var l []l2switch.PortID
	for k, id := range old {
		if _, ok := slots[k]; !ok {
			l = append(l, id)
		}
	}
	slices.Sort(l)
	return l
}
