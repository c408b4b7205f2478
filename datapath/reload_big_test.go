package datapath

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neutrino/configs"
	"neutrino/link/mem"
)

// The 500-port topology of the reload benchmarks and of the test that
// counts frames across reloads: ten VLAN networks on one uplink, each
// with a subnet and DHCP, 500 VM ports with security groups, a router
// with an interface on each network, a gateway on a flat external
// network and floating IPs.
//
// Port k is vm-NNN on network net-(k%10), address 10.(100+k%10).0.(10+k/10)
// (up to k = 1999). Its group is web when (k/10)%5 == 0, db when it is 4
// and for the ports added after the base ones (k >= 500), app otherwise;
// every network thus has ports of every group:
//
//	web  tcp 80 from anywhere, ping from 10.0.0.0/8, egress anything
//	app  udp 5000 from members of web (a remote group: every app port's
//	     rules list the web ports' addresses), tcp 8080 from anywhere,
//	     egress anything
//	db   tcp dbPort from members of db, egress anything
//
// Floating IPs 203.0.113.(100+j) go to the db ports k = 41+50j, j < 10.
// A reload that adds or removes db ports, or changes db's rule, or a
// floating IP, changes no web or app port.
const big500Ports = 500

// big500 says how a variant of the topology differs from the base one.
type big500 struct {
	without map[int]bool // ports of the base left out
	extra   []int        // db ports added after the base ones (k >= 500)
	dbPort  int          // db's tcp port (5432 when 0)
	noFIP   int          // the port whose floating IP is left out (0: none)
}

// bigHost is port k as the tests see it.
func bigHost(k int) sgHost {
	return sgHost{port: bigName(k), mac: bigMAC(k), ip: net.IPv4(10, byte(100+k%10), byte(k/10/200), byte(10+k/10%200)).To4()}
}

func bigName(k int) string { return fmt.Sprintf("vm-%03d", k) }

func bigMAC(k int) net.HardwareAddr {
	return net.HardwareAddr{0xfa, 0x16, 0x3e, 0x01, byte(k >> 8), byte(k)}
}

func bigGroup(k int) string {
	if k >= big500Ports {
		return "db"
	}
	switch k / 10 % 5 {
	case 0:
		return "web"
	case 4:
		return "db"
	}
	return "app"
}

// text is the topology file of the variant.
func (o big500) text() string {
	var b strings.Builder
	b.WriteString("version: 1\nuplinks:\n  - name: physnet1\n    interface: eth1\nnetworks:\n")
	b.WriteString("  - name: ext-net\n    type: flat\n    physical: physnet1\n    external: true\n    subnets:\n")
	b.WriteString("      - {name: ext-subnet, cidr: 203.0.113.0/24, gateway: 203.0.113.1, enable_dhcp: false}\n")
	for i := range 10 {
		fmt.Fprintf(&b, "  - name: net-%d\n    type: vlan\n    segment: %d\n    physical: physnet1\n    subnets:\n", i, 100+i)
		fmt.Fprintf(&b, "      - {name: subnet-%d, cidr: 10.%d.0.0/16, gateway: 10.%d.255.254, dns_nameservers: [10.0.0.53]}\n", i, 100+i, 100+i)
	}
	b.WriteString("ports:\n")
	port := func(k int) {
		h := bigHost(k)
		fmt.Fprintf(&b, "  - {name: %s, network: net-%d, mac: %q, fixed_ips: [%s], security_groups: [%s]}\n",
			h.port, k%10, h.mac, h.ip, bigGroup(k))
	}
	for k := range big500Ports {
		if !o.without[k] {
			port(k)
		}
	}
	for _, k := range o.extra {
		port(k)
	}
	b.WriteString("routers:\n  - name: r1\n    external_gateway: {network: ext-net, ip: 203.0.113.2}\n    interfaces:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "      - subnet-%d\n", i)
	}
	b.WriteString("floating_ips:\n")
	for j := range 10 {
		k := 41 + 50*j
		if k == o.noFIP || o.without[k] {
			continue
		}
		fmt.Fprintf(&b, "  - {floating_ip_address: 203.0.113.%d, floating_network: ext-net, port: %s}\n", 100+j, bigName(k))
	}
	dbPort := o.dbPort
	if dbPort == 0 {
		dbPort = 5432
	}
	fmt.Fprintf(&b, `security_groups:
  - name: web
    rules:
      - {direction: ingress, protocol: tcp, port_range_min: 80, remote_ip_prefix: 0.0.0.0/0}
      - {direction: ingress, protocol: icmp, port_range_min: 8, remote_ip_prefix: 10.0.0.0/8}
      - {direction: egress}
  - name: app
    rules:
      - {direction: ingress, protocol: udp, port_range_min: 5000, remote_group: web}
      - {direction: ingress, protocol: tcp, port_range_min: 8080, remote_ip_prefix: 0.0.0.0/0}
      - {direction: egress}
  - name: db
    rules:
      - {direction: ingress, protocol: tcp, port_range_min: %d, remote_group: db}
      - {direction: egress}
`, dbPort)
	return b.String()
}

// write puts the variant's text in a file of dir and returns its path.
func (o big500) write(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "topology.yaml")
	if err := os.WriteFile(path, []byte(o.text()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// loadForReload does what neutrino reload does with a file: load and
// validate it, resolve n's node keeping its local VLANs.
func loadForReload(tb testing.TB, n *Node, path string) *Spec {
	tb.Helper()
	topo, err := configs.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := topo.Node(n.Spec().Node)
	if err != nil {
		tb.Fatal(err)
	}
	had := map[string]uint16{}
	for _, nw := range n.Spec().Networks {
		had[nw.Name] = nw.LVID
	}
	v.KeepLVIDs(had)
	spec, err := SpecFromView(v)
	if err != nil {
		tb.Fatal(err)
	}
	return spec
}

// bigNode starts a node of the base topology on in-memory devices.
func bigNode(tb testing.TB) (*Node, map[string]*mem.Endpoint) {
	tb.Helper()
	path := big500{}.write(tb, tb.TempDir())
	return memNode(tb, loadTestSpec(tb, path, ""), Options{})
}

// TestBig500Topology: the generator's file is valid and resolves to 500
// filtered VM ports, DHCP on every network and the router's floating IPs.
func TestBig500Topology(t *testing.T) {
	n, _ := bigNode(t)
	s := n.Spec()
	vms, filtered := 0, 0
	for _, p := range s.Ports {
		if p.Kind == PortVM {
			vms++
			if p.Security != nil {
				filtered++
			}
		}
	}
	dhcp := 0
	for _, nw := range s.Networks {
		if nw.DHCP != nil {
			dhcp++
		}
	}
	if vms != big500Ports || filtered != big500Ports || dhcp != 10 || len(s.Routers) != 1 || len(s.Routers[0].FloatingIPs) != 10 {
		t.Fatalf("%d VM ports (%d filtered), %d DHCP ports, %d routers", vms, filtered, dhcp, len(s.Routers))
	}
}
