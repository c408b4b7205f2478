package configs

import "go.yaml.in/yaml/v3"

// The top-level sections, in the order of TOPOLOGY.md. Each section's object
// is decoded in its own file: decode_nodes.go (nodes, uplinks),
// decode_networks.go (networks, subnets), decode_ports.go, decode_routers.go
// (routers, floating IPs) and decode_secgroups.go; decode_values.go decodes
// the typed values they share.
var topologyFields = []string{"version", "nodes", "uplinks", "networks", "ports", "routers", "floating_ips", "security_groups"}

// decodeTopology decodes the document's root mapping. Values are checked on
// their own here (syntax, enumerations, ranges); defaults and everything that
// relates objects to each other come later.
func (d *decoder) decodeTopology(root *yaml.Node) *Topology {
	t := &Topology{File: d.file}
	f := d.object(root, "", "", &t.Source, topologyFields)
	if f == nil {
		return nil
	}
	if !f.has("version") {
		d.errorf(t.Pos, "", "missing required field \"version\" (write version: 1 at the top)")
	} else if v, ok := f.integer("version"); ok {
		t.Version = v
		if v != 1 {
			d.errorf(t.At("version"), "version", "unsupported version %d: this neutrino reads version 1", v)
		}
	}
	f.objects("nodes", func(n *yaml.Node, path string) {
		if x := d.node(n, path); x != nil {
			t.Nodes = append(t.Nodes, x)
		}
	})
	f.objects("uplinks", func(n *yaml.Node, path string) {
		if x := d.uplink(n, path); x != nil {
			t.Uplinks = append(t.Uplinks, x)
		}
	})
	f.objects("networks", func(n *yaml.Node, path string) {
		if x := d.network(n, path); x != nil {
			t.Networks = append(t.Networks, x)
		}
	})
	f.objects("ports", func(n *yaml.Node, path string) {
		if x := d.port(n, path); x != nil {
			t.Ports = append(t.Ports, x)
		}
	})
	f.objects("routers", func(n *yaml.Node, path string) {
		if x := d.router(n, path); x != nil {
			t.Routers = append(t.Routers, x)
		}
	})
	f.objects("floating_ips", func(n *yaml.Node, path string) {
		if x := d.floatingIP(n, path); x != nil {
			t.FloatingIPs = append(t.FloatingIPs, x)
		}
	})
	f.objects("security_groups", func(n *yaml.Node, path string) {
		if x := d.securityGroup(n, path); x != nil {
			t.SecurityGroups = append(t.SecurityGroups, x)
		}
	})
	return t
}
