package datapath

import (
	"fmt"
	"maps"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"time"
)

// ReloadResult says what a reload changed, in the topology's names.
type ReloadResult struct {
	PortsAdded      []string `json:"ports_added,omitempty"`
	PortsRemoved    []string `json:"ports_removed,omitempty"`
	PortsChanged    []string `json:"ports_changed,omitempty"` // "vm1 (security groups)"
	NetworksAdded   []string `json:"networks_added,omitempty"`
	NetworksRemoved []string `json:"networks_removed,omitempty"`
	RoutersAdded    []string `json:"routers_added,omitempty"`
	RoutersRemoved  []string `json:"routers_removed,omitempty"`
	RoutersChanged  []string `json:"routers_changed,omitempty"`
	// Floating IPs: "203.0.113.5 -> 10.0.0.11", moved: "203.0.113.5 -> 10.0.0.12 (was 10.0.0.11)".
	FloatingIPsAdded   []string `json:"floating_ips_added,omitempty"`
	FloatingIPsRemoved []string `json:"floating_ips_removed,omitempty"`
	FloatingIPsMoved   []string `json:"floating_ips_moved,omitempty"`
	// ConntrackMax is the node's connection bound when it changed:
	// "262144 -> 100000".
	ConntrackMax string `json:"conntrack_max,omitempty"`
	// What state the changes ended: connections deleted (by cause) and
	// DHCP leases released.
	ConntrackDeleted map[string]int `json:"conntrack_deleted,omitempty"`
	LeasesReleased   int            `json:"leases_released,omitempty"`
	Unchanged        int            `json:"ports_unchanged"`
	Took             time.Duration  `json:"-"`
	TookMS           float64        `json:"took_ms"`
}

// ReloadChange is one kind of change a reload made, and what it made it
// to (names, or "address -> fixed" for floating IPs).
type ReloadChange struct {
	What  string
	Items []string
}

// Lists returns the kinds of change the reload made, in a fixed order,
// those it made none of left out.
func (r *ReloadResult) Lists() []ReloadChange {
	var l []ReloadChange
	add := func(what string, items []string) {
		if len(items) > 0 {
			l = append(l, ReloadChange{what, items})
		}
	}
	add("ports added", r.PortsAdded)
	add("ports removed", r.PortsRemoved)
	add("ports changed", r.PortsChanged)
	add("networks added", r.NetworksAdded)
	add("networks removed", r.NetworksRemoved)
	add("routers added", r.RoutersAdded)
	add("routers removed", r.RoutersRemoved)
	add("routers changed", r.RoutersChanged)
	add("floating IPs added", r.FloatingIPsAdded)
	add("floating IPs removed", r.FloatingIPsRemoved)
	add("floating IPs moved", r.FloatingIPsMoved)
	if r.ConntrackMax != "" {
		add("conntrack_max", []string{r.ConntrackMax})
	}
	return l
}

// Changed reports whether the reload changed anything.
func (r *ReloadResult) Changed() bool { return len(r.Lists()) > 0 }

// Summary is the result on one line, for the log.
func (r *ReloadResult) Summary() string {
	l := r.Lists()
	if len(l) == 0 {
		return "nothing changed"
	}
	var parts []string
	for _, c := range l {
		if c.What == "conntrack_max" {
			parts = append(parts, "conntrack_max "+c.Items[0])
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", c.What, len(c.Items)))
		}
	}
	return strings.Join(parts, ", ")
}

// keepZones gives s's routers and filtered ports the conntrack zones they
// have in old (by name), so their connections stay theirs across a
// reload; new ones get the lowest zones no one holds.
func (s *Spec) keepZones(old *Spec) {
	taken := map[uint16]bool{}
	oldRouter := map[string]uint16{}
	for _, r := range old.Routers {
		oldRouter[r.Name] = r.Zone
		taken[r.Zone] = true
	}
	oldPort := map[string]uint16{}
	for _, p := range old.Ports {
		if p.Security != nil {
			oldPort[p.Name] = p.Security.Zone
			taken[p.Security.Zone] = true
		}
	}
	var fresh []*uint16
	for i := range s.Routers {
		r := &s.Routers[i]
		if z, ok := oldRouter[r.Name]; ok {
			r.Zone = z
		} else {
			fresh = append(fresh, &r.Zone)
		}
	}
	next := uint16(1)
	for _, z := range fresh {
		for taken[next] {
			next++
		}
		*z, taken[next] = next, true
	}
	fresh = fresh[:0]
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Security == nil {
			continue
		}
		// A copy: the spec's SecuritySpec may be shared with another
		// spec (tests build several from one).
		sec := *p.Security
		p.Security = &sec
		if z, ok := oldPort[p.Name]; ok {
			sec.Zone = z
		} else {
			fresh = append(fresh, &sec.Zone)
		}
	}
	next = PortZoneBase
	for _, z := range fresh {
		for taken[next] {
			next++
		}
		*z, taken[next] = next, true
	}
}

// diffSpecs fills in what differs between old and s: ports, networks,
// routers and floating IPs, by name.
func diffSpecs(res *ReloadResult, old, s *Spec) {
	oldPorts := map[string]*PortSpec{}
	for i := range old.Ports {
		oldPorts[old.Ports[i].Name] = &old.Ports[i]
	}
	seen := map[string]bool{}
	for i := range s.Ports {
		ps := &s.Ports[i]
		seen[ps.Name] = true
		op := oldPorts[ps.Name]
		if op == nil {
			res.PortsAdded = append(res.PortsAdded, ps.Name)
			continue
		}
		if what := portChanges(op, ps); what != "" {
			res.PortsChanged = append(res.PortsChanged, ps.Name+" ("+what+")")
		} else {
			res.Unchanged++
		}
	}
	for _, p := range old.Ports {
		if !seen[p.Name] {
			res.PortsRemoved = append(res.PortsRemoved, p.Name)
		}
	}
	res.NetworksAdded, res.NetworksRemoved = namesDiff(old.Networks, s.Networks, func(n NetworkSpec) string { return n.Name })
	res.RoutersAdded, res.RoutersRemoved = namesDiff(old.Routers, s.Routers, func(r RouterSpec) string { return r.Name })
	for i := range s.Routers {
		r := &s.Routers[i]
		for j := range old.Routers {
			or := &old.Routers[j]
			if or.Name != r.Name {
				continue
			}
			if what := routerChanges(or, r); what != "" {
				res.RoutersChanged = append(res.RoutersChanged, r.Name+" ("+what+")")
			}
			added, removed, moved := fipDiff(or.FloatingIPs, r.FloatingIPs)
			res.FloatingIPsAdded = append(res.FloatingIPsAdded, added...)
			res.FloatingIPsRemoved = append(res.FloatingIPsRemoved, removed...)
			res.FloatingIPsMoved = append(res.FloatingIPsMoved, moved...)
		}
	}
	for _, r := range s.Routers {
		if slices.Contains(res.RoutersAdded, r.Name) {
			added, _, _ := fipDiff(nil, r.FloatingIPs)
			res.FloatingIPsAdded = append(res.FloatingIPsAdded, added...)
		}
	}
	for _, r := range old.Routers {
		if slices.Contains(res.RoutersRemoved, r.Name) {
			_, removed, _ := fipDiff(r.FloatingIPs, nil)
			res.FloatingIPsRemoved = append(res.FloatingIPsRemoved, removed...)
		}
	}
}

// portChanges says what differs between two specs of one port ("" when
// nothing does), the zone aside (keepZones has made it the same).
func portChanges(a, b *PortSpec) string {
	var what []string
	if !sameDevice(*a, *b) {
		what = append(what, "device made anew")
	}
	if a.Network != b.Network || a.LVID != b.LVID {
		what = append(what, "network")
	}
	if a.PortSecurity != b.PortSecurity || !sameSecurity(a.Security, b.Security) {
		what = append(what, "security groups")
	}
	if !slices.Equal(a.IPs, b.IPs) {
		what = append(what, "fixed IPs")
	}
	if a.Untagged != b.Untagged || !maps.Equal(a.Tags, b.Tags) {
		what = append(what, "networks carried")
	}
	if a.Tunnel != nil && b.Tunnel != nil && !reflect.DeepEqual(a.Tunnel, b.Tunnel) {
		what = append(what, "tunnels")
	}
	return strings.Join(what, ", ")
}

// routerChanges says what differs between two specs of one router,
// floating IPs aside ("" when nothing else does).
func routerChanges(a, b *RouterSpec) string {
	var what []string
	if !reflect.DeepEqual(a.Ports, b.Ports) {
		what = append(what, "interfaces")
	}
	if !reflect.DeepEqual(a.Routes, b.Routes) {
		what = append(what, "routes")
	}
	if a.EnableSNAT != b.EnableSNAT {
		what = append(what, "enable_snat")
	}
	return strings.Join(what, ", ")
}

// namesDiff lists the names only in s (added) and only in old (removed).
func namesDiff[T any](old, s []T, name func(T) string) (added, removed []string) {
	had := map[string]bool{}
	for _, x := range old {
		had[name(x)] = true
	}
	has := map[string]bool{}
	for _, x := range s {
		has[name(x)] = true
		if !had[name(x)] {
			added = append(added, name(x))
		}
	}
	for _, x := range old {
		if !has[name(x)] {
			removed = append(removed, name(x))
		}
	}
	return added, removed
}

// fipDiff compares one router's floating IPs before and after.
func fipDiff(old, s []FloatingIPSpec) (added, removed, moved []string) {
	was := map[netip.Addr]netip.Addr{}
	for _, f := range old {
		was[f.Address] = f.Fixed
	}
	is := map[netip.Addr]bool{}
	for _, f := range s {
		is[f.Address] = true
		fixed, ok := was[f.Address]
		switch {
		case !ok:
			added = append(added, fmt.Sprintf("%s -> %s", f.Address, f.Fixed))
		case fixed != f.Fixed:
			moved = append(moved, fmt.Sprintf("%s -> %s (was %s)", f.Address, f.Fixed, fixed))
		}
	}
	for _, f := range old {
		if !is[f.Address] {
			removed = append(removed, fmt.Sprintf("%s -> %s", f.Address, f.Fixed))
		}
	}
	return added, removed, moved
}
