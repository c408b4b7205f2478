package configs

import (
	"fmt"
	"strings"
)

// NodeView is the slice of a topology that one node runs: `neutrino run
// --node NAME` builds its datapath from it.
type NodeView struct {
	Topology *Topology
	Node     *Node
	// Ports, Uplinks and Routers placed on the node, in file order.
	Ports   []*Port
	Uplinks []*Uplink
	Routers []*Router
	// Networks present on the node, in file order, each with its local VLAN.
	Networks []*NodeNetwork

	byNetwork map[*Network]*NodeNetwork
}

// NodeNetwork is a network as one node sees it.
type NodeNetwork struct {
	*Network
	// LVID is the host-local VLAN id on br-int (1..4094), given in file
	// order of the networks present on the node, like Neutron's
	// local_vlan_map. It means nothing on other nodes.
	LVID uint16
	// Uplink is this node's uplink for a flat or vlan network (the one
	// named by Network.Physical), nil for local and vxlan.
	Uplink *Uplink
	// Peers are the other nodes the network is present on, in the order of
	// the nodes section: for vxlan, the VTEPs of the flood list.
	Peers []*Node
}

// Node returns the slice of the topology for the named node. With name ""
// and a single node, that node.
//
// A network is present on a node when a port or a router (interface or
// gateway) of the node is on it, or when it is a flat or vlan network whose
// uplink is on the node.
func (t *Topology) Node(name string) (*NodeView, error) {
	var node *Node
	switch {
	case name == "" && len(t.Nodes) == 1:
		node = t.Nodes[0]
	case name == "":
		return nil, fmt.Errorf("topology has %d nodes (%s): choose one with --node", len(t.Nodes), nodeNames(t.Nodes))
	default:
		if node = t.index.nodes[name]; node == nil {
			return nil, fmt.Errorf("topology has no node %q%s (nodes: %s)", name, didYouMean(name, names(t.index.nodes)), nodeNames(t.Nodes))
		}
	}
	v := &NodeView{Topology: t, Node: node, byNetwork: map[*Network]*NodeNetwork{}}
	for _, p := range t.Ports {
		if p.Node == node {
			v.Ports = append(v.Ports, p)
		}
	}
	for _, u := range t.Uplinks {
		if u.Node == node {
			v.Uplinks = append(v.Uplinks, u)
		}
	}
	for _, r := range t.Routers {
		if r.Node == node {
			v.Routers = append(v.Routers, r)
		}
	}
	for _, n := range t.Networks {
		on := t.index.presence[n]
		if !containsNode(on, node) {
			continue
		}
		nn := &NodeNetwork{Network: n, LVID: uint16(len(v.Networks) + 1)}
		if n.Type == Flat || n.Type == VLAN {
			nn.Uplink = t.index.uplinkOn(n.Physical, node)
		}
		for _, o := range on {
			if o != node {
				nn.Peers = append(nn.Peers, o)
			}
		}
		v.Networks = append(v.Networks, nn)
		v.byNetwork[n] = nn
	}
	return v, nil
}

// Network returns the node's view of a network, or nil when the network is
// not present on the node.
func (v *NodeView) Network(n *Network) *NodeNetwork { return v.byNetwork[n] }

// LVID returns the local VLAN id of a network on the node, 0 when the
// network is not present.
func (v *NodeView) LVID(n *Network) uint16 {
	if nn := v.byNetwork[n]; nn != nil {
		return nn.LVID
	}
	return 0
}

// NodesOf returns the nodes a network is present on, in the order of the
// nodes section.
func (t *Topology) NodesOf(n *Network) []*Node { return t.index.presence[n] }

func nodeNames(nodes []*Node) string {
	s := make([]string, len(nodes))
	for i, n := range nodes {
		s[i] = n.Name
	}
	return strings.Join(s, ", ")
}

func containsNode(list []*Node, n *Node) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// checkPresence works out where each network is present and checks that no
// node has more networks than local VLAN ids.
func (c *checker) checkPresence() {
	t := c.t
	on := map[*Network]map[*Node]bool{}
	mark := func(n *Network, node *Node) {
		if n == nil || node == nil {
			return
		}
		if on[n] == nil {
			on[n] = map[*Node]bool{}
		}
		on[n][node] = true
	}
	for _, p := range t.Ports {
		mark(p.Network, p.Node)
	}
	for _, r := range t.Routers {
		if g := r.ExternalGateway; g != nil {
			mark(g.Network, r.Node)
		}
		for _, ri := range r.Interfaces {
			if ri.Subnet != nil {
				mark(ri.Subnet.Network, r.Node)
			}
		}
	}
	for _, n := range t.Networks {
		if n.Type == Flat || n.Type == VLAN {
			for _, u := range c.ix.uplinks[n.Physical] {
				mark(n, u.Node)
			}
		}
	}
	t.index.presence = map[*Network][]*Node{}
	count := map[*Node]int{}
	for _, n := range t.Networks {
		for _, node := range t.Nodes {
			if on[n][node] {
				t.index.presence[n] = append(t.index.presence[n], node)
				count[node]++
				if count[node] == MaxVLAN+1 {
					c.on(&n.Source, "node %s has more than %d networks: no local VLAN id is left for network %s", node.Name, MaxVLAN, n.Name)
				}
			}
		}
	}
}

// KeepLVIDs gives the view's networks the local VLANs they had before (by
// network name, from the node's running topology), as the OVS agent keeps
// a network's local VLAN for as long as the network is on the node; a
// network new to the node gets the lowest id no other network holds, nor
// (while ids are left) a network that just went. It is what a reload does
// before it resolves the node's ports.
func (v *NodeView) KeepLVIDs(had map[string]uint16) {
	if !v.keepLVIDs(had, true) {
		v.keepLVIDs(had, false)
	}
}

// keepLVIDs assigns the ids; false when they ran out.
func (v *NodeView) keepLVIDs(had map[string]uint16, reserveGone bool) bool {
	taken := map[uint16]bool{}
	for _, nn := range v.Networks {
		if id, ok := had[nn.Name]; ok {
			taken[id] = true
		}
	}
	if reserveGone {
		for _, id := range had {
			taken[id] = true
		}
	}
	next := uint16(1)
	for _, nn := range v.Networks {
		if id, ok := had[nn.Name]; ok {
			nn.LVID = id
			continue
		}
		for taken[next] {
			next++
		}
		if next > MaxVLAN {
			return false
		}
		nn.LVID, taken[next] = next, true
	}
	return true
}
