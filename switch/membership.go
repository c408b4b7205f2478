package l2switch

import (
	"fmt"
	"slices"
)

// Membership says which lvids each port carries: one for an access port (a
// VM's tap, a router or DHCP port), several for a trunk (the patch to br-tun,
// a physical bridge's uplink).
type Membership map[PortID][]uint16

// floodLists is the immutable snapshot behind FloodPorts: byLVID[lvid] is
// the sorted list of the lvid's member ports.
type floodLists struct {
	byLVID [][]PortID
}

// SetMembership replaces the whole membership. The new flood lists are built
// beside the old ones and swapped in atomically; m is not kept. Entries
// learned on a port for an lvid it no longer carries are forgotten, so a
// port that leaves a network stops receiving its unicast frames at once.
//
// It returns an error wrapping ErrBadVLAN, and changes nothing, when an lvid
// is outside 1..MaxLVID.
func (s *Switch) SetMembership(m Membership) error {
	top := uint16(0)
	maxPort := -1
	for p, lvids := range m {
		for _, l := range lvids {
			if l == 0 || l > MaxLVID {
				return fmt.Errorf("%w: port %d carries lvid %d", ErrBadVLAN, p, l)
			}
			top = max(top, l)
		}
		maxPort = max(maxPort, int(p))
	}

	fl := &floodLists{byLVID: make([][]PortID, int(top)+1)}
	member := make(map[uint64]bool)
	for p, lvids := range m {
		for _, l := range lvids {
			k := uint64(l)<<16 | uint64(p)
			if member[k] {
				continue // listed twice
			}
			member[k] = true
			fl.byLVID[l] = append(fl.byLVID[l], p)
		}
	}
	for _, ports := range fl.byLVID {
		slices.Sort(ports)
	}
	if maxPort >= 0 {
		s.port(PortID(maxPort)) // members show in Stats from the start
	}
	s.flood.Store(fl)

	s.removeAll(func(k, v uint64) bool {
		return !member[k>>48<<16|uint64(valPort(v))]
	}, false)
	return nil
}

// FloodPorts returns the ports carrying lvid, sorted, ingress port included
// (the caller skips it). The slice belongs to the current snapshot: read it,
// never modify it. It allocates nothing.
func (s *Switch) FloodPorts(lvid uint16) []PortID {
	fl := s.flood.Load()
	if int(lvid) >= len(fl.byLVID) {
		return nil
	}
	return fl.byLVID[lvid]
}
