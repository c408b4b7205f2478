package datapath

import "fmt"

// TunnelInfo is the node's br-tun for `neutrino show tunnels`: its
// underlay address, each remote VTEP with what went to and came from it,
// and each vxlan network with its VNI, local VLAN and flood list.
type TunnelInfo struct {
	Local       string              `json:"local"`
	Port        uint16              `json:"port"`
	VTEPs       []VTEPInfo          `json:"vteps"`
	Networks    []TunnelNetworkInfo `json:"networks"`
	ARPAnswered uint64              `json:"arp_answered"`
	ARPLocal    uint64              `json:"arp_kept_local"`
}

// VTEPInfo is one remote VTEP (Neutron's vxlan-XXXXXXXX tunnel port).
type VTEPInfo struct {
	Node     string `json:"node"`
	Address  string `json:"address"`
	Port     string `json:"port"` // the name Neutron's agent gives the tunnel port
	TxFrames uint64 `json:"tx_frames"`
	TxBytes  uint64 `json:"tx_bytes"`
	RxFrames uint64 `json:"rx_frames"`
	RxBytes  uint64 `json:"rx_bytes"`
}

// TunnelNetworkInfo is one vxlan network as br-tun holds it.
type TunnelNetworkInfo struct {
	Name  string   `json:"name"`
	VNI   uint32   `json:"vni"`
	LVID  uint16   `json:"lvid"`
	Flood []string `json:"flood"` // VTEP addresses
	FDB   int      `json:"l2pop_entries"`
	ARP   int      `json:"arp_entries"`
}

// Tunnels describes br-tun; ok is false when the node has no vxlan
// network.
func (n *Node) Tunnels() (TunnelInfo, bool) {
	e := n.g.Load().brtun
	if e == nil {
		return TunnelInfo{}, false
	}
	s := e.spec
	ti := TunnelInfo{
		Local: s.Local.String(), Port: s.Port, VTEPs: []VTEPInfo{}, Networks: []TunnelNetworkInfo{},
		ARPAnswered: e.c.arpAnswered.Load(), ARPLocal: e.c.arpLocal.Load(),
	}
	for i, a := range s.VTEPs {
		c := &e.c.vtep[i+1]
		b := a.As4()
		ti.VTEPs = append(ti.VTEPs, VTEPInfo{
			Node: s.VTEPNodes[i], Address: a.String(), Port: fmt.Sprintf("vxlan-%02x%02x%02x%02x", b[0], b[1], b[2], b[3]),
			TxFrames: c.txFrames.Load(), TxBytes: c.txBytes.Load(), RxFrames: c.rxFrames.Load(), RxBytes: c.rxBytes.Load(),
		})
	}
	for _, tn := range s.Networks {
		ni := TunnelNetworkInfo{Name: tn.Name, VNI: tn.VNI, LVID: tn.LVID, Flood: []string{}, FDB: len(tn.FDB), ARP: len(tn.ARP)}
		for _, k := range tn.Flood {
			ni.Flood = append(ni.Flood, s.VTEPs[k-1].String())
		}
		ti.Networks = append(ti.Networks, ni)
	}
	return ti, true
}
