package dhcp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

var (
	macVM1  = MAC{0xfa, 0x16, 0x3e, 0, 0, 1} // static on demo: 91.1.180.14
	macVM2  = MAC{0xfa, 0x16, 0x3e, 0, 0, 2} // static on other: 91.1.181.20
	macNew  = MAC{0xfa, 0x16, 0x3e, 0, 1, 1} // unknown
	macNew2 = MAC{0xfa, 0x16, 0x3e, 0, 1, 2}
	macRly  = MAC{0xfa, 0x16, 0x3e, 9, 9, 9} // a relay
	srvMAC  = MAC{0xfa, 0x16, 0x3e, 0xdd, 0, 1}
)

func ip(s string) netip.Addr       { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// testConfig is a network with two subnets: demo (gateway, pool of four
// addresses, a host route, the other subnet on-link) and other (static
// only, no gateway).
func testConfig() Config {
	return Config{
		Network:   "demo-net",
		ServerMAC: srvMAC,
		Subnets: []Subnet{
			{
				Name: "demo", CIDR: prefix("91.1.180.0/24"), Gateway: ip("91.1.180.1"), ServerIP: ip("91.1.180.2"),
				DNS: []netip.Addr{ip("8.8.8.8"), ip("8.8.4.4")}, Domain: "openstacklocal", MTU: 1450, LeaseTime: 86400,
				HostRoutes: []Route{{Dst: prefix("10.10.0.0/16"), Via: ip("91.1.180.254")}},
				OnLink:     []netip.Prefix{prefix("91.1.181.0/24")},
				Pool:       &Range{ip("91.1.180.100"), ip("91.1.180.103")},
			},
			{
				Name: "other", CIDR: prefix("91.1.181.0/24"), ServerIP: ip("91.1.181.2"),
				Domain: "openstacklocal", MTU: 1450, LeaseTime: 3600,
			},
		},
		Hosts: []Host{
			{MAC: macVM1, IP: ip("91.1.180.14"), Port: "vm1"},
			{MAC: macVM2, IP: ip("91.1.181.20"), Port: "vm2"},
		},
	}
}

// staticConfig is Neutron's DHCP: one subnet, static hosts only.
func staticConfig() Config {
	cfg := testConfig()
	cfg.Subnets[0].Pool = nil
	cfg.Subnets = cfg.Subnets[:1]
	cfg.Hosts = cfg.Hosts[:1]
	return cfg
}

func newServer(t testing.TB, cfg Config) (*Server, *Leases) {
	t.Helper()
	l := NewLeases()
	s, err := New(cfg, l)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, l
}

// msg builds a client message with dhcpv4.
func msg(t testing.TB, typ dhcpv4.MessageType, mac MAC, mods ...dhcpv4.Modifier) []byte {
	t.Helper()
	all := append([]dhcpv4.Modifier{
		dhcpv4.WithTransactionID(dhcpv4.TransactionID{1, 2, 3, 4}),
		dhcpv4.WithHwAddr(net.HardwareAddr(mac[:])),
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithBroadcast(false),
	}, mods...)
	d, err := dhcpv4.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	return d.ToBytes()
}

func requested(a string) dhcpv4.Modifier {
	return dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP(a).To4()))
}

func serverID(a string) dhcpv4.Modifier {
	return dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP(a).To4()))
}

func ciaddr(a string) dhcpv4.Modifier { return dhcpv4.WithClientIP(net.ParseIP(a).To4()) }
func giaddr(a string) dhcpv4.Modifier { return dhcpv4.WithGatewayIP(net.ParseIP(a).To4()) }

// client is an untrusted port's client sending from mac.
func client(mac MAC) Client { return Client{Port: 1, PortName: "p1", SrcMAC: mac} }

// exchange runs Handle and decodes the reply with dhcpv4 (nil when there
// is none).
func exchange(t testing.TB, s *Server, payload []byte, c Client, now int64) (Reply, Result, *dhcpv4.DHCPv4) {
	t.Helper()
	out := make([]byte, MaxReply)
	rep, res := s.Handle(payload, c, now, out)
	if res != Answered {
		if rep.Payload != nil {
			t.Errorf("result %v with a payload", res)
		}
		return rep, res, nil
	}
	if len(rep.Payload) < bootpMin {
		t.Errorf("reply is %d bytes, want at least %d", len(rep.Payload), bootpMin)
	}
	if &rep.Payload[0] != &out[0] {
		t.Errorf("reply does not alias out")
	}
	d, err := dhcpv4.FromBytes(rep.Payload)
	if err != nil {
		t.Fatalf("reply does not decode: %v", err)
	}
	if d.OpCode != dhcpv4.OpcodeBootReply || d.TransactionID != (dhcpv4.TransactionID{1, 2, 3, 4}) {
		t.Errorf("reply op %v xid %v", d.OpCode, d.TransactionID)
	}
	if got := MessageType(d.MessageType()); got != rep.Type {
		t.Errorf("reply type %v, Reply.Type %v", got, rep.Type)
	}
	return rep, res, d
}

// dora runs DISCOVER and REQUEST (SELECTING) for mac and returns the
// address leased.
func dora(t testing.TB, s *Server, c Client, now int64) netip.Addr {
	t.Helper()
	_, res, offer := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, c.SrcMAC), c, now)
	if res != Answered {
		t.Fatalf("DISCOVER: %v", res)
	}
	a := offer.YourIPAddr.String()
	_, res, ack := exchange(t, s, msg(t, dhcpv4.MessageTypeRequest, c.SrcMAC, requested(a), serverID(offer.ServerIdentifier().String())), c, now)
	if res != Answered || ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("REQUEST %s: %v %v", a, res, ack)
	}
	return ip(a)
}
