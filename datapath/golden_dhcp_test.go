package datapath

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"neutrino/dhcp"
)

// The DHCP golden replay fixtures: each case's frames enter the node of
// testdata/golden-dhcp/topology.yaml; what leaves each port is compared
// with testdata/golden-dhcp/CASE/out/PORT.pcap and the counters (ports,
// drops and every DHCP port's) with counters.txt. Besides the bytes, each
// case decodes the replies and checks what RFC 2131 and Neutron's dnsmasq
// say they must hold, and every frame that leaves has valid checksums.

const goldenDHCPDir = "testdata/golden-dhcp"

// The ports of the topology.
var (
	gdVM1   = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 1} // demo-subnet, 10.10.0.11
	gdVM2   = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 2} // demo-static, 10.20.0.12
	gdVM3   = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 3} // demo-subnet, 10.10.0.13, extra_dhcp_opts
	gdRelay = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 4} // trusted, 10.10.0.254
	gdPool1 = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 5} // no fixed IPs
	gdPool2 = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 6}
	gdPool3 = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 1, 7}
	gdLg1   = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 2, 1} // legacy, 10.30.0.11
	gdLg2   = net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 2, 2} // legacy, no fixed IPs

	gdRemote  = net.HardwareAddr{0x52, 0x54, 0, 0xaa, 0, 1} // a client behind the relay or the uplink
	gdRemote2 = net.HardwareAddr{0x52, 0x54, 0, 0xaa, 0, 2}
	// A relay agent on the physical network.
	gdUplinkRelay = net.HardwareAddr{0x52, 0x54, 0, 0xbb, 0, 1}
)

// The pool of demo-subnet.
var gdPool = []string{"10.10.0.100", "10.10.0.101"}

// gdNet is what the cases need of the topology: the DHCP ports' MACs.
type gdNet struct {
	demoMAC, legacyMAC net.HardwareAddr
}

// gdCase is one fixture: its input frames and what its outputs must hold.
type gdCase struct {
	frames []timed
	check  func(t *testing.T, o gdOutputs)
	skip   string // a known bug: the case checks the right behaviour and is skipped
}

func TestReplayGoldenDHCP(t *testing.T) {
	spec := loadTestSpec(t, filepath.Join(goldenDHCPDir, "topology.yaml"), "")
	var tn gdNet
	for _, n := range spec.Networks {
		if n.DHCP == nil {
			t.Fatalf("network %s has no DHCP port", n.Name)
		}
		switch n.Name {
		case "demo":
			tn.demoMAC = n.DHCP.MAC
		case "legacy":
			tn.legacyMAC = n.DHCP.MAC
		}
	}
	if tn.demoMAC == nil || tn.legacyMAC == nil {
		t.Fatal("the topology has no networks demo and legacy")
	}
	cases := goldenDHCPCases(t, spec, tn)
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c := cases[name]
			dir := filepath.Join(goldenDHCPDir, name)
			inputs := goldenInputs(t, dir, c.frames)
			out := t.TempDir()
			res, err := Replay(spec, inputs, out, ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{"counters.txt": []byte(countersText(res.Counters) + dhcpCountersText(res.Counters))}
			o := gdOutputs{t: t, net: tn, ports: map[string][]gdFrame{}, counters: res.Counters}
			for _, po := range res.Outputs {
				b, err := os.ReadFile(po.Path)
				if err != nil {
					t.Fatal(err)
				}
				got[filepath.Join("out", po.Port+".pcap")] = b
				o.ports[po.Port] = readGDFrames(t, po.Port, b)
			}
			checkGolden(t, dir, got, "TestReplayGoldenDHCP")
			// Every frame that leaves the node has valid checksums.
			for port, frames := range o.ports {
				for i, f := range frames {
					if err := checkFrameChecksums(f.data); err != nil {
						t.Errorf("%s frame %d (%s): %v", port, i+1, frameSummary(f.data), err)
					}
				}
			}
			// Each DHCP reply leaves at the capture time of the
			// message it answers.
			t.Run("reply-times", func(t *testing.T) {
				checkReplyTimes(t, c.frames, o)
			})
			if c.skip != "" {
				t.Skip("known bug: " + c.skip)
			}
			c.check(t, o)
		})
	}
}

// checkReplyTimes checks every DHCP reply that left carries the
// timestamp of the message it answers (the same xid: the cases never
// reuse one).
func checkReplyTimes(t *testing.T, in []timed, o gdOutputs) {
	t.Helper()
	sent := map[dhcpv4.TransactionID]time.Duration{}
	for _, f := range in {
		p := gopacket.NewPacket(f.frame, layers.LayerTypeEthernet, gopacket.Default)
		if udp, ok := p.Layer(layers.LayerTypeUDP).(*layers.UDP); ok && udp.DstPort == 67 {
			if d, err := dhcpv4.FromBytes(udp.LayerPayload()); err == nil {
				sent[d.TransactionID] = f.at
			}
		}
	}
	for port := range o.ports {
		for _, r := range o.replies(port) {
			if r.msg == nil {
				continue
			}
			if want, ok := sent[r.msg.TransactionID]; !ok {
				t.Errorf("%s: reply xid %v answers nothing sent", port, r.msg.TransactionID)
			} else if r.at != want {
				t.Errorf("%s: reply xid %v leaves at %v from the start, want %v", port, r.msg.TransactionID, r.at, want)
			}
		}
	}
}

// dhcpCountersText renders the DHCP ports' counters for counters.txt.
func dhcpCountersText(c Counters) string {
	var b strings.Builder
	for _, nw := range slices.Sorted(mapKeys(c.DHCP)) {
		for _, k := range slices.Sorted(mapKeys(c.DHCP[nw])) {
			fmt.Fprintf(&b, "dhcp %s %s: %d\n", nw, k, c.DHCP[nw][k])
		}
	}
	return b.String()
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// goldenDHCPCases are the DHCP fixtures.
func goldenDHCPCases(t testing.TB, spec *Spec, tn gdNet) map[string]gdCase {
	// pa is the pool address pool1 gets first, pb the one a second client
	// gets then; pr the one the relayed client gets.
	pa, pb := gdPoolFirst(t, spec, gdPool1)
	pr, _ := gdPoolFirst(t, spec, gdRemote)
	if pa == pb || !slices.Contains(gdPool, pa) || !slices.Contains(gdPool, pr) {
		t.Fatalf("pool addresses %s, %s, %s: want addresses of %v", pa, pb, pr, gdPool)
	}
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	m := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	b := gdBuilder{t: t, net: tn}
	sid := func(a string) dhcpv4.Modifier { return dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip4(a))) }
	req := func(a string) dhcpv4.Modifier { return dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip4(a))) }
	ci := func(a string) dhcpv4.Modifier { return dhcpv4.WithClientIP(ip4(a)) }
	bcast := dhcpv4.WithBroadcast(true)
	host := func(name string) dhcpv4.Modifier { return dhcpv4.WithOption(dhcpv4.OptHostName(name)) }

	return map[string]gdCase{
		// A static host's DISCOVER gets its fixed address, with the
		// subnet's options, on each subnet kind: gateway and routes,
		// no gateway, Neutron's plain static subnet.
		"discover-offer": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x101, dhcpv4.MessageTypeDiscover)},
				{"vm2", s(1), b.client(gdVM2, 0x102, dhcpv4.MessageTypeDiscover)},
				{"lg1", s(2), b.client(gdLg1, 0x103, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x101, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11",
					server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				o.onlyReplies("vm2", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x102, yiaddr: "10.20.0.12", dstMAC: gdVM2, dstIP: "10.20.0.12",
					server: "10.20.0.2", opts: staticOpts("host-10-20-0-12")})
				o.onlyReplies("lg1", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x103, yiaddr: "10.30.0.11", dstMAC: gdLg1, dstIP: "10.30.0.11",
					server: "10.30.0.2", legacy: true, opts: legacyOpts("host-10-30-0-11")})
				o.nothingOn("vm3", "relay", "pool1", "pool2", "pool3", "lg2", "physnet1")
				o.counter("demo", "tx_offer", 2)
				o.counter("legacy", "tx_offer", 1)
			},
		},
		// SELECTING: the REQUEST names our server and the offered
		// address: ACKed with the same options.
		"request-ack": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x201, dhcpv4.MessageTypeDiscover)},
				{"vm1", s(1), b.client(gdVM1, 0x202, dhcpv4.MessageTypeRequest, req("10.10.0.11"), sid("10.10.0.2"), host("vm1"))},
				{"vm2", s(2), b.client(gdVM2, 0x203, dhcpv4.MessageTypeDiscover)},
				{"vm2", s(3), b.client(gdVM2, 0x204, dhcpv4.MessageTypeRequest, req("10.20.0.12"), sid("10.20.0.2"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x201, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x202, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				o.onlyReplies("vm2",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x203, yiaddr: "10.20.0.12", dstMAC: gdVM2, dstIP: "10.20.0.12", server: "10.20.0.2", opts: staticOpts("host-10-20-0-12")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x204, yiaddr: "10.20.0.12", dstMAC: gdVM2, dstIP: "10.20.0.12", server: "10.20.0.2", opts: staticOpts("host-10-20-0-12")})
				o.counter("demo", "tx_ack", 2)
			},
		},
		// A REQUEST naming another server: the client chose it; we stay
		// silent (RFC 2131 §4.3.2), counted wrong_server.
		"request-other-server": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x301, dhcpv4.MessageTypeDiscover)},
				{"vm1", s(1), b.client(gdVM1, 0x302, dhcpv4.MessageTypeRequest, req("10.10.0.11"), sid("10.10.0.9"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x301, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				o.drop("dhcp_wrong_server", 1)
			},
		},
		// INIT-REBOOT (option 50, no server identifier, ciaddr 0): the
		// client's own address is ACKed; another address of the subnet,
		// or one of another network, is NAKed, broadcast.
		"init-reboot": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x401, dhcpv4.MessageTypeRequest, req("10.10.0.11"))},
				{"vm1", s(1), b.client(gdVM1, 0x402, dhcpv4.MessageTypeRequest, req("10.10.0.99"))},
				{"vm1", s(2), b.client(gdVM1, 0x403, dhcpv4.MessageTypeRequest, req("192.168.9.9"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1",
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x401, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")},
					nakWant(0x402, "10.10.0.2"),
					nakWant(0x403, "10.10.0.2"))
				o.counter("demo", "tx_nak", 2)
			},
		},
		// RENEWING at T1: unicast to the DHCP port's address, ciaddr set,
		// no option 50 or 54: ACKed unicast to ciaddr, ciaddr echoed. A
		// pool client's renewal keeps its address.
		"renewing": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x501, dhcpv4.MessageTypeRequest, req("10.10.0.11"))},
				{"pool1", s(1), b.client(gdPool1, 0x502, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(2), b.poolRequest(gdPool1, pa, 0x503)},
				{"vm1", m(5), b.unicast(gdVM1, "10.10.0.11", 0x504, dhcpv4.MessageTypeRequest, ci("10.10.0.11"))},
				{"pool1", m(5) + s(2), b.renew(gdPool1, pa, 0x505)},
			},
			check: func(t *testing.T, o gdOutputs) {
				r := o.replies("vm1")
				if o.count("vm1", 2) {
					o.expect(r[1], gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x504, yiaddr: "10.10.0.11", ciaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11",
						server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				}
				o.onlyReplies("pool1",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x502, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x503, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x505, yiaddr: pa, ciaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")})
			},
		},
		// REBINDING at T2: broadcast, ciaddr set: ACKed unicast to
		// ciaddr all the same.
		"rebinding": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x601, dhcpv4.MessageTypeRequest, req("10.10.0.11"))},
				{"vm1", s(530), b.rebind(gdVM1, "10.10.0.11", 0x602)},
				{"vm2", s(531), b.rebind(gdVM2, "10.20.0.12", 0x603)},
			},
			check: func(t *testing.T, o gdOutputs) {
				r := o.replies("vm1")
				if o.count("vm1", 2) {
					o.expect(r[1], gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x602, yiaddr: "10.10.0.11", ciaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11",
						server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				}
				o.onlyReplies("vm2", gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x603, yiaddr: "10.20.0.12", ciaddr: "10.20.0.12", dstMAC: gdVM2, dstIP: "10.20.0.12",
					server: "10.20.0.2", opts: staticOpts("host-10-20-0-12")})
			},
		},
		// A REQUEST for an address that is not the client's is NAKed:
		// another host's fixed address; a pool address leased to another
		// client, by a client with a lease and by one we have no record
		// of. A client we know nothing of asking for an address outside
		// the pool gets no answer (RFC 2131 §4.3.2: remain silent).
		"nak-not-yours": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x701, dhcpv4.MessageTypeRequest, req("10.10.0.13"), sid("10.10.0.2"))},
				{"pool1", s(1), b.client(gdPool1, 0x702, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(2), b.poolRequest(gdPool1, pa, 0x703)},
				{"pool2", s(3), b.client(gdPool2, 0x704, dhcpv4.MessageTypeDiscover)},
				{"pool2", s(4), b.poolRequest(gdPool2, pb, 0x705)},
				{"pool1", s(5), b.reboot(gdPool1, pb, 0x706)},
				{"pool3", s(6), b.reboot(gdPool3, pa, 0x707)},
				{"pool3", s(7), b.client(gdPool3, 0x708, dhcpv4.MessageTypeRequest, req("10.10.0.50"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1", nakWant(0x701, "10.10.0.2"))
				o.onlyReplies("pool1",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x702, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x703, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")},
					nakWant(0x706, "10.10.0.2"))
				o.onlyReplies("pool2",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x704, yiaddr: pb, dstMAC: gdPool2, dstIP: pb, server: "10.10.0.2", opts: demoOpts("")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x705, yiaddr: pb, dstMAC: gdPool2, dstIP: pb, server: "10.10.0.2", opts: demoOpts("")})
				o.onlyReplies("pool3", nakWant(0x707, "10.10.0.2"))
				o.drop("dhcp_unknown_client", 1)
			},
		},
		// The broadcast flag: set, the OFFER and ACK are broadcast to
		// ff:ff:ff:ff:ff:ff and 255.255.255.255 with the flag echoed;
		// clear, unicast to yiaddr at chaddr.
		"broadcast-flag": {
			frames: []timed{
				{"vm1", s(0), b.client(gdVM1, 0x801, dhcpv4.MessageTypeDiscover, bcast)},
				{"vm1", s(1), b.client(gdVM1, 0x802, dhcpv4.MessageTypeDiscover)},
				{"vm1", s(2), b.client(gdVM1, 0x803, dhcpv4.MessageTypeRequest, req("10.10.0.11"), sid("10.10.0.2"), bcast)},
				{"vm1", s(3), b.client(gdVM1, 0x804, dhcpv4.MessageTypeRequest, req("10.10.0.11"), sid("10.10.0.2"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x801, yiaddr: "10.10.0.11", dstMAC: broadcast, dstIP: "255.255.255.255", bcast: true, server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")},
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x802, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x803, yiaddr: "10.10.0.11", dstMAC: broadcast, dstIP: "255.255.255.255", bcast: true, server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x804, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				// A broadcast answer still leaves only the asking port.
				o.nothingOn("vm2", "vm3", "relay", "pool1", "pool2", "pool3", "physnet1")
			},
		},
		// The port's extra_dhcp_opts: the MTU overridden, options added
		// by name (119, 42, 66, 67) and by number (252),
		// server-ip-address as siaddr; the subnet's other options stay.
		"extra-opts": {
			frames: []timed{
				{"vm3", s(0), b.client(gdVM3, 0x901, dhcpv4.MessageTypeDiscover)},
				{"vm3", s(1), b.client(gdVM3, 0x902, dhcpv4.MessageTypeRequest, req("10.10.0.13"), sid("10.10.0.2"))},
				{"vm1", s(2), b.client(gdVM1, 0x903, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm3",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x901, yiaddr: "10.10.0.13", siaddr: "10.10.0.5", dstMAC: gdVM3, dstIP: "10.10.0.13", server: "10.10.0.2", opts: vm3Opts()},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0x902, yiaddr: "10.10.0.13", siaddr: "10.10.0.5", dstMAC: gdVM3, dstIP: "10.10.0.13", server: "10.10.0.2", opts: vm3Opts()})
				for _, r := range o.replies("vm3") {
					ds := r.msg.DomainSearch()
					if ds == nil || !slices.Equal(ds.Labels, []string{"example.test", "corp.example"}) {
						t.Errorf("xid %#x: option 119 is %v, want [example.test corp.example]", r.msg.TransactionID, ds)
					}
					if got := r.msg.BootFileNameOption(); got != "pxelinux.0" {
						t.Errorf("xid %#x: option 67 is %q", r.msg.TransactionID, got)
					}
				}
				// Another port of the subnet gets none of them.
				o.onlyReplies("vm1", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x903, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
			},
		},
		// An unknown MAC where there is no pool gets no answer, counted
		// unknown_client: a port without fixed IPs on legacy (Neutron's
		// static-only DHCP), a client relayed into demo-static, a REQUEST
		// from such a client. The static host beside it is answered.
		"unknown-mac-static-subnet": {
			frames: []timed{
				{"lg2", s(0), b.client(gdLg2, 0xa01, dhcpv4.MessageTypeDiscover)},
				{"lg2", s(1), b.client(gdLg2, 0xa02, dhcpv4.MessageTypeRequest, req("10.30.0.50"))},
				{"relay", s(2), b.relayed(gdRemote, "10.20.0.1", 0xa03, dhcpv4.MessageTypeDiscover)},
				{"lg1", s(3), b.client(gdLg1, 0xa04, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("lg1", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0xa04, yiaddr: "10.30.0.11", dstMAC: gdLg1, dstIP: "10.30.0.11",
					server: "10.30.0.2", legacy: true, opts: legacyOpts("host-10-30-0-11")})
				o.nothingOn("lg2", "relay", "physnet1")
				o.drop("dhcp_unknown_client", 3)
				o.counter("legacy", "unknown_client", 2)
				o.counter("demo", "unknown_client", 1)
			},
		},
		// An unknown MAC is served from the pool: the same address on a
		// second DISCOVER, ACKed, and offered again after the ACK; no
		// hostname option (it has no host entry).
		"pool": {
			frames: []timed{
				{"pool1", s(0), b.client(gdPool1, 0xb01, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(1), b.client(gdPool1, 0xb02, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(2), b.poolRequest(gdPool1, pa, 0xb03)},
				{"pool1", s(3), b.client(gdPool1, 0xb04, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				r := o.replies("pool1")
				if !o.count("pool1", 4) {
					return
				}
				w := gdWant{typ: dhcpv4.MessageTypeOffer, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")}
				for i, typ := range []dhcpv4.MessageType{dhcpv4.MessageTypeOffer, dhcpv4.MessageTypeOffer, dhcpv4.MessageTypeAck, dhcpv4.MessageTypeOffer} {
					w.typ, w.xid = typ, uint32(0xb01+i)
					o.expect(r[i], w)
				}
			},
		},
		// DECLINE: the client found its address in use; its next
		// DISCOVER gets the other one, and the declined address is
		// offered to nobody (the pool is then exhausted).
		"decline-then-discover": {
			frames: []timed{
				{"pool1", s(0), b.client(gdPool1, 0xc01, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(1), b.poolRequest(gdPool1, pa, 0xc02)},
				{"pool1", s(2), b.decline(gdPool1, pa, 0xc03)},
				{"pool1", s(3), b.client(gdPool1, 0xc04, dhcpv4.MessageTypeDiscover)},
				{"pool2", s(4), b.client(gdPool2, 0xc05, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("pool1",
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0xc01, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")},
					gdWant{typ: dhcpv4.MessageTypeAck, xid: 0xc02, yiaddr: pa, dstMAC: gdPool1, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")},
					gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0xc04, yiaddr: pb, dstMAC: gdPool1, dstIP: pb, server: "10.10.0.2", opts: demoOpts("")})
				o.nothingOn("pool2")
				o.counter("demo", "declined", 1)
				o.drop("dhcp_pool_exhausted", 1)
			},
		},
		// RELEASE frees the address at once: with the pool exhausted,
		// pool3 gets nothing, then after pool1's RELEASE the address
		// pool1 released. A static host's RELEASE is counted, not
		// answered.
		"release": {
			frames: []timed{
				{"pool1", s(0), b.client(gdPool1, 0xd01, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(1), b.poolRequest(gdPool1, pa, 0xd02)},
				{"pool2", s(2), b.client(gdPool2, 0xd03, dhcpv4.MessageTypeDiscover)},
				{"pool2", s(3), b.poolRequest(gdPool2, pb, 0xd04)},
				{"pool3", s(4), b.client(gdPool3, 0xd05, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(5), b.release(gdPool1, pa, 0xd06)},
				{"pool3", s(6), b.client(gdPool3, 0xd07, dhcpv4.MessageTypeDiscover)},
				{"vm1", s(7), b.unicast(gdVM1, "10.10.0.11", 0xd08, dhcpv4.MessageTypeRelease, ci("10.10.0.11"), sid("10.10.0.2"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.count("pool1", 2)
				o.count("pool2", 2)
				o.onlyReplies("pool3", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0xd07, yiaddr: pa, dstMAC: gdPool3, dstIP: pa, server: "10.10.0.2", opts: demoOpts("")})
				o.nothingOn("vm1")
				o.counter("demo", "released", 2)
				o.counter("demo", "rx_release", 2)
				o.drop("dhcp_pool_exhausted", 1)
			},
		},
		// INFORM: the options without a lease (no yiaddr, no 51, 58, 59),
		// unicast to ciaddr: a static host on each subnet, and a pool
		// client.
		"inform": {
			frames: []timed{
				{"vm1", s(0), b.unicast(gdVM1, "10.10.0.11", 0xe01, dhcpv4.MessageTypeInform, ci("10.10.0.11"))},
				{"vm2", s(1), b.unicast(gdVM2, "10.20.0.12", 0xe02, dhcpv4.MessageTypeInform, ci("10.20.0.12"))},
				{"pool1", s(2), b.unicast(gdPool1, "10.10.0.100", 0xe03, dhcpv4.MessageTypeInform, ci("10.10.0.100"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1", gdWant{typ: dhcpv4.MessageTypeAck, xid: 0xe01, yiaddr: "0.0.0.0", ciaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11",
					server: "10.10.0.2", opts: withoutLease(demoOpts("host-10-10-0-11"))})
				o.onlyReplies("vm2", gdWant{typ: dhcpv4.MessageTypeAck, xid: 0xe02, yiaddr: "0.0.0.0", ciaddr: "10.20.0.12", dstMAC: gdVM2, dstIP: "10.20.0.12",
					server: "10.20.0.2", opts: withoutLease(staticOpts("host-10-20-0-12"))})
				o.onlyReplies("pool1", gdWant{typ: dhcpv4.MessageTypeAck, xid: 0xe03, yiaddr: "0.0.0.0", ciaddr: "10.10.0.100", dstMAC: gdPool1, dstIP: "10.10.0.100",
					server: "10.10.0.2", opts: withoutLease(demoOpts(""))})
				o.counter("demo", "rx_inform", 3)
			},
		},
		// A relay on a trusted port (port_security false): answered to
		// giaddr:67 at the relay's MAC, giaddr echoed, from the subnet
		// of giaddr only: a remote client from the pool of demo-subnet,
		// vm2's MAC on demo-static; a NAK through a relay has the
		// broadcast flag set (RFC 2131 §4.3.2).
		"relay-trusted": {
			frames: []timed{
				{"relay", s(0), b.relayed(gdRemote, "10.10.0.254", 0xf01, dhcpv4.MessageTypeDiscover)},
				{"relay", s(1), b.relayed(gdRemote, "10.10.0.254", 0xf02, dhcpv4.MessageTypeRequest, req(pr), sid("10.10.0.2"))},
				{"relay", s(2), b.relayed(gdVM2, "10.20.0.1", 0xf03, dhcpv4.MessageTypeDiscover)},
				{"relay", s(3), b.relayed(gdRemote2, "10.10.0.254", 0xf04, dhcpv4.MessageTypeRequest, req("10.10.0.77"), sid("10.10.0.2"))},
			},
			check: func(t *testing.T, o gdOutputs) {
				r := o.replies("relay")
				if !o.count("relay", 4) {
					return
				}
				w := gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0xf01, yiaddr: pr, giaddr: "10.10.0.254", chaddr: gdRemote, dstMAC: gdRelay, dstIP: "10.10.0.254", dstPort: 67,
					server: "10.10.0.2", opts: demoOpts("")}
				o.expect(r[0], w)
				w.typ, w.xid = dhcpv4.MessageTypeAck, 0xf02
				o.expect(r[1], w)
				o.expect(r[2], gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0xf03, yiaddr: "10.20.0.12", giaddr: "10.20.0.1", chaddr: gdVM2, dstMAC: gdRelay, dstIP: "10.20.0.1", dstPort: 67,
					server: "10.20.0.2", opts: staticOpts("host-10-20-0-12")})
				n := nakWant(0xf04, "10.10.0.2")
				n.giaddr, n.chaddr, n.dstMAC, n.dstIP, n.dstPort, n.bcast = "10.10.0.254", gdRemote2, gdRelay, "10.10.0.254", 67, true
				o.expect(r[3], n)
				o.nothingOn("vm1", "vm2", "physnet1")
			},
		},
		// A relayed message from a port with port security is dropped,
		// counted dhcp_relay_untrusted; so is a DISCOVER whose chaddr is
		// not the sender's MAC (dhcp_chaddr_mismatch).
		"relay-untrusted": {
			frames: []timed{
				{"vm1", s(0), b.relayedFrom(gdVM1, "10.10.0.11", gdRemote, "10.10.0.254", 0x1001, dhcpv4.MessageTypeDiscover)},
				{"vm1", s(1), b.clientAs(gdVM1, gdVM3, 0x1002, dhcpv4.MessageTypeDiscover)},
				{"vm1", s(2), b.client(gdVM1, 0x1003, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.onlyReplies("vm1", gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x1003, yiaddr: "10.10.0.11", dstMAC: gdVM1, dstIP: "10.10.0.11", server: "10.10.0.2", opts: demoOpts("host-10-10-0-11")})
				o.nothingOn("vm3", "relay", "physnet1")
				o.drop("dhcp_relay_untrusted", 1)
				o.drop("dhcp_chaddr_mismatch", 1)
				o.counter("demo", "relay_untrusted", 1)
			},
		},
		// Leases expire on the capture clock (lease_time 600 s): with
		// both pool addresses leased, pool3 gets nothing at 5 min; pool2
		// renews at 6 min; at 11 min pool1's lease (taken at 1 s) has
		// expired and pool3 gets its address; pool1, back at 12 min, is
		// NAKed for it and finds the pool exhausted.
		"lease-expiry": {
			frames: []timed{
				{"pool1", s(0), b.client(gdPool1, 0x1101, dhcpv4.MessageTypeDiscover)},
				{"pool1", s(1), b.poolRequest(gdPool1, pa, 0x1102)},
				{"pool2", s(2), b.client(gdPool2, 0x1103, dhcpv4.MessageTypeDiscover)},
				{"pool2", s(3), b.poolRequest(gdPool2, pb, 0x1104)},
				{"pool3", m(5), b.client(gdPool3, 0x1105, dhcpv4.MessageTypeDiscover)},
				{"pool2", m(6), b.renew(gdPool2, pb, 0x1106)},
				{"pool3", m(11), b.client(gdPool3, 0x1107, dhcpv4.MessageTypeDiscover)},
				{"pool3", m(11) + s(1), b.poolRequest(gdPool3, pa, 0x1108)},
				{"pool1", m(12), b.reboot(gdPool1, pa, 0x1109)},
				{"pool1", m(12) + s(1), b.client(gdPool1, 0x110a, dhcpv4.MessageTypeDiscover)},
			},
			check: func(t *testing.T, o gdOutputs) {
				offer := func(xid uint32, mac net.HardwareAddr, a string) gdWant {
					return gdWant{typ: dhcpv4.MessageTypeOffer, xid: xid, yiaddr: a, dstMAC: mac, dstIP: a, server: "10.10.0.2", opts: demoOpts("")}
				}
				ack := func(xid uint32, mac net.HardwareAddr, a string) gdWant {
					w := offer(xid, mac, a)
					w.typ = dhcpv4.MessageTypeAck
					return w
				}
				renewed := ack(0x1106, gdPool2, pb)
				renewed.ciaddr = pb
				o.onlyReplies("pool1", offer(0x1101, gdPool1, pa), ack(0x1102, gdPool1, pa), nakWant(0x1109, "10.10.0.2"))
				o.onlyReplies("pool2", offer(0x1103, gdPool2, pb), ack(0x1104, gdPool2, pb), renewed)
				o.onlyReplies("pool3", offer(0x1107, gdPool3, pa), ack(0x1108, gdPool3, pa))
				o.drop("dhcp_pool_exhausted", 2)
			},
		},
		// ARP for the DHCP port's addresses (one per subnet, one port per
		// network) is answered back out the asking port; ARP for another
		// network's DHCP address is not (it floods on the asker's
		// network like any ARP).
		"arp-dhcp-ip": {
			frames: []timed{
				{"vm1", s(0), b.arp(gdVM1, "10.10.0.11", "10.10.0.2")},
				{"vm2", s(1), b.arp(gdVM2, "10.20.0.12", "10.20.0.2")},
				{"lg1", s(2), b.arp(gdLg1, "10.30.0.11", "10.30.0.2")},
				{"vm3", s(3), b.arp(gdVM3, "10.10.0.13", "10.30.0.2")},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.arpReply("vm1", tn.demoMAC, "10.10.0.2", gdVM1, "10.10.0.11")
				o.arpReply("vm2", tn.demoMAC, "10.20.0.2", gdVM2, "10.20.0.12")
				o.arpReply("lg1", tn.legacyMAC, "10.30.0.2", gdLg1, "10.30.0.11")
				o.nothingOn("vm3", "lg2")
				// vm3's ARP for legacy's address floods on demo: the
				// other demo ports and the uplink, and nothing answers.
				for _, port := range []string{"vm1", "vm2", "relay", "pool1", "pool2", "pool3", "physnet1"} {
					fs := o.ports[port]
					if n := len(fs); n == 0 || !bytes.Equal(fs[n-1].data[6:12], gdVM3) {
						t.Errorf("%s: vm3's ARP did not flood there", port)
					}
				}
				o.counter("demo", "arp_requests", 2)
				o.counter("legacy", "arp_requests", 1)
			},
		},
		// An ICMP echo to a DHCP port's address is answered.
		"ping-dhcp-ip": {
			frames: []timed{
				{"vm1", s(0), b.ping(gdVM1, tn.demoMAC, "10.10.0.11", "10.10.0.2", 1)},
				{"vm2", s(1), b.ping(gdVM2, tn.demoMAC, "10.20.0.12", "10.20.0.2", 2)},
			},
			check: func(t *testing.T, o gdOutputs) {
				o.echoReply("vm1", tn.demoMAC, gdVM1, "10.10.0.2", "10.10.0.11", 1)
				o.echoReply("vm2", tn.demoMAC, gdVM2, "10.20.0.2", "10.20.0.12", 2)
				o.counter("demo", "icmp_echoes", 2)
			},
		},
		// DHCP from the uplink (trusted, tagged): a client on the
		// physical network gets a pool address, the OFFER tagged back out
		// the uplink; on legacy (no pool) nothing. The DISCOVERs flood
		// to the network's VM ports as any broadcast, where only the
		// relay, without port security, takes it: the others' security
		// groups allow nothing in from a host that is no member.
		"uplink": {
			frames: []timed{
				{"physnet1", s(0), b.tagged(gdRemote, 100, 0x1201)},
				{"physnet1", s(1), b.tagged(gdRemote2, 200, 0x1202)},
			},
			check: func(t *testing.T, o gdOutputs) {
				r := o.replies("physnet1")
				if !o.count("physnet1", 1) {
					return
				}
				o.expect(r[0], gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x1201, yiaddr: pr, dstMAC: gdRemote, dstIP: pr, vlan: 100, server: "10.10.0.2", opts: demoOpts("")})
				if n := len(o.ports["relay"]); n != 1 {
					t.Errorf("relay: %d frames, want the flooded DISCOVER on demo", n)
				}
				for _, port := range []string{"vm1", "vm2", "vm3", "pool1", "pool2", "pool3", "lg1", "lg2"} {
					if n := len(o.ports[port]); n != 0 {
						t.Errorf("%s: %d frames, want none: its security groups drop the DISCOVER", port, n)
					}
				}
				o.counter("legacy", "unknown_client", 1)
			},
		},
		// A relay agent on the physical network (trusted, as the
		// uplink is) sends unicast to the DHCP port: answered to giaddr
		// at the relay's MAC, tagged back out the uplink. Frames for
		// the DHCP port reach no VM port (Neutron delivers them to the
		// DHCP port alone: its MAC is learned on br-int).
		"uplink-relay": {
			frames: []timed{
				{"physnet1", s(0), b.uplinkRelayed(gdRemote, "10.10.0.250", 100, 0x1301)},
			},
			check: func(t *testing.T, o gdOutputs) {
				r := o.replies("physnet1")
				if !o.count("physnet1", 1) {
					return
				}
				o.expect(r[0], gdWant{typ: dhcpv4.MessageTypeOffer, xid: 0x1301, yiaddr: pr, giaddr: "10.10.0.250", chaddr: gdRemote, dstMAC: gdUplinkRelay, dstIP: "10.10.0.250", dstPort: 67,
					vlan: 100, server: "10.10.0.2", opts: demoOpts("")})
				o.nothingOn("vm1", "vm2", "vm3", "relay", "pool1", "pool2", "pool3", "lg1", "lg2")
			},
		},
		// A DHCP message unicast to another host (a DHCP server or relay
		// on a VM, as for bare-metal provisioning) is that host's: it
		// crosses br-int to it and the DHCP port does not answer it
		// (in Neutron dnsmasq never sees it).
		"unicast-to-other-server": {
			frames: []timed{
				{"relay", s(0), b.arp(gdRelay, "10.10.0.254", "10.10.0.11")},
				{"vm1", s(1), b.frame(gdVM1, gdRelay, 0, "10.10.0.11", "10.10.0.254", 68, 67,
					b.msg(gdVM1, 0x1401, dhcpv4.MessageTypeRequest, ci("10.10.0.11")))},
			},
			check: func(t *testing.T, o gdOutputs) {
				fs := o.ports["relay"]
				if len(fs) != 1 || !bytes.Equal(fs[0].data[:6], gdRelay) || !bytes.Equal(fs[0].data[6:12], gdVM1) {
					t.Errorf("relay: %d frames, want vm1's REQUEST", len(fs))
				}
				o.count("vm1", 0)
				o.counter("demo", "dhcp_messages", 0)
			},
		},
		// ARP for the DHCP port's address from the physical network is
		// answered tagged back out the uplink; the request, broadcast,
		// floods to the network's VM ports as any broadcast.
		"uplink-arp": {
			frames: []timed{
				{"physnet1", s(0), b.taggedARP(gdRemote, 100, "10.10.0.77", "10.10.0.2")},
			},
			check: func(t *testing.T, o gdOutputs) {
				fs := o.ports["physnet1"]
				if len(fs) != 1 {
					t.Fatalf("physnet1: %d frames, want the ARP reply", len(fs))
				}
				p := gopacket.NewPacket(fs[0].data, layers.LayerTypeEthernet, gopacket.Default)
				eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
				q, _ := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
				a, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
				if eth == nil || q == nil || a == nil || q.VLANIdentifier != 100 || a.Operation != layers.ARPReply ||
					!bytes.Equal(eth.SrcMAC, tn.demoMAC) || !bytes.Equal(eth.DstMAC, gdRemote) ||
					!bytes.Equal(a.SourceHwAddress, tn.demoMAC) || net.IP(a.SourceProtAddress).String() != "10.10.0.2" ||
					!bytes.Equal(a.DstHwAddress, gdRemote) || net.IP(a.DstProtAddress).String() != "10.10.0.77" {
					t.Errorf("physnet1: %s, want the ARP reply 10.10.0.2 is-at %s to %s, vlan 100", frameSummary(fs[0].data), tn.demoMAC, gdRemote)
				}
				for _, port := range []string{"vm1", "vm2", "vm3", "relay", "pool1", "pool2", "pool3"} {
					if n := len(o.ports[port]); n != 1 {
						t.Errorf("%s: %d frames, want the flooded ARP request", port, n)
					}
				}
				o.nothingOn("lg1", "lg2")
				o.counter("demo", "arp_requests", 1)
			},
		},
	}
}

// Expected options, by code, exact values. A nil value: present, checked
// elsewhere.
type gdOpts map[uint8][]byte

func be(v uint32, n int) []byte {
	b := binary.BigEndian.AppendUint32(nil, v)
	return b[4-n:]
}

func ipb(s ...string) []byte {
	var b []byte
	for _, a := range s {
		x := netip.MustParseAddr(a).As4()
		b = append(b, x[:]...)
	}
	return b
}

// demoRoutes is option 121 of demo-subnet: the host route, demo-static
// on-link, the default route via the gateway last.
var demoRoutes = []byte{
	16, 172, 16, 10, 10, 0, 254,
	24, 10, 20, 0, 0, 0, 0, 0,
	0, 10, 10, 0, 1,
}

// demoOpts are demo-subnet's options; hostname "" for a pool client.
func demoOpts(hostname string) gdOpts {
	o := gdOpts{
		1:   ipb("255.255.255.0"),
		3:   ipb("10.10.0.1"),
		6:   ipb("10.10.0.53", "8.8.8.8"),
		15:  []byte("example.test"),
		26:  be(1450, 2),
		28:  ipb("10.10.0.255"),
		51:  be(600, 4),
		58:  be(300, 4),
		59:  be(525, 4),
		121: demoRoutes,
		249: demoRoutes,
	}
	if hostname != "" {
		o[12] = []byte(hostname)
	}
	return o
}

// staticOpts are demo-static's: no gateway (no option 3, no default
// route), no DNS servers, the defaults of lease time and domain, and
// demo-subnet on-link.
func staticOpts(hostname string) gdOpts {
	routes := []byte{24, 10, 10, 0, 0, 0, 0, 0}
	return gdOpts{
		1:   ipb("255.255.255.0"),
		12:  []byte(hostname),
		15:  []byte("openstacklocal"),
		26:  be(1450, 2),
		28:  ipb("10.20.0.255"),
		51:  be(86400, 4),
		58:  be(43200, 4),
		59:  be(75600, 4),
		121: routes,
		249: routes,
	}
}

// legacyOpts are legacy-subnet's: one subnet and no host routes, so no
// option 121, option 3 alone.
func legacyOpts(hostname string) gdOpts {
	return gdOpts{
		1:  ipb("255.255.255.0"),
		3:  ipb("10.30.0.1"),
		12: []byte(hostname),
		15: []byte("openstacklocal"),
		26: be(1500, 2),
		28: ipb("10.30.0.255"),
		51: be(86400, 4),
		58: be(43200, 4),
		59: be(75600, 4),
	}
}

// vm3Opts are demo-subnet's options with vm3's extra_dhcp_opts.
func vm3Opts() gdOpts {
	o := demoOpts("host-10-10-0-13")
	o[26] = be(1400, 2)
	o[42] = ipb("10.10.0.123")
	o[66] = []byte("10.10.0.5")
	o[67] = []byte("pxelinux.0")
	o[119] = nil // decoded and checked by the case
	o[252] = []byte("http://wpad.example.test/wpad.dat")
	return o
}

func withoutLease(o gdOpts) gdOpts {
	delete(o, 51)
	delete(o, 58)
	delete(o, 59)
	return o
}

// nakWant is a NAK from server, broadcast: options 53 and 54 only.
func nakWant(xid uint32, server string) gdWant {
	return gdWant{typ: dhcpv4.MessageTypeNak, xid: xid, yiaddr: "0.0.0.0", dstMAC: broadcast, dstIP: "255.255.255.255", server: server, opts: gdOpts{}}
}

// gdBuilder builds the input frames.
type gdBuilder struct {
	t   testing.TB
	net gdNet
}

func ip4(s string) net.IP { return net.ParseIP(s).To4() }

// msg builds a client message.
func (b gdBuilder) msg(chaddr net.HardwareAddr, xid uint32, typ dhcpv4.MessageType, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	var id dhcpv4.TransactionID
	binary.BigEndian.PutUint32(id[:], xid)
	all := append([]dhcpv4.Modifier{
		dhcpv4.WithTransactionID(id),
		dhcpv4.WithHwAddr(chaddr),
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithRequestedOptions(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer,
			dhcpv4.OptionDomainName, dhcpv4.OptionInterfaceMTU, dhcpv4.OptionClasslessStaticRoute),
	}, mods...)
	d, err := dhcpv4.New(all...)
	if err != nil {
		b.t.Fatal(err)
	}
	return d
}

// frame wraps a DHCP message in Ethernet, IPv4 and UDP.
func (b gdBuilder) frame(src, dst net.HardwareAddr, vid uint16, srcIP, dstIP string, sport, dport uint16, d *dhcpv4.DHCPv4) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ip4(srcIP), DstIP: ip4(dstIP)}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	ls := []gopacket.SerializableLayer{eth}
	if vid != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeIPv4})
	}
	ls = append(ls, ip, udp, gopacket.Payload(d.ToBytes()))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		b.t.Fatal(err)
	}
	return buf.Bytes()
}

// client is a client without an address broadcasting from its own MAC.
func (b gdBuilder) client(mac net.HardwareAddr, xid uint32, typ dhcpv4.MessageType, mods ...dhcpv4.Modifier) []byte {
	return b.clientAs(mac, mac, xid, typ, mods...)
}

// clientAs is client with a chaddr that may differ from the frame's source.
func (b gdBuilder) clientAs(src, chaddr net.HardwareAddr, xid uint32, typ dhcpv4.MessageType, mods ...dhcpv4.Modifier) []byte {
	return b.frame(src, broadcast, 0, "0.0.0.0", "255.255.255.255", 68, 67, b.msg(chaddr, xid, typ, mods...))
}

// unicast is a client with address ip sending to its subnet's DHCP port.
func (b gdBuilder) unicast(mac net.HardwareAddr, ip string, xid uint32, typ dhcpv4.MessageType, mods ...dhcpv4.Modifier) []byte {
	return b.frame(mac, b.net.demoMAC, 0, ip, gdServerOf(ip), 68, 67, b.msg(mac, xid, typ, mods...))
}

// rebind is a REBINDING client's broadcast REQUEST with ciaddr.
func (b gdBuilder) rebind(mac net.HardwareAddr, ip string, xid uint32) []byte {
	return b.frame(mac, broadcast, 0, ip, "255.255.255.255", 68, 67, b.msg(mac, xid, dhcpv4.MessageTypeRequest, dhcpv4.WithClientIP(ip4(ip))))
}

// gdServerOf is the DHCP port's address on ip's subnet.
func gdServerOf(ip string) string {
	a := netip.MustParseAddr(ip).As4()
	return fmt.Sprintf("%d.%d.%d.2", a[0], a[1], a[2])
}

// relayed is a message the trusted relay port forwards for chaddr.
func (b gdBuilder) relayed(chaddr net.HardwareAddr, giaddr string, xid uint32, typ dhcpv4.MessageType, mods ...dhcpv4.Modifier) []byte {
	return b.relayedFrom(gdRelay, "10.10.0.254", chaddr, giaddr, xid, typ, mods...)
}

// relayedFrom is a relay agent's message from port MAC src at srcIP.
func (b gdBuilder) relayedFrom(src net.HardwareAddr, srcIP string, chaddr net.HardwareAddr, giaddr string, xid uint32, typ dhcpv4.MessageType, mods ...dhcpv4.Modifier) []byte {
	d := b.msg(chaddr, xid, typ, append(mods, dhcpv4.WithGatewayIP(ip4(giaddr)))...)
	d.HopCount = 1
	return b.frame(src, b.net.demoMAC, 0, srcIP, gdServerOf(giaddr), 67, 67, d)
}

// uplinkRelayed is a relay agent's DISCOVER from the physical network,
// tagged vid, unicast to the DHCP port.
func (b gdBuilder) uplinkRelayed(chaddr net.HardwareAddr, giaddr string, vid uint16, xid uint32) []byte {
	d := b.msg(chaddr, xid, dhcpv4.MessageTypeDiscover, dhcpv4.WithGatewayIP(ip4(giaddr)))
	d.HopCount = 1
	return b.frame(gdUplinkRelay, b.net.demoMAC, vid, giaddr, gdServerOf(giaddr), 67, 67, d)
}

// taggedARP is an ARP request from the physical network.
func (b gdBuilder) taggedARP(mac net.HardwareAddr, vid uint16, spa, tpa string) []byte {
	eth := &layers.Ethernet{SrcMAC: mac, DstMAC: broadcast, EthernetType: layers.EthernetTypeDot1Q}
	q := &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeARP}
	a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: mac, SourceProtAddress: ip4(spa),
		DstHwAddress: make([]byte, 6), DstProtAddress: ip4(tpa)}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, eth, q, a); err != nil {
		b.t.Fatal(err)
	}
	return buf.Bytes()
}

// tagged is a DISCOVER from a client on the physical network.
func (b gdBuilder) tagged(mac net.HardwareAddr, vid uint16, xid uint32) []byte {
	return b.frame(mac, broadcast, vid, "0.0.0.0", "255.255.255.255", 68, 67, b.msg(mac, xid, dhcpv4.MessageTypeDiscover))
}

func (b gdBuilder) poolRequest(mac net.HardwareAddr, a string, xid uint32) []byte {
	return b.client(mac, xid, dhcpv4.MessageTypeRequest,
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip4(a))), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip4("10.10.0.2"))))
}

// reboot is an INIT-REBOOT REQUEST for a.
func (b gdBuilder) reboot(mac net.HardwareAddr, a string, xid uint32) []byte {
	return b.client(mac, xid, dhcpv4.MessageTypeRequest, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip4(a))))
}

// renew is a RENEWING REQUEST, unicast from a.
func (b gdBuilder) renew(mac net.HardwareAddr, a string, xid uint32) []byte {
	return b.unicast(mac, a, xid, dhcpv4.MessageTypeRequest, dhcpv4.WithClientIP(ip4(a)))
}

func (b gdBuilder) decline(mac net.HardwareAddr, a string, xid uint32) []byte {
	return b.client(mac, xid, dhcpv4.MessageTypeDecline,
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip4(a))), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip4("10.10.0.2"))))
}

func (b gdBuilder) release(mac net.HardwareAddr, a string, xid uint32) []byte {
	return b.unicast(mac, a, xid, dhcpv4.MessageTypeRelease,
		dhcpv4.WithClientIP(ip4(a)), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip4("10.10.0.2"))))
}

// arp is an ARP request from a port.
func (b gdBuilder) arp(mac net.HardwareAddr, spa, tpa string) []byte {
	eth := &layers.Ethernet{SrcMAC: mac, DstMAC: broadcast, EthernetType: layers.EthernetTypeARP}
	a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: mac, SourceProtAddress: ip4(spa),
		DstHwAddress: make([]byte, 6), DstProtAddress: ip4(tpa)}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, eth, a); err != nil {
		b.t.Fatal(err)
	}
	return buf.Bytes()
}

// ping is an ICMP echo request.
func (b gdBuilder) ping(src, dst net.HardwareAddr, srcIP, dstIP string, seq uint16) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: ip4(srcIP), DstIP: ip4(dstIP), Id: seq}
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 0x4242, Seq: seq}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, ic, gopacket.Payload([]byte("neutrino ping payload"))); err != nil {
		b.t.Fatal(err)
	}
	return buf.Bytes()
}

// gdPoolFirst is the pool address demo-subnet's server offers mac on
// an empty pool (it depends on the MAC): a server of the same
// configuration is asked, so that the input captures can hold the REQUEST
// a client sends after its OFFER. The other pool address is what a second
// client gets.
func gdPoolFirst(t testing.TB, spec *Spec, mac net.HardwareAddr) (first, other string) {
	t.Helper()
	var cfg *dhcp.Config
	for _, n := range spec.Networks {
		if n.Name == "demo" {
			cfg = n.DHCP.Server
		}
	}
	s, err := dhcp.New(*cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := gdBuilder{t: t}
	out := make([]byte, dhcp.MaxReply)
	rep, res := s.Handle(b.msg(mac, 1, dhcpv4.MessageTypeDiscover).ToBytes(), dhcp.Client{Port: 1, PortName: "x", SrcMAC: dhcp.MAC(mac), Trusted: true},
		goldenStart.UnixNano(), out)
	if res != dhcp.Answered {
		t.Fatalf("no pool address offered to %s: %v", mac, res)
	}
	first = yiaddr(rep.Payload).String()
	other = gdPool[0]
	if other == first {
		other = gdPool[1]
	}
	return first, other
}

// gdFrame is a frame that left a port, at its offset from the start.
type gdFrame struct {
	at   time.Duration
	data []byte
}

func readGDFrames(t *testing.T, port string, b []byte) []gdFrame {
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", port, err)
	}
	var out []gdFrame
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			return out
		}
		out = append(out, gdFrame{at: ci.Timestamp.Sub(goldenStart), data: d})
	}
}

// gdReply is a decoded DHCP reply.
type gdReply struct {
	at   time.Duration
	data []byte
	eth  *layers.Ethernet
	vlan uint16
	ip   *layers.IPv4
	udp  *layers.UDP
	msg  *dhcpv4.DHCPv4
	raw  []byte // the DHCP payload
}

// parseGDFrame decodes a frame from UDP port 67 (a DHCP server's), or
// returns nil.
func parseGDFrame(data []byte) *gdReply {
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if eth == nil || ip == nil || udp == nil || udp.SrcPort != 67 {
		return nil
	}
	r := &gdReply{data: data, eth: eth, ip: ip, udp: udp, raw: udp.LayerPayload()}
	if q, ok := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
		r.vlan = q.VLANIdentifier
	}
	r.msg, _ = dhcpv4.FromBytes(r.raw)
	return r
}

// gdOutputs is what left the node in one case.
type gdOutputs struct {
	t        *testing.T
	net      gdNet
	ports    map[string][]gdFrame
	counters Counters
}

// replies returns the DHCP replies that left port: frames from UDP port
// 67 (the input captures never hold any).
func (o gdOutputs) replies(port string) []*gdReply {
	var out []*gdReply
	for _, f := range o.ports[port] {
		if r := parseGDFrame(f.data); r != nil {
			r.at = f.at
			out = append(out, r)
		}
	}
	return out
}

// count checks port sent n DHCP replies.
func (o gdOutputs) count(port string, n int) bool {
	o.t.Helper()
	r := o.replies(port)
	if len(r) != n {
		o.t.Errorf("%s: %d DHCP replies, want %d", port, len(r), n)
		for _, x := range r {
			if x.msg != nil {
				o.t.Logf("  %s", x.msg.Summary())
			}
		}
		return false
	}
	return true
}

// onlyReplies checks port sent exactly these replies, in order.
func (o gdOutputs) onlyReplies(port string, want ...gdWant) {
	o.t.Helper()
	if !o.count(port, len(want)) {
		return
	}
	for i, r := range o.replies(port) {
		o.expect(r, want[i])
	}
}

// nothingOn checks nothing left the ports.
func (o gdOutputs) nothingOn(ports ...string) {
	o.t.Helper()
	for _, p := range ports {
		if n := len(o.ports[p]); n != 0 {
			o.t.Errorf("%s: %d frames left, want none", p, n)
		}
	}
}

func (o gdOutputs) counter(network, name string, want uint64) {
	o.t.Helper()
	if got := o.counters.DHCP[network][name]; got != want {
		o.t.Errorf("DHCP counter %s %s = %d, want %d", network, name, got, want)
	}
}

func (o gdOutputs) drop(reason string, want uint64) {
	o.t.Helper()
	if got := o.counters.Drops[reason]; got != want {
		o.t.Errorf("drop %s = %d, want %d", reason, got, want)
	}
}

// gdWant is what a reply must be.
type gdWant struct {
	typ                    dhcpv4.MessageType
	xid                    uint32
	yiaddr, ciaddr, siaddr string // "" is 0.0.0.0
	giaddr                 string
	chaddr                 net.HardwareAddr // nil: dstMAC's
	server                 string           // option 54, the source IP
	legacy                 bool             // from legacy's DHCP port (else demo's)
	dstMAC                 net.HardwareAddr
	dstIP                  string
	dstPort                uint16 // 0: 68
	vlan                   uint16
	bcast                  bool // the broadcast flag
	opts                   gdOpts
}

// expect checks one reply: addressing, the fixed fields and the exact
// set of options (besides 53 and 54), each once.
func (o gdOutputs) expect(r *gdReply, w gdWant) {
	t := o.t
	t.Helper()
	at := fmt.Sprintf("xid %#x", w.xid)
	if r.msg == nil {
		t.Errorf("%s: the reply does not decode", at)
		return
	}
	d := r.msg
	srcMAC := o.net.demoMAC
	if w.legacy {
		srcMAC = o.net.legacyMAC
	}
	dstPort := w.dstPort
	if dstPort == 0 {
		dstPort = 68
	}
	if !bytes.Equal(r.eth.SrcMAC, srcMAC) || !bytes.Equal(r.eth.DstMAC, w.dstMAC) {
		t.Errorf("%s: ethernet %s > %s, want %s > %s", at, r.eth.SrcMAC, r.eth.DstMAC, srcMAC, w.dstMAC)
	}
	if r.vlan != w.vlan {
		t.Errorf("%s: vlan %d, want %d", at, r.vlan, w.vlan)
	}
	if r.ip.SrcIP.String() != w.server || r.ip.DstIP.String() != w.dstIP || r.udp.DstPort != layers.UDPPort(dstPort) {
		t.Errorf("%s: %s:%d > %s:%d, want %s:67 > %s:%d", at, r.ip.SrcIP, r.udp.SrcPort, r.ip.DstIP, r.udp.DstPort, w.server, w.dstIP, dstPort)
	}
	if r.ip.TTL != 64 || r.ip.Flags&layers.IPv4MoreFragments != 0 || r.ip.FragOffset != 0 {
		t.Errorf("%s: IPv4 TTL %d flags %v offset %d", at, r.ip.TTL, r.ip.Flags, r.ip.FragOffset)
	}
	if len(r.raw) < 300 {
		t.Errorf("%s: %d bytes of BOOTP, want at least 300", at, len(r.raw))
	}
	if d.OpCode != dhcpv4.OpcodeBootReply || d.HWType != 1 || d.HopCount != 0 {
		t.Errorf("%s: op %v htype %v hops %d", at, d.OpCode, d.HWType, d.HopCount)
	}
	if got := binary.BigEndian.Uint32(d.TransactionID[:]); got != w.xid {
		t.Errorf("%s: xid %#x", at, got)
	}
	if got := d.MessageType(); got != w.typ {
		t.Errorf("%s: message type %v, want %v", at, got, w.typ)
	}
	chaddr := w.chaddr
	if chaddr == nil {
		chaddr = w.dstMAC
	}
	if !bytes.Equal(d.ClientHWAddr, chaddr) && !bytes.Equal(w.dstMAC, broadcast) {
		t.Errorf("%s: chaddr %s, want %s", at, d.ClientHWAddr, chaddr)
	}
	addr := func(name string, got net.IP, want string) {
		if want == "" {
			want = "0.0.0.0"
		}
		if got.String() != want {
			t.Errorf("%s: %s %s, want %s", at, name, got, want)
		}
	}
	addr("yiaddr", d.YourIPAddr, w.yiaddr)
	addr("ciaddr", d.ClientIPAddr, w.ciaddr)
	addr("siaddr", d.ServerIPAddr, w.siaddr)
	addr("giaddr", d.GatewayIPAddr, w.giaddr)
	addr("server identifier", d.ServerIdentifier(), w.server)
	if d.IsBroadcast() != w.bcast {
		t.Errorf("%s: broadcast flag %v, want %v", at, d.IsBroadcast(), w.bcast)
	}

	opts, err := rawOptions(r.raw)
	if err != nil {
		t.Errorf("%s: %v", at, err)
		return
	}
	seen := map[uint8]bool{}
	for _, op := range opts {
		if seen[op.code] {
			t.Errorf("%s: option %d sent twice", at, op.code)
		}
		seen[op.code] = true
		switch want, ok := w.opts[op.code]; {
		case op.code == 53 || op.code == 54:
		case !ok:
			t.Errorf("%s: option %d (% x) is not expected", at, op.code, op.val)
		case want != nil && !bytes.Equal(op.val, want):
			t.Errorf("%s: option %d is % x, want % x", at, op.code, op.val, want)
		}
	}
	for code := range w.opts {
		if !seen[code] {
			t.Errorf("%s: option %d missing", at, code)
		}
	}
	if !seen[53] || !seen[54] {
		t.Errorf("%s: options 53 and 54 must be there", at)
	}
}

type rawOpt struct {
	code uint8
	val  []byte
}

// rawOptions walks a DHCP message's options (no overload), as sent.
func rawOptions(b []byte) ([]rawOpt, error) {
	if len(b) < 240 || !bytes.Equal(b[236:240], []byte{99, 130, 83, 99}) {
		return nil, fmt.Errorf("no magic cookie")
	}
	var out []rawOpt
	for i := 240; i < len(b); {
		switch b[i] {
		case 0:
			i++
			continue
		case 255:
			return out, nil
		}
		if i+2 > len(b) || i+2+int(b[i+1]) > len(b) {
			return nil, fmt.Errorf("option %d at %d runs past the end", b[i], i)
		}
		out = append(out, rawOpt{b[i], b[i+2 : i+2+int(b[i+1])]})
		i += 2 + int(b[i+1])
	}
	return nil, fmt.Errorf("no end option")
}

// arpReply checks port's only frame from the DHCP port is its ARP reply.
func (o gdOutputs) arpReply(port string, srv net.HardwareAddr, srvIP string, asker net.HardwareAddr, askerIP string) {
	t := o.t
	t.Helper()
	var fs []gdFrame
	for _, f := range o.ports[port] {
		if bytes.Equal(f.data[6:12], srv) {
			fs = append(fs, f)
		}
	}
	if len(fs) != 1 {
		t.Errorf("%s: %d frames from the DHCP port, want the ARP reply", port, len(fs))
		return
	}
	p := gopacket.NewPacket(fs[0].data, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	a, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if eth == nil || a == nil {
		t.Errorf("%s: not ARP: %s", port, frameSummary(fs[0].data))
		return
	}
	if !bytes.Equal(eth.SrcMAC, srv) || !bytes.Equal(eth.DstMAC, asker) || a.Operation != layers.ARPReply ||
		!bytes.Equal(a.SourceHwAddress, srv) || net.IP(a.SourceProtAddress).String() != srvIP ||
		!bytes.Equal(a.DstHwAddress, asker) || net.IP(a.DstProtAddress).String() != askerIP {
		t.Errorf("%s: ARP %s > %s op %d %s is-at %s (to %s %s), want %s is-at %s to %s %s", port, eth.SrcMAC, eth.DstMAC, a.Operation,
			net.IP(a.SourceProtAddress), net.HardwareAddr(a.SourceHwAddress), net.HardwareAddr(a.DstHwAddress), net.IP(a.DstProtAddress),
			srvIP, srv, asker, askerIP)
	}
}

// echoReply checks port's only output is the DHCP port's echo reply.
func (o gdOutputs) echoReply(port string, srv, asker net.HardwareAddr, srvIP, askerIP string, seq uint16) {
	t := o.t
	t.Helper()
	fs := o.ports[port]
	if len(fs) != 1 {
		t.Errorf("%s: %d frames, want the echo reply", port, len(fs))
		return
	}
	p := gopacket.NewPacket(fs[0].data, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	ic, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if eth == nil || ip == nil || ic == nil {
		t.Errorf("%s: not ICMP: %s", port, frameSummary(fs[0].data))
		return
	}
	if !bytes.Equal(eth.SrcMAC, srv) || !bytes.Equal(eth.DstMAC, asker) || ip.SrcIP.String() != srvIP || ip.DstIP.String() != askerIP ||
		ic.TypeCode.Type() != layers.ICMPv4TypeEchoReply || ic.Id != 0x4242 || ic.Seq != seq || string(ic.Payload) != "neutrino ping payload" {
		t.Errorf("%s: %s > %s, %s > %s, icmp %v id %#x seq %d %q", port, eth.SrcMAC, eth.DstMAC, ip.SrcIP, ip.DstIP, ic.TypeCode, ic.Id, ic.Seq, ic.Payload)
	}
}

// checkFrameChecksums verifies the IPv4 header checksum and the UDP or
// ICMP checksum of an IPv4 frame (tagged or not); other frames pass.
func checkFrameChecksums(f []byte) error {
	if len(f) < 14 {
		return nil
	}
	off, et := 12, binary.BigEndian.Uint16(f[12:])
	if et == 0x8100 && len(f) >= 18 {
		off, et = 16, binary.BigEndian.Uint16(f[16:])
	}
	if et != 0x0800 {
		return nil
	}
	ip := f[off+2:]
	if len(ip) < 20 {
		return fmt.Errorf("short IPv4 header")
	}
	hl := int(ip[0]&0xf) * 4
	tl := int(binary.BigEndian.Uint16(ip[2:]))
	if hl < 20 || tl < hl || tl > len(ip) {
		return fmt.Errorf("IPv4 header length %d, total length %d, %d bytes", hl, tl, len(ip))
	}
	if s := csumFold(csumAdd(0, ip[:hl])); s != 0xffff {
		return fmt.Errorf("bad IPv4 header checksum %#04x", binary.BigEndian.Uint16(ip[10:]))
	}
	if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return nil // a fragment: no transport header to check
	}
	l4 := ip[hl:tl]
	switch ip[9] {
	case 17:
		if len(l4) < 8 || int(binary.BigEndian.Uint16(l4[4:])) != len(l4) {
			return fmt.Errorf("UDP length %d in %d bytes", binary.BigEndian.Uint16(l4[4:]), len(l4))
		}
		if binary.BigEndian.Uint16(l4[6:]) == 0 {
			return fmt.Errorf("no UDP checksum")
		}
		s := csumAdd(0, ip[12:20])
		s += 17 + uint32(len(l4))
		if csumFold(csumAdd(s, l4)) != 0xffff {
			return fmt.Errorf("bad UDP checksum %#04x", binary.BigEndian.Uint16(l4[6:]))
		}
	case 1:
		if csumFold(csumAdd(0, l4)) != 0xffff {
			return fmt.Errorf("bad ICMP checksum")
		}
	}
	return nil
}

func csumAdd(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func csumFold(s uint32) uint16 {
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
