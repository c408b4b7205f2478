package configs

import "fmt"

// MaxNetnsName bounds a namespace name: it becomes a file under
// /run/netns, and `ip netns` users type it.
const MaxNetnsName = 64

// checkNetnsPort checks the fields of an attach: netns port and sets its
// defaults: the namespace is named after the port, the device inside it is
// eth0 (Device shows it too). The netns fields belong to that mode only.
func (c *checker) checkNetnsPort(p *Port, named bool) {
	s := &p.Source
	if p.Attach != AttachNetns {
		for _, f := range []string{"netns", "ifname", "addressing", "netns_reuse"} {
			if s.Has(f) {
				c.at(s, f, "%s is for attach: netns ports only (this port attaches as %s)", f, p.Attach)
			}
		}
		return
	}
	if s.Has("device") {
		c.at(s, "device", "an attach: netns port has no device on the host: name the interface inside its namespace with ifname")
	}
	if !s.Has("netns") && named {
		p.Netns = p.Name
	}
	if p.Netns != "" || s.Has("netns") {
		if err := checkNetnsName(p.Netns); err != nil {
			field := "netns"
			if !s.Has("netns") {
				field = "name"
				err = fmt.Errorf("the default namespace (the port name) is not usable: %w; set netns", err)
			}
			c.at(s, field, "%v", err)
		}
	}
	if !s.Has("ifname") {
		p.IfName = DefaultIfName
	} else if p.IfName == "lo" {
		c.at(s, "ifname", "lo is the namespace's loopback device: choose another name")
	}
	p.Device = p.IfName
	if p.Addressing == AddressingDHCP && p.Network != nil && !hasDHCP(p.Network) {
		c.at(s, "addressing", "dhcp needs a subnet with enable_dhcp on network %s (or use addressing: static)", p.Network.Name)
	}
}

// checkNetns reports namespaces used by two ports of one node.
func (c *checker) checkNetns() {
	type key struct {
		node *Node
		name string
	}
	first := map[key]*Port{}
	for _, p := range c.t.Ports {
		if p.Attach != AttachNetns || p.Node == nil || checkNetnsName(p.Netns) != nil {
			continue
		}
		k := key{p.Node, p.Netns}
		if f := first[k]; f != nil {
			field := "netns"
			if !p.Has("netns") {
				field = "name"
			}
			c.at(&p.Source, field, "namespace %s is already used on node %s by port %s (line %d)", p.Netns, p.Node.Name, f.Name, firstLine(&f.Source))
			continue
		}
		first[k] = p
	}
}

// hasDHCP reports whether a subnet of n has DHCP enabled.
func hasDHCP(n *Network) bool {
	for _, sn := range n.Subnets {
		if sn.EnableDHCP {
			return true
		}
	}
	return false
}

// checkNetnsName checks a network namespace name: a file name under
// /run/netns that shells and `ip netns` take as it is.
func checkNetnsName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("a namespace name must not be empty")
	case len(s) > MaxNetnsName:
		return fmt.Errorf("namespace name %q is %d characters long: at most %d", s, len(s), MaxNetnsName)
	case s == "." || s == "..":
		return fmt.Errorf("%q is not a usable namespace name", s)
	case s[0] == '-':
		return fmt.Errorf("namespace name %q starts with '-': commands would take it for an option", s)
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '-', ch == '_', ch == '.':
		default:
			return fmt.Errorf("namespace name %q contains %q: use letters, digits, '-', '_' and '.'", s, string(ch))
		}
	}
	return nil
}
