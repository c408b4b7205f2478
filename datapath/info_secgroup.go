package datapath

import (
	"fmt"
	"strings"
)

// SecurityGroupInfo is one filtered port for `neutrino show
// security-groups`: its groups and pairs, and each direction's chain in
// the order the filter tries it, fixed rules and group rules, with what
// each let through or dropped.
type SecurityGroupInfo struct {
	Port     string          `json:"port"`
	Device   string          `json:"device"`
	Zone     uint16          `json:"zone"`
	Stateful bool            `json:"stateful"`
	Groups   []string        `json:"groups"`
	Pairs    []string        `json:"pairs"` // "IP/len MAC"
	Egress   []ChainRuleInfo `json:"egress"`
	Ingress  []ChainRuleInfo `json:"ingress"`
}

// ChainRuleInfo is one rule of a port's chain with its counters. Fixed
// rules have a Fixed name (the drop reason, for drops) and no Group.
type ChainRuleInfo struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	Action  string `json:"action"` // accept | drop
	Fixed   string `json:"fixed,omitempty"`
	Group   string `json:"group,omitempty"`
	Index   int    `json:"index"` // the rule's index in its group; -1 for fixed rules
	Match   string `json:"match"`
}

// SecurityGroups describes the filtered ports in port order, or only the
// named one (its port name or device). A port that is not filtered, or
// not there, is an error that names the filtered ports.
func (n *Node) SecurityGroups(port string) ([]SecurityGroupInfo, error) {
	g := n.g.Load()
	var out []SecurityGroupInfo
	var names []string
	for i, f := range g.filters {
		if f == nil {
			continue
		}
		p := g.ports[i]
		names = append(names, p.spec.Name)
		if port != "" && port != p.spec.Name && port != p.spec.Device {
			continue
		}
		out = append(out, n.filterInfo(f))
	}
	if port != "" && len(out) == 0 {
		if len(names) == 0 {
			return nil, fmt.Errorf("port %q: no port of this node has security groups", port)
		}
		return nil, fmt.Errorf("port %q: not a port with security groups here (those are: %s)", port, strings.Join(names, ", "))
	}
	return out, nil
}

func (n *Node) filterInfo(f *sgFilter) SecurityGroupInfo {
	s := f.p.spec
	si := SecurityGroupInfo{
		Port: s.Name, Device: s.Device, Zone: f.zone, Stateful: f.stateful,
		Groups: append([]string{}, f.groups...), Pairs: []string{},
	}
	for _, ap := range s.Security.Pairs {
		si.Pairs = append(si.Pairs, ap.Prefix.String()+" "+ap.MAC.String())
	}
	fixed := n.sgCounts(int(f.p.id))
	for dir := range fixed {
		for r := range fixed[dir] {
			for k := range fixed[dir][r] {
				fixed[dir][r][k] -= f.base[dir][r][k]
			}
		}
	}
	for dir := range sgChains {
		var chain []ChainRuleInfo
		for _, r := range sgChains[dir] {
			if r == sgRulesBefore {
				for id := range f.rules {
					rule := &f.rules[id]
					if rule.Ingress != (dir == sgIngress) {
						continue
					}
					chain = append(chain, ChainRuleInfo{
						Packets: f.hits[id].pkts.Load(), Bytes: f.hits[id].bytes.Load(),
						Action: "accept", Group: rule.Group, Index: rule.Index, Match: rule.String(),
					})
				}
			}
			c := fixed[dir][r]
			ri := ChainRuleInfo{Packets: c[0], Bytes: c[1], Action: "drop", Fixed: r.String(), Index: -1, Match: matchText(dir, r)}
			if r.accepts() {
				ri.Action = "accept"
			}
			chain = append(chain, ri)
		}
		if dir == sgEgress {
			si.Egress = chain
		} else {
			si.Ingress = chain
		}
	}
	return si
}

// sgCounts sums every worker's counters of port id's fixed rules: by
// direction and rule, packets then bytes.
func (n *Node) sgCounts(id int) (out [2][NumSGReasons][2]uint64) {
	n.workersMu.Lock()
	defer n.workersMu.Unlock()
	for _, w := range n.workers {
		if id >= len(w.sg) {
			continue
		}
		for dir := range w.sg[id] {
			for r := range w.sg[id][dir] {
				c := &w.sg[id][dir][r]
				out[dir][r][0] += c.pkts.load()
				out[dir][r][1] += c.bytes.load()
			}
		}
	}
	return out
}
