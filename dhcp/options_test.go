package dhcp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/rfc1035label"
)

// offerOptions returns the options of the OFFER to mac.
func offerOptions(t *testing.T, cfg Config, mac MAC) dhcpv4.Options {
	t.Helper()
	s, _ := newServer(t, cfg)
	_, res, d := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, mac), client(mac), t0)
	if res != Answered {
		t.Fatalf("DISCOVER: %v", res)
	}
	return d.Options
}

// TestOptions: every option of an OFFER, byte for byte.
func TestOptions(t *testing.T) {
	route121 := []byte{
		16, 10, 10, 91, 1, 180, 254, // 10.10.0.0/16 via 91.1.180.254
		24, 91, 1, 181, 0, 0, 0, 0, // 91.1.181.0/24 on-link
		0, 91, 1, 180, 1, // default via the gateway
	}
	tests := []struct {
		name string
		cfg  func() Config
		mac  MAC
		want map[uint8][]byte
	}{
		{
			name: "static host on a subnet with routes",
			cfg:  testConfig,
			mac:  macVM1,
			want: map[uint8][]byte{
				1: {255, 255, 255, 0}, 3: {91, 1, 180, 1}, 6: {8, 8, 8, 8, 8, 8, 4, 4},
				12: []byte("host-91-1-180-14"), 15: []byte("openstacklocal"), 26: {0x05, 0xaa},
				28: {91, 1, 180, 255}, 51: {0, 1, 0x51, 0x80}, 53: {2}, 54: {91, 1, 180, 2},
				58: {0, 0, 0xa8, 0xc0}, 59: {0, 1, 0x27, 0x50}, 121: route121, 249: route121,
			},
		},
		{
			name: "static host, no gateway, no DNS, no routes",
			cfg:  testConfig,
			mac:  macVM2,
			want: map[uint8][]byte{
				1: {255, 255, 255, 0}, 12: []byte("host-91-1-181-20"), 15: []byte("openstacklocal"),
				26: {0x05, 0xaa}, 28: {91, 1, 181, 255}, 51: {0, 0, 0x0e, 0x10}, 53: {2}, 54: {91, 1, 181, 2},
				58: {0, 0, 0x07, 0x08}, 59: {0, 0, 0x0c, 0x4e},
			},
		},
		{
			name: "pool client: no hostname; infinite lease without T1 and T2",
			cfg: func() Config {
				c := testConfig()
				c.Subnets[0].LeaseTime = InfiniteLease
				c.Subnets[0].HostRoutes, c.Subnets[0].OnLink = nil, nil
				return c
			},
			mac: macNew,
			want: map[uint8][]byte{
				1: {255, 255, 255, 0}, 3: {91, 1, 180, 1}, 6: {8, 8, 8, 8, 8, 8, 4, 4},
				15: []byte("openstacklocal"), 26: {0x05, 0xaa}, 28: {91, 1, 180, 255},
				51: {0xff, 0xff, 0xff, 0xff}, 53: {2}, 54: {91, 1, 180, 2},
			},
		},
		{
			name: "extra options override and add",
			cfg: func() Config {
				c := testConfig()
				c.Hosts[0].Options = mustOptions(t,
					"mtu", "1400",
					"router", "91.1.180.254",
					"domain-search", "example.org,lab.example.org",
					"ntp-server", "91.1.180.7",
					"lease-time", "600",
					"server-ip-address", "91.1.180.5",
					"classless-static-route", "0.0.0.0/0,91.1.180.254",
				)
				return c
			},
			mac: macVM1,
			want: map[uint8][]byte{
				1: {255, 255, 255, 0}, 3: {91, 1, 180, 254}, 6: {8, 8, 8, 8, 8, 8, 4, 4},
				12: []byte("host-91-1-180-14"), 15: []byte("openstacklocal"), 26: {0x05, 0x78},
				28: {91, 1, 180, 255}, 42: {91, 1, 180, 7}, 51: {0, 0, 2, 0x58}, 53: {2}, 54: {91, 1, 180, 2},
				58: {0, 0, 1, 0x2c}, 59: {0, 0, 2, 0x0d},
				119: []byte("\x07example\x03org\x00\x03lab\x07example\x03org\x00"),
				121: {0, 91, 1, 180, 254}, 249: route121,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[uint8][]byte(offerOptions(t, tt.cfg(), tt.mac))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOptionsDecoded: the library reads our routes and siaddr back.
func TestOptionsDecoded(t *testing.T) {
	cfg := testConfig()
	cfg.Hosts[0].Options = mustOptions(t, "server-ip-address", "91.1.180.5", "domain-search", "example.org")
	s, _ := newServer(t, cfg)
	_, _, d := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macVM1), client(macVM1), t0)
	var routes []string
	for _, r := range d.ClasslessStaticRoute() {
		routes = append(routes, r.String())
	}
	want := []string{"route to 10.10.0.0/16 via 91.1.180.254", "route to 91.1.181.0/24 via 0.0.0.0", "route to 0.0.0.0/0 via 91.1.180.1"}
	if diff := cmp.Diff(want, routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	if d.ServerIPAddr.String() != "91.1.180.5" {
		t.Errorf("siaddr %v", d.ServerIPAddr)
	}
	if l := d.DomainSearch(); l == nil || !cmp.Equal(l.Labels, []string{"example.org"}) {
		t.Errorf("domain search %v", l)
	}
}

func mustOptions(t *testing.T, kv ...string) []Option {
	t.Helper()
	var out []Option
	for i := 0; i < len(kv); i += 2 {
		o, err := ParseOption(kv[i], kv[i+1])
		if err != nil {
			t.Fatalf("ParseOption(%q, %q): %v", kv[i], kv[i+1], err)
		}
		out = append(out, o)
	}
	return out
}

func TestParseOption(t *testing.T) {
	tests := []struct {
		name, value string
		code        uint8
		want        []byte
		err         error
		msg         string // part of the error
	}{
		{"domain-search", "example.org", 119, []byte("\x07example\x03org\x00"), nil, ""},
		{"ntp-server", "10.0.0.1, 10.0.0.2", 42, []byte{10, 0, 0, 1, 10, 0, 0, 2}, nil, ""},
		{"tftp-server", "tftp.example.org", 66, []byte("tftp.example.org"), nil, ""},
		{"bootfile-name", "pxelinux.0", 67, []byte("pxelinux.0"), nil, ""},
		{"server-ip-address", "10.0.0.9", 255, []byte{10, 0, 0, 9}, nil, ""},
		{"MTU", "1400", 26, []byte{5, 0x78}, nil, ""},
		{"option:mtu", "1400", 26, []byte{5, 0x78}, nil, ""},
		{"26", "1400", 26, []byte{5, 0x78}, nil, ""},
		{"option:router", "10.0.0.1", 3, []byte{10, 0, 0, 1}, nil, ""},
		{"dns-server", "8.8.8.8,1.1.1.1", 6, []byte{8, 8, 8, 8, 1, 1, 1, 1}, nil, ""},
		{"domain-name", "example.org", 15, []byte("example.org"), nil, ""},
		{"classless-static-route", "10.10.0.0/16,91.1.180.254", 121, []byte{16, 10, 10, 91, 1, 180, 254}, nil, ""},
		{"ip-forward-enable", "true", 19, []byte{1}, nil, ""},
		{"default-ttl", "64", 23, []byte{64}, nil, ""},
		{"lease-time", "3600", 51, []byte{0, 0, 0x0e, 0x10}, nil, ""},
		{"time-offset", "-3600", 2, []byte{0xff, 0xff, 0xf1, 0xf0}, nil, ""},
		{"static-route", "10.0.0.0,10.0.0.1", 33, []byte{10, 0, 0, 0, 10, 0, 0, 1}, nil, ""},
		{"sip-server", "10.0.0.5", 120, []byte{1, 10, 0, 0, 5}, nil, ""},
		{"sip-server", "sip.example.org", 120, []byte("\x00\x03sip\x07example\x03org\x00"), nil, ""},
		{"66", "10.0.0.9", 66, []byte("10.0.0.9"), nil, ""},
		{"option:150", "10.0.0.9", 150, []byte{10, 0, 0, 9}, nil, ""},
		{"224", "10.0.0.9,10.0.0.10", 224, []byte{10, 0, 0, 9, 10, 0, 0, 10}, nil, ""},
		{"224", "300", 224, []byte{1, 0x2c}, nil, ""},
		{"224", "de:ad:be:ef", 224, []byte{0xde, 0xad, 0xbe, 0xef}, nil, ""},
		{"224", "hello", 224, []byte("hello"), nil, ""},

		{"domain-serch", "x", 0, nil, ErrOptionName, "did you mean domain-search?"},
		{"no-such-option", "x", 0, nil, ErrOptionName, `"no-such-option"`},
		{"tag:ipxe,bootfile-name", "x", 0, nil, ErrOptionName, "tags are not supported"},
		{"0", "x", 0, nil, ErrOptionName, "1-254"},
		{"256", "x", 0, nil, ErrOptionName, "1-254"},
		{"message-type", "1", 0, nil, ErrOptionName, "set by the server"},
		{"54", "10.0.0.1", 0, nil, ErrOptionName, "set by the server"},
		{"mtu", "abc", 0, nil, ErrOptionValue, "a number 0-65535"},
		{"mtu", "70000", 0, nil, ErrOptionValue, "a number 0-65535"},
		{"router", "10.0.0.256", 0, nil, ErrOptionValue, "not an IPv4 address"},
		{"router", "fe80::1", 0, nil, ErrOptionValue, "not an IPv4 address"},
		{"router", "", 0, nil, ErrOptionValue, "empty value"},
		{"server-ip-address", "10.0.0.1,10.0.0.2", 0, nil, ErrOptionValue, "an IPv4 address"},
		{"domain-search", "a..b", 0, nil, ErrOptionValue, "labels are 1-63"},
		{"classless-static-route", "10.0.0.0/8", 0, nil, ErrOptionValue, "odd number"},
		{"classless-static-route", "10.0.0.1/8,10.0.0.1", 0, nil, ErrOptionValue, "host bits"},
		{"ip-forward-enable", "maybe", 0, nil, ErrOptionValue, "boolean"},
		{"bootfile-name", strings.Repeat("x", 256), 0, nil, ErrOptionValue, "at most 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			o, err := ParseOption(tt.name, tt.value)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error %v, want %v containing %q", err, tt.err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Code != tt.code || !bytes.Equal(o.Value, tt.want) {
				t.Errorf("got %d %v, want %d %v", o.Code, o.Value, tt.code, tt.want)
			}
		})
	}
	// domain-search decodes with the library's RFC 1035 reader.
	o, _ := ParseOption("domain-search", "a.example.org,b.example.org")
	l, err := rfc1035label.FromBytes(o.Value)
	if err != nil || !cmp.Equal(l.Labels, []string{"a.example.org", "b.example.org"}) {
		t.Errorf("domain-search decodes to %v, %v", l, err)
	}
}

func TestSplitPool(t *testing.T) {
	pool := Range{ip("10.0.0.100"), ip("10.0.0.199")} // 100 addresses
	tests := []struct {
		nodes, index int
		want         string
		ok           bool
	}{
		{1, 0, "10.0.0.100-10.0.0.199", true},
		{3, 0, "10.0.0.100-10.0.0.132", true},
		{3, 1, "10.0.0.133-10.0.0.165", true},
		{3, 2, "10.0.0.166-10.0.0.199", true}, // the remainder
		{3, 3, "", false},
		{0, 0, "", false},
		{101, 0, "", false},
		{101, 100, "10.0.0.100-10.0.0.199", true},
	}
	for _, tt := range tests {
		r, ok := SplitPool(pool, tt.nodes, tt.index)
		got := ""
		if ok {
			got = r.Start.String() + "-" + r.End.String()
		}
		if ok != tt.ok || got != tt.want {
			t.Errorf("SplitPool(%d, %d) = %s %v, want %s %v", tt.nodes, tt.index, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := SplitPool(Range{ip("10.0.0.9"), ip("10.0.0.1")}, 1, 0); ok {
		t.Error("reversed range split")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		msg  string
	}{
		{"server IP outside", func(c *Config) { c.Subnets[0].ServerIP = ip("10.0.0.2") }, "server IP 10.0.0.2 is not inside 91.1.180.0/24"},
		{"server IP is the broadcast", func(c *Config) { c.Subnets[0].ServerIP = ip("91.1.180.255") }, "broadcast"},
		{"gateway outside", func(c *Config) { c.Subnets[0].Gateway = ip("10.0.0.1") }, "gateway 10.0.0.1 is not inside"},
		{"pool outside", func(c *Config) { c.Subnets[0].Pool = &Range{ip("91.1.180.100"), ip("91.1.181.3")} }, "pool 91.1.180.100-91.1.181.3 is not inside"},
		{"pool reversed", func(c *Config) { c.Subnets[0].Pool = &Range{ip("91.1.180.100"), ip("91.1.180.90")} }, "ends before it starts"},
		{"pool holds the server", func(c *Config) { c.Subnets[0].Pool = &Range{ip("91.1.180.2"), ip("91.1.180.90")} }, "holds the server IP"},
		{"IPv6 subnet", func(c *Config) { c.Subnets[1].CIDR = prefix("fd00::/64") }, "not an IPv4 prefix"},
		{"host outside", func(c *Config) { c.Hosts[0].IP = ip("10.0.0.9") }, "not inside any DHCP subnet"},
		{"host in the pool", func(c *Config) { c.Hosts[0].IP = ip("91.1.180.101") }, "inside the pool"},
		{"host IP twice", func(c *Config) { c.Hosts[1].IP = c.Hosts[0].IP }, "given to another host"},
		{"bad host option", func(c *Config) { c.Hosts[0].Options = []Option{{Code: 53, Value: []byte{1}}} }, "set by the server"},
		{"overlap", func(c *Config) { c.Subnets[1].CIDR = prefix("91.1.180.0/23"); c.Subnets[1].ServerIP = ip("91.1.181.2") }, "overlaps"},
		{"no subnets", func(c *Config) { c.Subnets, c.Hosts = nil, nil }, "no DHCP subnet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.edit(&cfg)
			_, err := New(cfg, nil)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one containing %q", err, tt.msg)
			}
		})
	}
}
