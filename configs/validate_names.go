package configs

import (
	"cmp"
	"slices"
)

// checkPortUplinkNames reports a port and an uplink with the same name on
// one node. The datapath refers to both by name (replay --in NAME=FILE and
// its DIR/NAME.pcap captures, show), so on each node they share one name
// space. Port names are already unique in the file and uplink names unique
// per node; the later of the two clashing objects is blamed.
func (c *checker) checkPortUplinkNames() {
	type entry struct {
		node *Node
		name string
		src  *Source
		kind string
	}
	var all []entry
	for _, u := range c.t.Uplinks {
		// Only the uplinks in the index: a duplicate is reported already.
		if u.Node != nil && c.ix.uplinkOn(u.Name, u.Node) == u {
			all = append(all, entry{u.Node, u.Name, &u.Source, "uplink"})
		}
	}
	for _, p := range c.t.Ports {
		if p.Node != nil && c.ix.ports[p.Name] == p {
			all = append(all, entry{p.Node, p.Name, &p.Source, "port"})
		}
	}
	slices.SortStableFunc(all, func(a, b entry) int {
		pa, pb := a.src.At("name"), b.src.At("name")
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col))
	})
	type key struct {
		node *Node
		name string
	}
	first := map[key]entry{}
	for _, e := range all {
		if checkIdentName(e.name) != nil {
			continue // reported when decoding
		}
		k := key{e.node, e.name}
		if f, dup := first[k]; dup {
			c.at(e.src, "name", "%s is also the name of %s %s on node %s (line %d); ports and uplinks of a node share one namespace",
				e.name, f.kind, f.name, e.node.Name, f.src.At("name").Line)
			continue
		}
		first[k] = e
	}
}
