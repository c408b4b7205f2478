// Package flow reads a packet described in Open vSwitch's flow syntax
// (`icmp,nw_dst=192.168.1.15`, `tcp,nw_src=10.0.0.5,tp_dst=80`), as
// ovs-appctl ofproto/trace takes it, and builds the frame it describes,
// for `neutrino trace`. What the description leaves out, the caller fills
// in (Defaults) before Frame.
package flow

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Flow is a parsed description. Unset numbers are -1, unset addresses
// zero.
type Flow struct {
	Proto          string // ip, icmp, tcp, udp, arp ("" when only fields were given: ip)
	DlSrc, DlDst   net.HardwareAddr
	DlVlan         int
	NwSrc, NwDst   netip.Addr
	NwTTL, NwTOS   int
	TpSrc, TpDst   int
	ICMPType       int
	ICMPCode       int
	TCPFlags       layers.TCP // only the flag booleans are used
	tcpFlagsSet    bool
	ArpOp          int
	ArpSpa, ArpTpa netip.Addr
	ArpSha, ArpTha net.HardwareAddr
	PayloadLen     int
}

// fields are the names Parse knows, with what they take (for errors).
var fields = map[string]string{
	"dl_src": "a MAC", "dl_dst": "a MAC", "dl_vlan": "a VLAN id 0-4095",
	"nw_src": "an IPv4 address", "nw_dst": "an IPv4 address", "nw_ttl": "a TTL 0-255", "nw_tos": "a TOS 0-255",
	"tp_src": "a port 0-65535", "tp_dst": "a port 0-65535",
	"icmp_type": "an ICMP type 0-255", "icmp_code": "an ICMP code 0-255",
	"tcp_flags": "flags as +syn+ack (syn, ack, fin, rst, psh, urg)",
	"arp_op":    "1 (request) or 2 (reply)", "arp_spa": "an IPv4 address", "arp_tpa": "an IPv4 address",
	"arp_sha": "a MAC", "arp_tha": "a MAC", "payload": "a length 0-9000",
}

var protos = map[string]bool{"ip": true, "icmp": true, "tcp": true, "udp": true, "arp": true}

// Error is a flow that does not parse: where (a 1-based column) and
// what was expected there.
type Error struct {
	Flow   string
	Column int
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("flow %q, column %d: %s", e.Flow, e.Column, e.Msg)
}

// Parse reads s: comma-separated protocol keywords and field=value pairs.
func Parse(s string) (Flow, error) {
	f := Flow{DlVlan: -1, NwTTL: -1, NwTOS: -1, TpSrc: -1, TpDst: -1, ICMPType: -1, ICMPCode: -1, ArpOp: -1, PayloadLen: -1}
	col := 1
	fail := func(c int, format string, a ...any) (Flow, error) {
		return Flow{}, &Error{Flow: s, Column: c, Msg: fmt.Sprintf(format, a...)}
	}
	if strings.TrimSpace(s) == "" {
		return fail(1, "empty: want a protocol (%s) and fields (%s)", keys(protos), keys(fields))
	}
	for _, part := range strings.Split(s, ",") {
		at := col
		col += len(part) + 1
		part = strings.TrimSpace(part)
		if part == "" {
			return fail(at, "an empty item between commas")
		}
		name, val, isField := strings.Cut(part, "=")
		if !isField {
			if !protos[name] {
				return fail(at, "unknown protocol %q: want one of %s, or field=value", name, keys(protos))
			}
			if f.Proto != "" && f.Proto != name {
				return fail(at, "a second protocol %q after %q", name, f.Proto)
			}
			f.Proto = name
			continue
		}
		want, ok := fields[name]
		if !ok {
			return fail(at, "unknown field %q: want one of %s", name, keys(fields))
		}
		vcol := at + len(name) + 1
		bad := func() (Flow, error) { return fail(vcol, "%s=%q: want %s", name, val, want) }
		switch name {
		case "dl_src", "dl_dst", "arp_sha", "arp_tha":
			m, err := net.ParseMAC(val)
			if err != nil || len(m) != 6 {
				return bad()
			}
			switch name {
			case "dl_src":
				f.DlSrc = m
			case "dl_dst":
				f.DlDst = m
			case "arp_sha":
				f.ArpSha = m
			default:
				f.ArpTha = m
			}
		case "nw_src", "nw_dst", "arp_spa", "arp_tpa":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.Is4() {
				return bad()
			}
			switch name {
			case "nw_src":
				f.NwSrc = a
			case "nw_dst":
				f.NwDst = a
			case "arp_spa":
				f.ArpSpa = a
			default:
				f.ArpTpa = a
			}
		case "tcp_flags":
			if !f.parseFlags(val) {
				return bad()
			}
		default:
			max := map[string]int{"dl_vlan": 4095, "nw_ttl": 255, "nw_tos": 255, "tp_src": 65535, "tp_dst": 65535,
				"icmp_type": 255, "icmp_code": 255, "arp_op": 2, "payload": 9000}[name]
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > max || (name == "arp_op" && n < 1) {
				return bad()
			}
			*map[string]*int{"dl_vlan": &f.DlVlan, "nw_ttl": &f.NwTTL, "nw_tos": &f.NwTOS, "tp_src": &f.TpSrc, "tp_dst": &f.TpDst,
				"icmp_type": &f.ICMPType, "icmp_code": &f.ICMPCode, "arp_op": &f.ArpOp, "payload": &f.PayloadLen}[name] = n
		}
	}
	if f.Proto == "" {
		f.Proto = "ip"
		if f.ArpOp >= 0 || f.ArpTpa.IsValid() || f.ArpSpa.IsValid() {
			f.Proto = "arp"
		}
	}
	return f, f.check(s)
}

func (f *Flow) parseFlags(v string) bool {
	if v == "" {
		return false
	}
	for _, fl := range strings.Split(strings.TrimPrefix(v, "+"), "+") {
		switch fl {
		case "syn":
			f.TCPFlags.SYN = true
		case "ack":
			f.TCPFlags.ACK = true
		case "fin":
			f.TCPFlags.FIN = true
		case "rst":
			f.TCPFlags.RST = true
		case "psh":
			f.TCPFlags.PSH = true
		case "urg":
			f.TCPFlags.URG = true
		default:
			return false
		}
	}
	f.tcpFlagsSet = true
	return true
}

// check refuses fields of another protocol than the flow's.
func (f *Flow) check(s string) error {
	bad := func(field string) error {
		return &Error{Flow: s, Column: strings.Index(s, field) + 1, Msg: fmt.Sprintf("%s is not a field of %s", field, f.Proto)}
	}
	if f.Proto != "tcp" && f.Proto != "udp" {
		for _, k := range []string{"tp_src", "tp_dst"} {
			if strings.Contains(s, k+"=") {
				return bad(k)
			}
		}
	}
	if f.Proto != "tcp" && f.tcpFlagsSet {
		return bad("tcp_flags")
	}
	if f.Proto != "icmp" && (f.ICMPType >= 0 || f.ICMPCode >= 0) {
		if f.ICMPType >= 0 {
			return bad("icmp_type")
		}
		return bad("icmp_code")
	}
	if f.Proto == "arp" && (f.NwSrc.IsValid() || f.NwDst.IsValid()) {
		if f.NwSrc.IsValid() {
			return bad("nw_src")
		}
		return bad("nw_dst")
	}
	return nil
}

func keys[V any](m map[string]V) string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return strings.Join(k, ", ")
}

// Frame builds the frame f describes; addresses it still lacks are
// zero (call Defaults first).
func (f Flow) Frame() ([]byte, error) {
	eth := &layers.Ethernet{SrcMAC: mac(f.DlSrc), DstMAC: mac(f.DlDst), EthernetType: layers.EthernetTypeIPv4}
	var ls []gopacket.SerializableLayer
	if f.DlVlan >= 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, eth, &layers.Dot1Q{VLANIdentifier: uint16(f.DlVlan), Type: layers.EthernetTypeIPv4})
	} else {
		ls = append(ls, eth)
	}
	setType := func(t layers.EthernetType) {
		if f.DlVlan >= 0 {
			ls[1].(*layers.Dot1Q).Type = t
		} else {
			eth.EthernetType = t
		}
	}
	payload := gopacket.Payload(make([]byte, max(f.PayloadLen, 0)))
	if f.Proto == "arp" {
		setType(layers.EthernetTypeARP)
		op := uint16(layers.ARPRequest)
		if f.ArpOp == 2 {
			op = layers.ARPReply
		}
		ls = append(ls, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: mac(f.ArpSha), SourceProtAddress: ip4(f.ArpSpa), DstHwAddress: mac(f.ArpTha), DstProtAddress: ip4(f.ArpTpa)})
		return serialize(ls)
	}
	ip := &layers.IPv4{Version: 4, TTL: uint8(f.NwTTL), TOS: uint8(max(f.NwTOS, 0)), SrcIP: ip4(f.NwSrc), DstIP: ip4(f.NwDst), Protocol: layers.IPProtocolNoNextHeader}
	ls = append(ls, ip)
	switch f.Proto {
	case "icmp":
		ip.Protocol = layers.IPProtocolICMPv4
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(uint8(f.ICMPType), uint8(max(f.ICMPCode, 0))), Id: 0x4e54, Seq: 1}, payload)
	case "tcp":
		ip.Protocol = layers.IPProtocolTCP
		t := f.TCPFlags
		t.SrcPort, t.DstPort, t.Window, t.Seq = layers.TCPPort(f.TpSrc), layers.TCPPort(f.TpDst), 64240, 1
		if t.ACK {
			t.Ack = 1
		}
		_ = t.SetNetworkLayerForChecksum(ip)
		ls = append(ls, &t, payload)
	case "udp":
		ip.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(f.TpSrc), DstPort: layers.UDPPort(f.TpDst)}
		_ = u.SetNetworkLayerForChecksum(ip)
		ls = append(ls, u, payload)
	default:
		ls = append(ls, payload)
	}
	return serialize(ls)
}

// Defaults fills in what the description left out, from the port the
// frame enters at: its MAC and IPv4 address, and dst, the MAC the
// destination is reached at (a host of the network, or its gateway).
// TTL 64; an ICMP echo request; a TCP SYN from port 32768 to 80; UDP from
// 32768 to 53.
func (f *Flow) Defaults(srcMAC net.HardwareAddr, srcIP netip.Addr, dst func(netip.Addr) net.HardwareAddr) {
	if f.DlSrc == nil {
		f.DlSrc = srcMAC
	}
	if f.NwTTL < 0 {
		f.NwTTL = 64
	}
	switch f.Proto {
	case "arp":
		if f.ArpOp < 0 {
			f.ArpOp = 1
		}
		if !f.ArpSpa.IsValid() {
			f.ArpSpa = srcIP
		}
		if f.ArpSha == nil {
			f.ArpSha = f.DlSrc
		}
		if f.DlDst == nil {
			f.DlDst = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		}
		return
	case "icmp":
		if f.ICMPType < 0 {
			f.ICMPType = 8
		}
	case "tcp":
		if !f.tcpFlagsSet {
			f.TCPFlags.SYN = true
		}
	}
	if f.TpSrc < 0 {
		f.TpSrc = 32768
	}
	if f.TpDst < 0 {
		f.TpDst = map[string]int{"tcp": 80, "udp": 53}[f.Proto]
	}
	if !f.NwSrc.IsValid() {
		f.NwSrc = srcIP
	}
	if f.DlDst == nil && f.NwDst.IsValid() && dst != nil {
		f.DlDst = dst(f.NwDst)
	}
	if f.DlDst == nil {
		f.DlDst = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	}
}

func serialize(ls []gopacket.SerializableLayer) ([]byte, error) {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if len(b) < 60 {
		b = append(b, make([]byte, 60-len(b))...)
	}
	return b, nil
}

func mac(m net.HardwareAddr) net.HardwareAddr {
	if len(m) != 6 {
		return make(net.HardwareAddr, 6)
	}
	return m
}

func ip4(a netip.Addr) net.IP {
	if !a.Is4() {
		return net.IPv4zero.To4()
	}
	b := a.As4()
	return net.IP(b[:])
}
