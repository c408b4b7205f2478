package nat

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// The oracle of the table tests is gopacket: a frame is decoded, its
// layers are serialized again with checksums computed from scratch, and
// every checksum field of the frame must equal the recomputed one. The
// packet an ICMP error quotes goes through the same when the quote holds
// the whole datagram.

// verifyChecksums fails t for every checksum of frame that gopacket
// computes differently, and returns the names of the fields compared.
func verifyChecksums(t *testing.T, frame []byte) []string {
	t.Helper()
	names, diffs, err := recompute(frame)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	return names
}

// recompute is the oracle: the names of the checksum fields compared, and
// a line for each that differs from gopacket's.
func recompute(frame []byte) (names, diffs []string, err error) {
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		return nil, nil, fmt.Errorf("gopacket cannot decode the frame: %v", el.Error())
	}
	names, diffs, err = compareRecomputed("", p)
	if err != nil {
		return nil, nil, err
	}
	ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if !ok || !isICMPError(ic.TypeCode.Type()) {
		return names, diffs, nil
	}
	q := ic.Payload
	if len(q) < header.IPv4MinLen || int(binary.BigEndian.Uint16(q[2:4])) != len(q) {
		return names, diffs, nil // a partial quote: gopacket cannot decode it
	}
	qp := gopacket.NewPacket(q, layers.LayerTypeIPv4, gopacket.Default)
	if el := qp.ErrorLayer(); el != nil {
		return nil, nil, fmt.Errorf("gopacket cannot decode the quoted packet: %v", el.Error())
	}
	n, d, err := compareRecomputed("quoted ", qp)
	return append(names, n...), append(diffs, d...), err
}

func isICMPError(typ uint8) bool {
	switch typ {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// compareRecomputed serializes the layers of p with checksums computed,
// decodes the result and compares each checksum field with p's.
func compareRecomputed(prefix string, p gopacket.Packet) (names, diffs []string, err error) {
	have := fieldsOf(p)
	var ls []gopacket.SerializableLayer
	var ip *layers.IPv4
	for _, l := range p.Layers() {
		switch v := l.(type) {
		case *layers.IPv4:
			ip = v
		case *layers.TCP:
			err = v.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			err = v.SetNetworkLayerForChecksum(ip)
		}
		if err != nil {
			return nil, nil, err
		}
		s, ok := l.(gopacket.SerializableLayer)
		if !ok {
			return nil, nil, fmt.Errorf("%slayer %v cannot be serialized", prefix, l.LayerType())
		}
		ls = append(ls, s)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, ls...); err != nil {
		return nil, nil, fmt.Errorf("%sserialize: %v", prefix, err)
	}
	want := fieldsOf(gopacket.NewPacket(buf.Bytes(), p.Layers()[0].LayerType(), gopacket.Default))
	for _, f := range have {
		w, ok := lookupField(want, f.name)
		switch {
		case !ok:
			diffs = append(diffs, prefix+f.name+": missing after serializing")
		case f.name == "UDP" && f.sum == 0:
			// No checksum was sent: gopacket computes one, the frame
			// must keep none.
			names = append(names, prefix+"UDP (none)")
		case f.sum != w.sum:
			diffs = append(diffs, fmt.Sprintf("%s%s checksum %#04x, recomputed %#04x", prefix, f.name, f.sum, w.sum))
		default:
			names = append(names, prefix+f.name)
		}
	}
	return names, diffs, nil
}

// field is one checksum field of a decoded packet.
type field struct {
	name string
	sum  uint16
}

func fieldsOf(p gopacket.Packet) []field {
	var fs []field
	for _, l := range p.Layers() {
		switch v := l.(type) {
		case *layers.IPv4:
			fs = append(fs, field{"IPv4", v.Checksum})
		case *layers.TCP:
			fs = append(fs, field{"TCP", v.Checksum})
		case *layers.UDP:
			fs = append(fs, field{"UDP", v.Checksum})
		case *layers.ICMPv4:
			fs = append(fs, field{"ICMPv4", v.Checksum})
		}
	}
	return fs
}

func lookupField(fs []field, name string) (field, bool) {
	for _, f := range fs {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// TestOracle: the oracle accepts the frames gopacket built and catches a
// wrong checksum in every field it compares, quoted ones included.
func TestOracle(t *testing.T) {
	udp := udpFrame(t, vmIP, extIP, 40000, 9000, 21)
	frames := map[string][]byte{
		"tcp":   tcpOptionsFrame(t, vmIP, extIP, 40000, 5201),
		"udp":   udp,
		"echo":  echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 7),
		"error": icmpErrorFrame(t, extIP, gwIP, 3, 3, udp, 1000),
	}
	want := map[string][]string{
		"tcp":   {"IPv4", "TCP"},
		"udp":   {"IPv4", "UDP"},
		"echo":  {"IPv4", "ICMPv4"},
		"error": {"IPv4", "ICMPv4", "quoted IPv4", "quoted UDP"},
	}
	for name, f := range frames {
		names, diffs, err := recompute(f)
		if err != nil || len(diffs) != 0 {
			t.Fatalf("%s: %v %v", name, err, diffs)
		}
		if fmt.Sprint(names) != fmt.Sprint(want[name]) {
			t.Errorf("%s: compared %v, want %v", name, names, want[name])
		}
		l := parse(t, f)
		csums := map[string]int{"IPv4": int(l.L3) + 10}
		switch l.Proto {
		case header.ProtoTCP:
			csums["TCP"] = int(l.L4) + tcpCsum
		case header.ProtoUDP:
			csums["UDP"] = int(l.L4) + udpCsum
		case header.ProtoICMP:
			csums["ICMPv4"] = int(l.L4) + icmpCsum
			q := int(l.Payload)
			csums["quoted IPv4"] = q + 10
			csums["quoted UDP"] = q + header.IPv4MinLen + udpCsum
		}
		for _, n := range want[name] {
			g := clone(f)
			g[csums[n]] ^= 0x10
			// A quoted field is also covered by the ICMP checksum,
			// which breaks with it.
			if _, diffs, err := recompute(g); err != nil || !hasPrefix(diffs, n+" checksum") {
				t.Errorf("%s: %s checksum broken: diffs %v, err %v", name, n, diffs, err)
			}
		}
	}
}

// hasPrefix reports whether one of lines starts with p.
func hasPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
