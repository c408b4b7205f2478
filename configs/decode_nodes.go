package configs

import "go.yaml.in/yaml/v3"

// The fields of nodes and uplinks, in the order of TOPOLOGY.md.
var (
	nodeFields   = []string{"name", "underlay_ip", "conntrack_max"}
	uplinkFields = []string{"name", "node", "interface", "tap"}
)

func (d *decoder) node(n *yaml.Node, path string) *Node {
	x := &Node{}
	f := d.object(n, path, "name", &x.Source, nodeFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.name("name")
	x.UnderlayIP = f.addr("underlay_ip")
	if v, ok := f.integer("conntrack_max"); ok {
		if v < MinConntrackMax || v > MaxConntrackMax {
			d.errorf(x.At("conntrack_max"), x.FieldPath("conntrack_max"), "%d connections is out of range: give %d to %d (the default is %d, as Linux's nf_conntrack_max)", v, MinConntrackMax, MaxConntrackMax, DefaultConntrackMax)
		} else {
			x.ConntrackMax = v
		}
	}
	return x
}

func (d *decoder) uplink(n *yaml.Node, path string) *Uplink {
	x := &Uplink{}
	f := d.object(n, path, "name", &x.Source, uplinkFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.ident("name")
	x.NodeName, _ = f.str("node")
	x.Interface = f.device("interface")
	x.Tap = f.device("tap")
	switch hasIf, hasTap := f.has("interface"), f.has("tap"); {
	case hasIf && hasTap:
		d.errorf(x.At("tap"), x.Path, "give one of interface and tap, not both")
	case !hasIf && !hasTap:
		d.errorf(x.Pos, x.Path, "missing interface (an existing interface, bound with AF_PACKET) or tap (a TAP device neutrino creates)")
	}
	return x
}
