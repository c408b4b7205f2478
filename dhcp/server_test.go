package dhcp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

var bcastIP = netip.MustParseAddr("255.255.255.255")

// TestDiscover: OFFERs and their addressing, and DISCOVERs left unanswered.
func TestDiscover(t *testing.T) {
	trusted := client(macRly)
	trusted.Trusted = true
	tests := []struct {
		name    string
		cfg     func() Config
		payload func(t *testing.T) []byte
		c       Client
		res     Result
		want    Reply // Payload, SrcMAC and Type not compared
		yiaddr  string
	}{
		{
			name:    "static host, unicast to yiaddr",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM1) },
			c:       client(macVM1),
			want:    Reply{SrcIP: ip("91.1.180.2"), DstIP: ip("91.1.180.14"), DstPort: 68, DstMAC: macVM1},
			yiaddr:  "91.1.180.14",
		},
		{
			name: "broadcast flag",
			cfg:  testConfig,
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeDiscover, macVM2, dhcpv4.WithBroadcast(true))
			},
			c:      client(macVM2),
			want:   Reply{SrcIP: ip("91.1.181.2"), DstIP: bcastIP, DstPort: 68, DstMAC: Broadcast},
			yiaddr: "91.1.181.20",
		},
		{
			name:    "unknown MAC, pool",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macNew) },
			c:       client(macNew),
			want:    Reply{SrcIP: ip("91.1.180.2"), DstPort: 68, DstMAC: macNew}, // DstIP: the pool address
		},
		{
			name:    "unknown MAC, static only",
			cfg:     staticConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macNew) },
			c:       client(macNew),
			res:     UnknownClient,
		},
		{
			name:    "relayed, trusted: to the relay at port 67, subnet by giaddr",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM2, giaddr("91.1.181.1")) },
			c:       trusted,
			want:    Reply{SrcIP: ip("91.1.181.2"), DstIP: ip("91.1.181.1"), DstPort: 67, DstMAC: macRly},
			yiaddr:  "91.1.181.20",
		},
		{
			name:    "relayed, untrusted",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM2, giaddr("91.1.181.1")) },
			c:       client(macRly),
			res:     RelayUntrusted,
		},
		{
			name:    "relayed, giaddr in no subnet",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM2, giaddr("10.9.9.1")) },
			c:       trusted,
			res:     NoSubnet,
		},
		{
			name:    "relayed, static host of another subnet than giaddr's",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM2, giaddr("91.1.180.1")) },
			c:       trusted,
			want:    Reply{SrcIP: ip("91.1.180.2"), DstIP: ip("91.1.180.1"), DstPort: 67, DstMAC: macRly}, // a pool address of demo
		},
		{
			name:    "chaddr is not the sender's MAC",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM1) },
			c:       client(macNew),
			res:     ChaddrMismatch,
		},
		{
			name:    "trusted port may send for another MAC",
			cfg:     testConfig,
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeDiscover, macVM1) },
			c:       Client{Port: 3, Trusted: true, SrcMAC: macNew},
			want:    Reply{SrcIP: ip("91.1.180.2"), DstIP: ip("91.1.180.14"), DstPort: 68, DstMAC: macVM1},
			yiaddr:  "91.1.180.14",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, tt.cfg())
			rep, res, d := exchange(t, s, tt.payload(t), tt.c, t0)
			if res != tt.res {
				t.Fatalf("result %v, want %v", res, tt.res)
			}
			if res != Answered {
				return
			}
			if d.MessageType() != dhcpv4.MessageTypeOffer {
				t.Errorf("type %v, want OFFER", d.MessageType())
			}
			if tt.yiaddr != "" && d.YourIPAddr.String() != tt.yiaddr {
				t.Errorf("yiaddr %v, want %s", d.YourIPAddr, tt.yiaddr)
			}
			if !tt.want.DstIP.IsValid() {
				tt.want.DstIP = rep.DstIP
				if !(Range{ip("91.1.180.100"), ip("91.1.180.103")}).Contains(rep.DstIP) || rep.DstIP.String() != d.YourIPAddr.String() {
					t.Errorf("DstIP %v, yiaddr %v: want one pool address", rep.DstIP, d.YourIPAddr)
				}
			}
			got := Reply{SrcIP: rep.SrcIP, DstIP: rep.DstIP, DstPort: rep.DstPort, DstMAC: rep.DstMAC}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("addressing (-want +got):\n%s", diff)
			}
			if rep.SrcMAC != srvMAC {
				t.Errorf("SrcMAC %v", rep.SrcMAC)
			}
			if sid := d.ServerIdentifier().String(); sid != rep.SrcIP.String() {
				t.Errorf("server id %s, source %v", sid, rep.SrcIP)
			}
		})
	}
}

// TestRequest: REQUEST in each client state.
func TestRequest(t *testing.T) {
	type step struct {
		payload func(t *testing.T) []byte
		c       Client
		res     Result
		typ     dhcpv4.MessageType // when answered
		yiaddr  string
		dst     netip.Addr
		dstMAC  MAC
	}
	disc := step{
		payload: func(t *testing.T) []byte {
			return msg(t, dhcpv4.MessageTypeDiscover, macNew, requested("91.1.180.101"))
		},
		c: client(macNew), typ: dhcpv4.MessageTypeOffer, yiaddr: "91.1.180.101", dst: ip("91.1.180.101"), dstMAC: macNew,
	}
	tests := []struct {
		name  string
		cfg   func() Config
		steps []step
	}{
		{"selecting: ACK", testConfig, []step{disc, {
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.101"), serverID("91.1.180.2"))
			},
			c: client(macNew), typ: dhcpv4.MessageTypeAck, yiaddr: "91.1.180.101", dst: ip("91.1.180.101"), dstMAC: macNew,
		}}},
		{"selecting another server: silent", testConfig, []step{disc, {
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.101"), serverID("91.1.180.3"))
			},
			c: client(macNew), res: WrongServer,
		}}},
		{"selecting another address: NAK broadcast", testConfig, []step{disc, {
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.102"), serverID("91.1.180.2"))
			},
			c: client(macNew), typ: dhcpv4.MessageTypeNak, yiaddr: "0.0.0.0", dst: bcastIP, dstMAC: Broadcast,
		}}},
		{"init-reboot, static host: ACK", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macVM1, requested("91.1.180.14"))
			},
			c: client(macVM1), typ: dhcpv4.MessageTypeAck, yiaddr: "91.1.180.14", dst: ip("91.1.180.14"), dstMAC: macVM1,
		}}},
		{"init-reboot, static host, wrong address: NAK", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macVM1, requested("91.1.180.15"))
			},
			c: client(macVM1), typ: dhcpv4.MessageTypeNak, yiaddr: "0.0.0.0", dst: bcastIP, dstMAC: Broadcast,
		}}},
		{"init-reboot, static host, wrong subnet: NAK", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macVM1, requested("192.168.7.9"))
			},
			c: client(macVM1), typ: dhcpv4.MessageTypeNak, yiaddr: "0.0.0.0", dst: bcastIP, dstMAC: Broadcast,
		}}},
		{"init-reboot, unknown client, static only: silent", staticConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.50"))
			},
			c: client(macNew), res: UnknownClient,
		}}},
		{"init-reboot, unknown client, address outside the pool: silent", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.50"))
			},
			c: client(macNew), res: UnknownClient,
		}}},
		{"init-reboot, unknown client, free pool address: ACK", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.103"))
			},
			c: client(macNew), typ: dhcpv4.MessageTypeAck, yiaddr: "91.1.180.103", dst: ip("91.1.180.103"), dstMAC: macNew,
		}}},
		{"init-reboot, pool address of another client: NAK", testConfig, []step{disc, {
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew2, requested("91.1.180.101"))
			},
			c: client(macNew2), typ: dhcpv4.MessageTypeNak, yiaddr: "0.0.0.0", dst: bcastIP, dstMAC: Broadcast,
		}}},
		{"renewing: ACK unicast to ciaddr", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macVM1, ciaddr("91.1.180.14"))
			},
			c: client(macVM1), typ: dhcpv4.MessageTypeAck, yiaddr: "91.1.180.14", dst: ip("91.1.180.14"), dstMAC: macVM1,
		}}},
		{"rebinding (broadcast): ACK to ciaddr", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macVM1, ciaddr("91.1.180.14"), dhcpv4.WithBroadcast(true))
			},
			c: client(macVM1), typ: dhcpv4.MessageTypeAck, yiaddr: "91.1.180.14", dst: ip("91.1.180.14"), dstMAC: macVM1,
		}}},
		{"renewing another address: NAK", testConfig, []step{disc, {
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macNew, ciaddr("91.1.180.100"))
			},
			c: client(macNew), typ: dhcpv4.MessageTypeNak, yiaddr: "0.0.0.0", dst: bcastIP, dstMAC: Broadcast,
		}}},
		{"relayed NAK goes to the relay with the broadcast bit", testConfig, []step{{
			payload: func(t *testing.T) []byte {
				return msg(t, dhcpv4.MessageTypeRequest, macVM1, requested("91.1.180.15"), giaddr("91.1.180.1"))
			},
			c: Client{Trusted: true, SrcMAC: macRly}, typ: dhcpv4.MessageTypeNak, yiaddr: "0.0.0.0", dst: ip("91.1.180.1"), dstMAC: macRly,
		}}},
		{"no address at all: malformed", testConfig, []step{{
			payload: func(t *testing.T) []byte { return msg(t, dhcpv4.MessageTypeRequest, macVM1) },
			c:       client(macVM1), res: Malformed,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, tt.cfg())
			for i, st := range tt.steps {
				rep, res, d := exchange(t, s, st.payload(t), st.c, t0)
				if res != st.res {
					t.Fatalf("step %d: result %v, want %v", i, res, st.res)
				}
				if res != Answered {
					continue
				}
				if d.MessageType() != st.typ {
					t.Errorf("step %d: %v, want %v", i, d.MessageType(), st.typ)
				}
				if d.YourIPAddr.String() != st.yiaddr {
					t.Errorf("step %d: yiaddr %v, want %s", i, d.YourIPAddr, st.yiaddr)
				}
				if rep.DstIP != st.dst || rep.DstMAC != st.dstMAC {
					t.Errorf("step %d: to %v at %v, want %v at %v", i, rep.DstIP, rep.DstMAC, st.dst, st.dstMAC)
				}
				if st.typ == dhcpv4.MessageTypeNak {
					if len(d.Options) != 2 {
						t.Errorf("NAK carries options %v, want only 53 and 54", d.Options)
					}
					if d.GatewayIPAddr.IsUnspecified() == false && !d.IsBroadcast() {
						t.Errorf("relayed NAK without the broadcast bit")
					}
				}
			}
		})
	}
}

// TestLeaseLifecycle: DECLINE, RELEASE, expiry and stable addresses.
func TestLeaseLifecycle(t *testing.T) {
	s, l := newServer(t, testConfig())
	c := client(macNew)
	a := dora(t, s, c, t0)
	if got := l.List(t0); len(got) != 1 || got[0].IP != a || got[0].MAC != macNew || got[0].Port != "p1" || got[0].Static {
		t.Fatalf("List after DORA: %+v", got)
	}
	if got := l.List(t0)[0].Expires; got != t0+86400e9 {
		t.Errorf("expires %d, want %d", got, t0+86400e9)
	}

	// The same MAC gets the same address again, also after expiry.
	if b := dora(t, s, c, t0+time.Hour.Nanoseconds()); b != a {
		t.Errorf("second DORA: %v, want %v", b, a)
	}
	later := t0 + 2*86400e9
	if got := l.List(later); len(got) != 0 {
		t.Errorf("List after expiry: %+v", got)
	}
	if b := dora(t, s, c, later); b != a {
		t.Errorf("DORA after expiry: %v, want %v", b, a)
	}

	// RELEASE frees it: another client may then take it.
	_, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeRelease, macNew, ciaddr(a.String()), serverID("91.1.180.2")), c, later)
	if res != Released {
		t.Fatalf("RELEASE: %v", res)
	}
	if got := l.List(later + 1); len(got) != 0 {
		t.Errorf("List after RELEASE: %+v", got)
	}
	// ... but the first client still gets it back while it is free.
	if b := dora(t, s, c, later+1); b != a {
		t.Errorf("DORA after RELEASE: %v, want %v", b, a)
	}

	// DECLINE: the address is set aside; the next DISCOVER gets another.
	_, res, _ = exchange(t, s, msg(t, dhcpv4.MessageTypeDecline, macNew, requested(a.String()), serverID("91.1.180.2")), c, later+2)
	if res != Declined {
		t.Fatalf("DECLINE: %v", res)
	}
	_, res, offer := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macNew), c, later+3)
	if res != Answered || offer.YourIPAddr.String() == a.String() {
		t.Fatalf("DISCOVER after DECLINE: %v %v, want an address other than %v", res, offer, a)
	}
	// Once the hold is over, the address is offered again (here: asked for).
	_, _, offer = exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macNew2, requested(a.String())), client(macNew2), later+3+DeclineHold)
	if offer == nil || offer.YourIPAddr.String() != a.String() {
		t.Errorf("after the decline hold: %v, want %v", offer, a)
	}
	// A DECLINE for another server is ignored.
	_, res, _ = exchange(t, s, msg(t, dhcpv4.MessageTypeDecline, macNew, requested(a.String()), serverID("9.9.9.9")), c, later)
	if res != WrongServer {
		t.Errorf("DECLINE to another server: %v", res)
	}
}

// TestPoolExhaustion: four addresses, then nothing; an expired lease frees
// its address for a new client.
func TestPoolExhaustion(t *testing.T) {
	s, _ := newServer(t, testConfig())
	seen := map[netip.Addr]bool{}
	for i := range 4 {
		c := Client{Port: i, PortName: "p", Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, byte(i)}}
		a := dora(t, s, c, t0)
		if seen[a] {
			t.Fatalf("%v given twice", a)
		}
		seen[a] = true
	}
	c := Client{Port: 9, Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, 9}}
	if _, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, c.SrcMAC), c, t0); res != PoolExhausted {
		t.Fatalf("fifth DISCOVER: %v, want pool_exhausted", res)
	}
	if a := dora(t, s, c, t0+86401e9); !seen[a] {
		t.Errorf("after expiry got %v, want a reused pool address", a)
	}
	if n := s.Stats().Results[PoolExhausted]; n != 1 {
		t.Errorf("pool_exhausted counted %d", n)
	}
}

// TestLimits: the DISCOVER rate limit and the per-port cap apply to
// untrusted ports only.
func TestLimits(t *testing.T) {
	cfg := testConfig()
	cfg.Limits = Limits{RatePerPort: 1, Burst: 3, MaxPoolLeasesPerPort: 2}
	s, _ := newServer(t, cfg)
	c := client(macVM1)
	var got []Result
	for range 5 {
		_, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macVM1), c, t0)
		got = append(got, res)
	}
	want := []Result{Answered, Answered, Answered, RateLimited, RateLimited}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("burst (-want +got):\n%s", diff)
	}
	if _, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macVM1), c, t0+1e9); res != Answered {
		t.Errorf("a second later: %v", res)
	}
	other := c
	other.Port = 2
	if _, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macVM1), other, t0); res != Answered {
		t.Errorf("another port: %v", res)
	}
	tr := c
	tr.Trusted = true
	for range 10 {
		if _, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macVM1), tr, t0); res != Answered {
			t.Fatalf("trusted port: %v", res)
		}
	}

	// The cap: a port (with two MACs allowed by port security) gets two pool
	// addresses, not three; trusted ports get more.
	for i := range 3 {
		mac := MAC{2, 0, 0, 0, 1, byte(i)}
		c := Client{Port: 10 + i, PortName: "capped", SrcMAC: mac}
		_, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, mac), c, t0)
		if want := map[bool]Result{true: Answered, false: PortLeaseCap}[i < 2]; res != want {
			t.Errorf("MAC %d on a capped port: %v, want %v", i, res, want)
		}
	}
	// Expired offers don't count.
	mac := MAC{2, 0, 0, 0, 1, 9}
	if _, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, mac), Client{Port: 20, PortName: "capped", SrcMAC: mac}, t0+OfferHold); res != Answered {
		t.Errorf("after the offers expired: %v", res)
	}
	st := s.Stats()
	if st.Results[RateLimited] != 2 || st.Results[PortLeaseCap] != 1 {
		t.Errorf("counters: %+v", st.Counters())
	}
}

// TestInform: options, no lease.
func TestInform(t *testing.T) {
	s, _ := newServer(t, testConfig())
	rep, res, d := exchange(t, s, msg(t, dhcpv4.MessageTypeInform, macVM1, ciaddr("91.1.180.14")), client(macVM1), t0)
	if res != Answered || d.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("INFORM: %v %v", res, d)
	}
	if !d.YourIPAddr.IsUnspecified() || d.Options.Has(dhcpv4.OptionIPAddressLeaseTime) || d.Options.Has(dhcpv4.OptionRenewTimeValue) {
		t.Errorf("INFORM answer has a lease: %v", d)
	}
	if d.HostName() != "host-91-1-180-14" || rep.DstIP != ip("91.1.180.14") || rep.DstMAC != macVM1 {
		t.Errorf("INFORM answer: hostname %q to %v at %v", d.HostName(), rep.DstIP, rep.DstMAC)
	}
	if _, res, _ := exchange(t, s, msg(t, dhcpv4.MessageTypeInform, macVM1, ciaddr("10.0.0.5")), client(macVM1), t0); res != NoSubnet {
		t.Errorf("INFORM from outside: %v", res)
	}
	st, _ := newServer(t, staticConfig())
	if _, res, _ := exchange(t, st, msg(t, dhcpv4.MessageTypeInform, macNew, ciaddr("91.1.180.50")), client(macNew), t0); res != UnknownClient {
		t.Errorf("INFORM from an unknown MAC, static only: %v", res)
	}
}

// TestIgnored: messages a server does not answer.
func TestIgnored(t *testing.T) {
	s, _ := newServer(t, testConfig())
	offer := msg(t, dhcpv4.MessageTypeOffer, macVM1)
	reply := msg(t, dhcpv4.MessageTypeDiscover, macVM1)
	reply[0] = 2
	badHtype := msg(t, dhcpv4.MessageTypeDiscover, macVM1)
	badHtype[1] = 6
	badHlen := msg(t, dhcpv4.MessageTypeDiscover, macVM1)
	badHlen[2] = 16
	noType := msg(t, dhcpv4.MessageTypeDiscover, macVM1, dhcpv4.WithoutOption(dhcpv4.OptionDHCPMessageType))
	badCookie := msg(t, dhcpv4.MessageTypeDiscover, macVM1)
	badCookie[236] = 0
	full := msg(t, dhcpv4.MessageTypeDiscover, macVM1)
	noEnd := full[:len(full)-1]
	for len(noEnd) > 240 && noEnd[len(noEnd)-1] == 0 { // strip the padding and End
		noEnd = noEnd[:len(noEnd)-1]
	}
	noEnd = noEnd[:len(noEnd)-1]
	truncOpt := append(append([]byte{}, full[:240]...), 53, 1, 1, 12, 10, 'a')
	tests := []struct {
		name    string
		payload []byte
		res     Result
	}{
		{"empty", nil, Malformed},
		{"short header", full[:100], Malformed},
		{"BOOTREPLY", reply, NotBootRequest},
		{"htype", badHtype, Malformed},
		{"hlen", badHlen, Malformed},
		{"cookie", badCookie, Malformed},
		{"no message type", noType, Malformed},
		{"no End option", noEnd, Malformed},
		{"truncated option", truncOpt, Malformed},
		{"OFFER from a client", offer, IgnoredType},
		{"type 200", msg(t, dhcpv4.MessageType(200), macVM1), IgnoredType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, res, _ := exchange(t, s, tt.payload, client(macVM1), t0); res != tt.res {
				t.Errorf("%v, want %v", res, tt.res)
			}
		})
	}
	if got := s.Stats().Received[MessageNone]; got != 10 { // the malformed ones and type 200
		t.Errorf("received without a known type: %d, want 10", got)
	}
}

// TestStats: results and message types are counted.
func TestStats(t *testing.T) {
	s, _ := newServer(t, testConfig())
	dora(t, s, client(macVM1), t0)
	st := s.Stats()
	want := []Counter{{"answered", 2}, {"rx_discover", 1}, {"rx_request", 1}, {"tx_offer", 1}, {"tx_ack", 1}}
	if diff := cmp.Diff(want, st.Counters()); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}
