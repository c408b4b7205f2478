package configs

import (
	"net/netip"
	"slices"
	"strings"
)

// index finds objects by name. It is filled while validating and kept in
// the Topology for its lookup methods.
type index struct {
	nodes    map[string]*Node
	uplinks  map[string][]*Uplink // by name; at most one per node
	networks map[string]*Network
	subnets  map[string]*Subnet
	ports    map[string]*Port
	routers  map[string]*Router
	groups   map[string]*SecurityGroup
	// presence lists, for each network, the nodes it is present on, in the
	// order of the nodes section.
	presence map[*Network][]*Node
}

// checker applies defaults and validates a decoded topology. Each step
// tolerates what earlier steps found wrong (a nil reference, a zero address)
// and skips the checks that depend on it, so one mistake gives one error.
type checker struct {
	*errs
	t  *Topology
	ix *index
	// known caches the sorted names of each kind, for suggestions; a kind
	// is only looked up once its index is complete.
	known map[string][]string
}

// validate fills in defaults, resolves references and reports every problem.
// The order matters: later steps use what earlier ones resolved.
func validate(t *Topology, e *errs) {
	t.index = index{
		nodes:    map[string]*Node{},
		uplinks:  map[string][]*Uplink{},
		networks: map[string]*Network{},
		subnets:  map[string]*Subnet{},
		ports:    map[string]*Port{},
		routers:  map[string]*Router{},
		groups:   map[string]*SecurityGroup{},
	}
	c := &checker{errs: e, t: t, ix: &t.index, known: map[string][]string{}}
	c.checkNodes()
	c.checkUplinks()
	c.checkGroups()
	c.checkNetworks()
	c.checkPorts()
	c.checkPortUplinkNames()
	c.checkRouters()
	c.checkFloatingIPs()
	c.checkAddresses()
	c.checkFirewalls()
	c.assignAddresses()
	c.checkRoutes()
	c.checkMACs()
	c.checkDevices()
	c.checkNetns()
	c.checkPresence()
}

// firstLine is how messages point back at an earlier object.
func firstLine(s *Source) int { return s.Pos.Line }

// names returns the keys of a name index, sorted, for suggestions.
func names[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// missing reports a reference to a name that does not exist.
func (c *checker) missing(s *Source, field, kind, name string) {
	known, ok := c.known[kind]
	if !ok {
		switch kind {
		case "node":
			known = names(c.ix.nodes)
		case "uplink":
			known = names(c.ix.uplinks)
		case "network":
			known = names(c.ix.networks)
		case "subnet":
			known = names(c.ix.subnets)
		case "port":
			known = names(c.ix.ports)
		case "security group":
			known = names(c.ix.groups)
		}
		c.known[kind] = known
	}
	c.at(s, field, "no %s named %q%s", kind, name, didYouMean(name, known))
}

func (c *checker) checkNodes() {
	t := c.t
	if len(t.Nodes) == 0 {
		t.Nodes = []*Node{implicitNode()}
	}
	underlay := map[netip.Addr]*Node{}
	for _, n := range t.Nodes {
		if n.Name != "" {
			if first := c.ix.nodes[n.Name]; first != nil {
				c.at(&n.Source, "name", "duplicate node name %q (first at line %d)", n.Name, firstLine(&first.Source))
			} else {
				c.ix.nodes[n.Name] = n
			}
		}
		if n.UnderlayIP.IsValid() {
			if first := underlay[n.UnderlayIP]; first != nil {
				c.at(&n.Source, "underlay_ip", "%s is already the underlay_ip of node %s (line %d)", n.UnderlayIP, first.Name, firstLine(&first.Source))
			} else {
				underlay[n.UnderlayIP] = n
			}
		}
	}
}

// nodeOf resolves the node field of a port, uplink or router: the only node
// when not given.
func (c *checker) nodeOf(s *Source, name string) *Node {
	t := c.t
	if !s.Has("node") {
		if len(t.Nodes) == 1 {
			return t.Nodes[0]
		}
		all := make([]string, len(t.Nodes))
		for i, n := range t.Nodes {
			all[i] = n.Name
		}
		c.on(s, "missing field \"node\": the topology has %d nodes (%s), say which one", len(t.Nodes), strings.Join(all, ", "))
		return nil
	}
	if name == "" {
		return nil // a wrong type, reported when decoding
	}
	n := c.ix.nodes[name]
	if n == nil {
		c.missing(s, "node", "node", name)
	}
	return n
}

func (c *checker) checkUplinks() {
	for _, u := range c.t.Uplinks {
		u.Node = c.nodeOf(&u.Source, u.NodeName)
		if u.Node == nil || u.Name == "" {
			continue
		}
		u.NodeName = u.Node.Name
		dup := false
		for _, other := range c.ix.uplinks[u.Name] {
			if other.Node == u.Node {
				c.at(&u.Source, "name", "duplicate uplink %q on node %s (first at line %d)", u.Name, u.NodeName, firstLine(&other.Source))
				dup = true
			}
		}
		if !dup {
			c.ix.uplinks[u.Name] = append(c.ix.uplinks[u.Name], u)
		}
	}
}

// uplinkOn returns the uplink with the given name on node n, or nil.
func (ix *index) uplinkOn(name string, n *Node) *Uplink {
	for _, u := range ix.uplinks[name] {
		if u.Node == n {
			return u
		}
	}
	return nil
}

// checkPlacement reports when a network can't be used on a node: a vxlan
// network needs the node's underlay_ip, a flat or vlan network an uplink
// with its physical name on that node. who names the user ("port vm1").
func (c *checker) checkPlacement(s *Source, field string, net *Network, node *Node, who string) {
	if net == nil || node == nil {
		return
	}
	switch net.Type {
	case VXLAN:
		if !node.UnderlayIP.IsValid() {
			c.at(s, field, "%s is on vxlan network %s, but node %s has no underlay_ip", who, net.Name, node.Name)
		}
	case Flat, VLAN:
		if net.Physical != "" && len(c.ix.uplinks[net.Physical]) > 0 && c.ix.uplinkOn(net.Physical, node) == nil {
			c.at(s, field, "%s is on %s network %s, which leaves by uplink %s, but node %s has no uplink %s", who, net.Type, net.Name, net.Physical, node.Name, net.Physical)
		}
	}
}
