package datapath

import (
	"net"

	"neutrino/conntrack"

	"neutrino/link"
	"neutrino/packet/header"
	l2switch "neutrino/switch"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PortInfo describes one port for `neutrino show ports`.
type PortInfo struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Device  string `json:"device"`
	Attach  string `json:"attach"`
	Netns   string `json:"netns,omitempty"` // attach netns: the port's namespace
	MAC     string `json:"mac,omitempty"`
	Network string `json:"network,omitempty"`
	LVID    uint16 `json:"lvid,omitempty"`
	VLANs   string `json:"vlans,omitempty"` // uplinks: what each network looks like on the wire
	MTU     int    `json:"mtu"`
	State   string `json:"state"`
}

// FDBEntry is one learned MAC for `neutrino show fdb`.
type FDBEntry struct {
	Port    string        `json:"port"`
	LVID    uint16        `json:"lvid"`
	Network string        `json:"network"`
	MAC     string        `json:"mac"`
	Age     time.Duration `json:"age_ns"`
	// Entries on the tunnel port: the remote VTEP the MAC is behind, and
	// how br-tun knows (l2pop: from the topology; learned: from the
	// tunnel, table 10; flood: not known, flooded).
	VTEP   string `json:"vtep,omitempty"`
	Source string `json:"source,omitempty"`
}

// Ports describes the node's ports in topology order.
func (n *Node) Ports() []PortInfo {
	ports := n.ports()
	out := make([]PortInfo, 0, len(ports))
	for _, p := range ports {
		s := p.spec
		pi := PortInfo{
			Name: s.Name, Kind: s.Kind.String(), Device: s.Device, Attach: s.Attach.String(),
			Network: s.Network, LVID: s.LVID, MTU: p.maxFrame - header.EthernetLen, State: "up",
		}
		if len(s.MAC) > 0 {
			pi.MAC = s.MAC.String()
		}
		if s.Netns != nil {
			pi.Netns = s.Netns.Namespace
		}
		if p.trunk != nil {
			pi.VLANs = uplinkNetworks(n.Spec(), s)
		}
		if p.down.Load() {
			pi.State = "gone"
		}
		out = append(out, pi)
	}
	// Router ports are br-int ports without a device of their own, as the
	// qrouter namespace's qr- and qg- devices are OVS internal ports.
	for _, e := range n.g.Load().routers {
		for i := range e.ports {
			p := &e.ports[i]
			out = append(out, PortInfo{
				Name: p.name, Kind: p.kind(), Device: p.name, Attach: "internal", Netns: "qrouter-" + e.spec.Name,
				MAC: macString(p.mac), Network: e.spec.Ports[i].Network, LVID: p.lvid, MTU: p.mtu, State: "up",
			})
		}
	}
	return out
}

// uplinkVLANs renders an uplink's networks: "ext-net=untagged,prov=vid 101".
func uplinkNetworks(spec *Spec, s PortSpec) string {
	var parts []string
	if s.Untagged != 0 {
		parts = append(parts, spec.networkName(s.Untagged)+"=untagged")
	}
	vids := make([]int, 0, len(s.Tags))
	for vid := range s.Tags {
		vids = append(vids, int(vid))
	}
	sort.Ints(vids)
	for _, vid := range vids {
		parts = append(parts, spec.networkName(s.Tags[uint16(vid)])+"=vid "+strconv.Itoa(vid))
	}
	return strings.Join(parts, ",")
}

func (s *Spec) networkName(lvid uint16) string {
	if nw := s.network(lvid); nw != nil {
		return nw.Name
	}
	return "?"
}

// FDB lists the learned MACs, like `ovs-appctl fdb/show br-int`.
func (n *Node) FDB() []FDBEntry {
	entries := n.sw.Entries(n.clock.Now())
	out := make([]FDBEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, n.fdbEntry(e))
	}
	return out
}

// EachFDB yields the learned MACs one at a time, in no particular order,
// without building the whole table: what `neutrino show fdb` streams.
func (n *Node) EachFDB(yield func(FDBEntry) bool) {
	n.sw.Each(n.clock.Now(), func(e l2switch.Entry) bool { return yield(n.fdbEntry(e)) })
}

func (n *Node) fdbEntry(e l2switch.Entry) FDBEntry {
	f := FDBEntry{
		Port:    n.bridgePortName(e.Port),
		LVID:    e.LVID,
		Network: n.Spec().networkName(e.LVID),
		MAC:     macString(e.MAC),
		Age:     e.Age,
	}
	if t := n.g.Load().brtun; t != nil && int(e.Port) == t.dev {
		f.VTEP, f.Source = t.where(e.LVID, e.MAC, n.clock.Now())
	}
	return f
}

func macString(m [6]byte) string { return net.HardwareAddr(m[:]).String() }

// Counters snapshots every counter of the node.
func (n *Node) Counters() Counters {
	c := Counters{Drops: map[string]uint64{}, FDB: map[string]uint64{}}
	for _, p := range n.ports() {
		pc := p.c.snapshot(p.spec.Name)
		if lc, ok := p.ep.(link.Counter); ok {
			pc.Link = lc.LinkCounters()
		}
		c.Ports = append(c.Ports, pc)
	}
	n.workersMu.Lock()
	for _, w := range n.workers {
		c.RouteCacheHits += w.routeHits.load()
		c.VMFlowCacheHits += w.vmHits.load()
		for s := Stage(0); s < NumStages; s++ {
			for r := range w.drops[s] {
				v := w.drops[s][r].load()
				if v == 0 {
					continue
				}
				name := n.reasonName(s, uint8(r))
				c.Drops[name] += v
				if c.Stages == nil {
					c.Stages = map[string]map[string]uint64{}
				}
				if c.Stages[s.String()] == nil {
					c.Stages[s.String()] = map[string]uint64{}
				}
				c.Stages[s.String()][name] += v
			}
		}
	}
	n.workersMu.Unlock()
	for _, e := range n.g.Load().elems {
		if d, ok := e.(*dhcpPort); ok {
			if c.DHCP == nil {
				c.DHCP = map[string]map[string]uint64{}
			}
			c.DHCP[d.network] = d.counters()
		}
	}
	if rs := n.g.Load().routers; len(rs) > 0 {
		c.Routers = map[string]map[string]uint64{}
		for _, e := range rs {
			c.Routers[e.spec.Name] = e.counters()
		}
		cs := n.ct.Stats()
		c.Conntrack = map[string]uint64{
			"entries": uint64(cs.Entries), "max": uint64(cs.Max), "inserted": cs.Inserted, "expired": cs.Expired,
			"early_drop": cs.Evicted, "insert_failed": cs.Refused[conntrack.RefusedTableFull], "clash": cs.Refused[conntrack.RefusedClash],
		}
		for r, v := range cs.Invalid {
			if v != 0 && r != 0 {
				c.Conntrack["invalid_"+conntrack.Reason(r).String()] = v
			}
		}
	}
	st := n.sw.Stats()
	c.FDB["learned"] = st.Learned
	c.FDB["moved"] = st.Moved
	c.FDB["aged"] = st.Aged
	c.FDB["entries"] = uint64(st.MACs)
	c.FDB["evicted"] = st.Evicted
	c.FDB["table_full"] = st.TableFull
	return c
}
