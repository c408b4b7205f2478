package datapath

import (
	"net"
	"time"

	"neutrino/dhcp"
)

// LeaseEntry is one DHCP lease for `neutrino show leases`.
type LeaseEntry struct {
	MAC      string    `json:"mac"`
	IP       string    `json:"ip"`
	Hostname string    `json:"hostname,omitempty"`
	Subnet   string    `json:"subnet"`
	Port     string    `json:"port,omitempty"`
	Expires  time.Time `json:"expires"` // the zero time for an infinite lease
	Static   bool      `json:"static"`  // a port's fixed IP (else a pool address)
}

// Leases lists the DHCP leases that have not expired, like dnsmasq's lease
// file, sorted by subnet and address.
func (n *Node) Leases() []LeaseEntry {
	list := n.leases.List(n.clock.Now())
	out := make([]LeaseEntry, 0, len(list))
	for _, l := range list {
		out = append(out, leaseEntry(l))
	}
	return out
}

// EachLease yields the leases one at a time, in no particular order,
// without building the whole list: what `neutrino show leases` streams.
func (n *Node) EachLease(yield func(LeaseEntry) bool) {
	n.leases.Each(n.clock.Now(), func(l dhcp.LeaseInfo) bool { return yield(leaseEntry(l)) })
}

func leaseEntry(l dhcp.LeaseInfo) LeaseEntry {
	e := LeaseEntry{
		MAC: net.HardwareAddr(l.MAC[:]).String(), IP: l.IP.String(), Hostname: l.Hostname,
		Subnet: l.Subnet, Port: l.Port, Static: l.Static,
	}
	if l.Expires != dhcp.Never {
		e.Expires = time.Unix(0, l.Expires).UTC()
	}
	return e
}
