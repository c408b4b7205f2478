package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"neutrino/datapath"
	"neutrino/link"
	"neutrino/link/mem"
	"neutrino/link/vxlan"
	"neutrino/packet"
)

// metricsLab: two nodes joined by VXLAN. On node network: vm1 (default
// security group, a floating IP) on the tenant network, DHCP for it, and
// router r1 between the tenant network and ext-net on uplink physnet1.
// On node compute: vm2.
const metricsLab = `version: 1
nodes:
  - {name: network, underlay_ip: 192.0.2.1}
  - {name: compute, underlay_ip: 192.0.2.2}
uplinks:
  - {name: physnet1, node: network, interface: eth1}
networks:
  - name: ext-net
    type: flat
    physical: physnet1
    external: true
    subnets: [{name: ext-subnet, cidr: 192.168.1.0/24, gateway: 192.168.1.1, enable_dhcp: false}]
  - name: tenant
    type: vxlan
    segment: 300
    subnets: [{name: tenant-subnet, cidr: 10.30.0.0/24, gateway: 10.30.0.1}]
ports:
  - {name: vm1, node: network, network: tenant, fixed_ips: [10.30.0.5]}
  - {name: vm2, node: compute, network: tenant, fixed_ips: [10.30.0.6]}
routers:
  - name: r1
    node: network
    external_gateway: {network: ext-net, ip: 192.168.1.110}
    interfaces: [tenant-subnet]
floating_ips:
  - {floating_ip_address: 192.168.1.104, floating_network: ext-net, port: vm1}
`

// metricsNode is a node of metricsLab whose ports are in-memory endpoints
// and whose tunnel port is on fabric.
type metricsNode struct {
	n   *datapath.Node
	eps map[string]*mem.Endpoint
	tun *vxlan.Endpoint
}

func newMetricsNode(t *testing.T, topo, name string, fabric *vxlan.Fabric) *metricsNode {
	t.Helper()
	spec, _, _, err := loadSpec(topo, name)
	if err != nil {
		t.Fatal(err)
	}
	m := &metricsNode{eps: map[string]*mem.Endpoint{}}
	open := func(ps datapath.PortSpec) (link.Endpoint, error) {
		if ps.Kind == datapath.PortTunnel {
			m.tun = vxlan.New(ps.Name, fabric.Transport(ps.Tunnel.Local, 40000), ps.Tunnel.VTEPs, ps.Tunnel.Port, ps.MTU)
			return m.tun, nil
		}
		e := mem.New(ps.Name, mem.WithMTU(ps.MTU))
		m.eps[ps.Name] = e
		return e, nil
	}
	m.n, err = datapath.New(spec, datapath.Options{Logger: slog.New(slog.DiscardHandler), Open: open})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.n.Close() })
	return m
}

// process runs frames into the node at port, as its reader would.
func (m *metricsNode) process(t *testing.T, port string, frames ...[]byte) {
	t.Helper()
	idx, ok := m.n.PortIndex(port)
	if !ok {
		t.Fatalf("no port %s", port)
	}
	bufs := make([]*packet.Buffer, len(frames))
	for i, f := range frames {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
		bufs[i].SetData(f)
	}
	m.n.Process(m.n.NewWorker(len(bufs)), idx, bufs)
}

// portMAC returns the MAC of a port or of a router's port.
func (m *metricsNode) portMAC(t *testing.T, name string) net.HardwareAddr {
	t.Helper()
	for _, p := range m.n.Ports() {
		if p.Name == name || strings.HasPrefix(p.Name, name) {
			mac, err := net.ParseMAC(p.MAC)
			if err != nil {
				t.Fatal(err)
			}
			return mac
		}
	}
	t.Fatalf("no port %s", name)
	return nil
}

func ipv4Frame(t *testing.T, src, dst net.HardwareAddr, sip, dip net.IP, l4 ...gopacket.SerializableLayer) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: sip, DstIP: dip}
	for _, l := range l4 {
		if u, ok := l.(*layers.UDP); ok {
			u.SetNetworkLayerForChecksum(ip)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		append([]gopacket.SerializableLayer{eth, ip}, l4...)...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func udpTo(t *testing.T, src, dst net.HardwareAddr, sip, dip net.IP, payload int) []byte {
	return ipv4Frame(t, src, dst, sip, dip, &layers.UDP{SrcPort: 40000, DstPort: 5000}, gopacket.Payload(make([]byte, payload)))
}

func dhcpTo(t *testing.T, src net.HardwareAddr, m *dhcpv4.DHCPv4) []byte {
	return ipv4Frame(t, src, layers.EthernetBroadcast, net.IPv4zero, net.IPv4bcast,
		&layers.UDP{SrcPort: 68, DstPort: 67}, gopacket.Payload(m.ToBytes()))
}

// families gathers the collector's metrics by name.
func families(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value finds the series of metric name with the labels labels (name
// value pairs; the others may be anything) and returns its value.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

// The collector reads a node built on in-memory endpoints: after DHCP, a
// datagram routed and translated to the outside, one through the tunnel
// and a spoofed one, each metric has what the node counted.
func TestMetricsCollector(t *testing.T) {
	topo := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(topo, []byte(metricsLab), 0o644); err != nil {
		t.Fatal(err)
	}
	fabric := vxlan.NewFabric()
	netw := newMetricsNode(t, topo, "network", fabric)
	comp := newMetricsNode(t, topo, "compute", fabric)
	vm1 := netw.portMAC(t, "vm1")
	vm2 := comp.portMAC(t, "vm2")
	qr := netw.portMAC(t, "qr-")

	// DHCP: DISCOVER, then REQUEST of what was offered: vm1's fixed IP.
	disc, err := dhcpv4.NewDiscovery(vm1)
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{dhcpTo(t, vm1, disc)}
	netw.process(t, "vm1", frames[0])
	sent := netw.eps["vm1"].Sent()
	if len(sent) != 1 {
		t.Fatalf("DISCOVER: %d frames back to vm1, want the OFFER", len(sent))
	}
	offer, err := dhcpv4.FromBytes(sent[0].Data[14+20+8:])
	if err != nil {
		t.Fatal(err)
	}
	req, err := dhcpv4.NewRequestFromOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, dhcpTo(t, vm1, req))
	netw.process(t, "vm1", frames[1])

	// To the outside through r1 (translated to the floating IP; the next
	// hop is not resolved yet), to vm2 through the tunnel, and one with a
	// source MAC vm1 does not have.
	more := [][]byte{
		udpTo(t, vm1, qr, net.IPv4(10, 30, 0, 5), net.IPv4(203, 0, 113, 9), 100),
		udpTo(t, vm1, vm2, net.IPv4(10, 30, 0, 5), net.IPv4(10, 30, 0, 6), 200),
		udpTo(t, net.HardwareAddr{0x02, 0, 0, 0, 0, 0x99}, vm2, net.IPv4(10, 30, 0, 5), net.IPv4(10, 30, 0, 6), 50),
	}
	for _, f := range more {
		netw.process(t, "vm1", f)
	}
	frames = append(frames, more...)
	// The compute node takes in what the tunnel carried.
	bufs := make([]*packet.Buffer, 8)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
	}
	if fabric.Pending(netip.AddrFrom4([4]byte{192, 0, 2, 2})) == 0 {
		t.Fatal("nothing went through the tunnel to compute")
	}
	k, err := comp.tun.ReadBatch(bufs)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := comp.n.PortIndex("br-tun")
	comp.n.Process(comp.n.NewWorker(k), idx, bufs[:k])

	c := newNodeCollector(netw.n, "network")
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	mfs := families(t, c)
	check := func(name string, want float64, labels ...string) {
		t.Helper()
		got, ok := value(mfs, name, labels...)
		if !ok {
			t.Errorf("no %s%v", name, labels)
			return
		}
		if got != want {
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}

	// Every series has the node label.
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			found := false
			for _, lp := range m.GetLabel() {
				found = found || lp.GetName() == "node" && lp.GetValue() == "network"
			}
			if !found || !strings.HasPrefix(name, "neutrino_") {
				t.Errorf("%s: %v: not neutrino_ or no node=network label", name, m.GetLabel())
			}
		}
	}
	// No counter fell to the catch-alls: each has its metric.
	for _, name := range []string{"neutrino_router_events_total", "neutrino_dhcp_port_events_total"} {
		if mf := mfs[name]; mf != nil {
			t.Errorf("%s has series: %v", name, mf.GetMetric())
		}
	}

	cs := netw.n.Counters()
	var bytesIn float64
	for _, f := range frames {
		bytesIn += float64(len(f))
	}
	check("neutrino_port_rx_frames_total", float64(len(frames)), "port", "vm1", "kind", "port")
	check("neutrino_port_rx_bytes_total", bytesIn, "port", "vm1", "kind", "port")
	check("neutrino_port_up", 1, "port", "vm1", "kind", "port")
	check("neutrino_port_up", 1, "port", "br-tun", "kind", "tunnel")
	check("neutrino_port_up", 1, "port", "physnet1", "kind", "uplink")
	for _, p := range cs.Ports {
		check("neutrino_port_rx_drops_total", float64(p.RxDrops), "port", p.Port)
		check("neutrino_port_tx_frames_total", float64(p.TxFrames), "port", p.Port)
		check("neutrino_port_tx_bytes_total", float64(p.TxBytes), "port", p.Port)
		check("neutrino_port_tx_drops_total", float64(p.TxDrops), "port", p.Port)
		for k, v := range p.Link {
			check("neutrino_link_events_total", float64(v), "port", p.Port, "counter", k)
		}
	}
	if v, _ := value(mfs, "neutrino_port_rx_drops_total", "port", "vm1"); v < 1 {
		t.Errorf("the spoofed frame is not among vm1's rx drops (%v)", v)
	}
	// The datagram to the outside was flooded too: br-int has not seen
	// the router's qr- MAC yet.
	check("neutrino_link_events_total", 2, "port", "br-tun", "counter", "vxlan_tx_datagrams")
	if len(cs.Stages) == 0 {
		t.Fatal("the node counted no drop")
	}
	for stage, reasons := range cs.Stages {
		for reason, v := range reasons {
			check("neutrino_drops_total", float64(v), "stage", stage, "reason", reason)
		}
	}
	check("neutrino_fdb_entries", float64(cs.FDB["entries"]))
	check("neutrino_fdb_learned_total", float64(cs.FDB["learned"]))
	if cs.FDB["learned"] == 0 {
		t.Error("br-int learned no MAC")
	}
	check("neutrino_fdb_moved_total", 0)
	check("neutrino_fdb_aged_total", 0)
	check("neutrino_fdb_evicted_total", 0)
	check("neutrino_fdb_table_full_total", 0)

	// The router's connection, and vm1's security groups' two.
	cc := netw.n.CountConntrack(datapath.ConntrackFilter{Zone: -1})
	if cc.Count != 3 {
		t.Errorf("the node has %d connections, want 3", cc.Count)
	}
	check("neutrino_conntrack_entries", float64(cc.Count))
	check("neutrino_conntrack_protocol_entries", float64(cc.UDP), "protocol", "udp")
	check("neutrino_conntrack_protocol_entries", 0, "protocol", "tcp")
	check("neutrino_conntrack_unreplied_entries", float64(cc.Unreplied))
	check("neutrino_conntrack_inserted_total", float64(cs.Conntrack["inserted"]))
	check("neutrino_conntrack_early_drops_total", 0)
	check("neutrino_conntrack_refused_total", 0, "reason", "table_full")
	check("neutrino_conntrack_max", float64(cs.Conntrack["max"]))
	check("neutrino_nat_bindings", 1, "router", "r1", "kind", "snat")
	check("neutrino_nat_bindings", 0, "router", "r1", "kind", "dnat")
	check("neutrino_router_floating_ips", 1, "router", "r1")
	check("neutrino_router_ports", 2, "router", "r1")
	check("neutrino_router_nat_connections_total", 1, "router", "r1", "kind", "snat")
	check("neutrino_router_neighbour_queued_packets_total", 1, "router", "r1")
	check("neutrino_router_neighbour_requests_total", 1, "router", "r1")
	check("neutrino_router_neighbour_entries", float64(cs.Routers["r1"]["neighbour_entries"]), "router", "r1")

	check("neutrino_dhcp_leases", 1, "subnet", "tenant-subnet", "allocation", "fixed")
	check("neutrino_dhcp_received_messages_total", 1, "network", "tenant", "type", "discover")
	check("neutrino_dhcp_received_messages_total", 1, "network", "tenant", "type", "request")
	check("neutrino_dhcp_sent_messages_total", 1, "network", "tenant", "type", "offer")
	check("neutrino_dhcp_sent_messages_total", 1, "network", "tenant", "type", "ack")
	check("neutrino_dhcp_results_total", 2, "network", "tenant", "result", "answered")
	check("neutrino_dhcp_port_frames_total", 2, "network", "tenant", "class", "dhcp_messages")
	check("neutrino_dhcp_port_replies_total", 2, "network", "tenant")

	check("neutrino_tunnel_tx_frames_total", 2, "vtep", "192.0.2.2", "remote_node", "compute")
	check("neutrino_tunnel_tx_bytes_total", float64(len(frames[2])+len(frames[3])), "vtep", "192.0.2.2", "remote_node", "compute")
	check("neutrino_tunnel_rx_frames_total", 0, "vtep", "192.0.2.2", "remote_node", "compute")
	check("neutrino_tunnel_arp_responder_answers_total", 0)
	// And the compute node counts what came in from network's VTEP.
	cmfs := families(t, newNodeCollector(comp.n, "compute"))
	if v, _ := value(cmfs, "neutrino_tunnel_rx_frames_total", "vtep", "192.0.2.1", "remote_node", "network"); v != 2 {
		t.Errorf("compute: tunnel rx frames from network = %v, want 2", v)
	}

	sgs, err := netw.n.SecurityGroups("vm1")
	if err != nil {
		t.Fatal(err)
	}
	var ruleHits, fixedHits float64
	for dir, chain := range map[string][]datapath.ChainRuleInfo{"egress": sgs[0].Egress, "ingress": sgs[0].Ingress} {
		for _, r := range chain {
			if r.Group == "" && r.Packets == 0 {
				if _, ok := value(mfs, "neutrino_security_group_fixed_rule_packets_total", "port", "vm1", "direction", dir, "rule", r.Fixed); ok {
					t.Errorf("%s fixed rule %s matched nothing, and is a series", dir, r.Fixed)
				}
				continue
			}
			if r.Group == "" {
				fixedHits += float64(r.Packets)
				check("neutrino_security_group_fixed_rule_packets_total", float64(r.Packets), "port", "vm1", "direction", dir, "rule", r.Fixed)
				check("neutrino_security_group_fixed_rule_bytes_total", float64(r.Bytes), "port", "vm1", "direction", dir, "rule", r.Fixed)
				continue
			}
			idx := strconv.Itoa(r.Index)
			check("neutrino_security_group_rule_packets_total", float64(r.Packets), "port", "vm1", "direction", dir, "group", r.Group, "index", idx)
			check("neutrino_security_group_rule_bytes_total", float64(r.Bytes), "port", "vm1", "direction", dir, "group", r.Group, "index", idx)
			ruleHits += float64(r.Packets)
		}
	}
	if ruleHits == 0 || fixedHits == 0 {
		t.Errorf("vm1's security group rules counted %v packets, its fixed rules %v; want some of each", ruleHits, fixedHits)
	}

	// Served over HTTP in the text format, with HELP and TYPE lines.
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	text := body.String()
	for _, want := range []string{
		"# TYPE neutrino_port_rx_frames_total counter\n",
		"# TYPE neutrino_conntrack_entries gauge\n",
		fmt.Sprintf("neutrino_port_rx_frames_total{kind=\"port\",node=\"network\",port=\"vm1\"} %d\n", len(frames)),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// The collector of a node with no router, DHCP, tunnel or security group
// still answers: ports, drops, FDB and an empty connection table.
func TestMetricsCollectorPlainNode(t *testing.T) {
	topo := filepath.Join(t.TempDir(), "lab.yaml")
	plain := `version: 1
networks:
  - name: demo
    type: local
    subnets: [{name: demo-subnet, cidr: 10.0.0.0/24, enable_dhcp: false}]
ports:
  - {name: vm1, network: demo, fixed_ips: [10.0.0.11], port_security: false}
  - {name: vm3, network: demo, fixed_ips: [10.0.0.13], port_security: false}
`
	if err := os.WriteFile(topo, []byte(plain), 0o644); err != nil {
		t.Fatal(err)
	}
	m := newMetricsNode(t, topo, "", nil)
	mfs := families(t, newNodeCollector(m.n, "local"))
	if v, ok := value(mfs, "neutrino_port_rx_frames_total", "port", "vm3"); !ok || v != 0 {
		t.Errorf("vm3 rx frames %v %v, want 0", v, ok)
	}
	if v, ok := value(mfs, "neutrino_conntrack_entries"); !ok || v != 0 {
		t.Errorf("conntrack entries %v %v, want 0", v, ok)
	}
	for _, name := range []string{"neutrino_tunnel_tx_frames_total", "neutrino_nat_bindings", "neutrino_dhcp_leases",
		"neutrino_dhcp_port_frames_total", "neutrino_security_group_rule_packets_total", "neutrino_security_group_fixed_rule_packets_total"} {
		if mfs[name] != nil {
			t.Errorf("%s on a node without any: %v", name, mfs[name].GetMetric())
		}
	}
}

// A metrics address that is taken, or malformed, stops run at start: it
// says so naming --metrics and the address, and creates nothing: no
// control socket, no state directory, no TAP device.
func TestRunMetricsAddressStartsNothing(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	dir := t.TempDir()
	// Were the address not checked first, the node would create the TAP
	// device and then fail on the uplink's missing interface.
	tap := "ntm" + strconv.Itoa(os.Getpid()%100000)
	topo := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(topo, []byte(fmt.Sprintf(`version: 1
uplinks:
  - {name: physnet1, interface: ntmissing0}
networks:
  - {name: demo, type: flat, physical: physnet1, subnets: [{name: s, cidr: 10.0.0.0/24}]}
ports:
  - {name: vm1, network: demo, device: %s, fixed_ips: [10.0.0.11]}
`, tap)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ addr, want string }{
		{addr, "neutrino run: --metrics " + addr + ": bind: address already in use"},
		{"127.0.0.1", "neutrino run: --metrics 127.0.0.1: address 127.0.0.1: missing port in address"},
		{"127.0.0.1:99999", "neutrino run: --metrics 127.0.0.1:99999: "},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			socket := filepath.Join(dir, "node.sock")
			state := filepath.Join(dir, "state")
			code, _, errs := runCLI("run", "--socket", socket, "--state-dir", state, "--metrics", tc.addr, topo)
			if code != 1 || !strings.HasPrefix(errs, tc.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, tc.want)
			}
			for _, p := range []string{socket, state, filepath.Join("/sys/class/net", tap)} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s was created: %v", p, err)
				}
			}
		})
	}
}
