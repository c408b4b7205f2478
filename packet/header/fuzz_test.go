package header

// Fuzz targets: every view and Parse, with gopacket's layers as the
// differential oracle. Where gopacket's decoder deliberately differs from
// ours, the comment at the target says exactly how, and the target checks
// the precise relation between the two instead of skipping the input.
//
// Run one at a time, e.g.
//
//	go test ./packet/header -run '^$' -fuzz '^FuzzIPv4$' -fuzztime 20s -fuzzminimizetime 5s -parallel 1
//
// -fuzzminimizetime keeps the fuzzer from spending most of a short run
// minimizing a few grown inputs (12 s and more each were seen).

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
)

// seed adds to f, for every good and bad frame of the Parse table (but the
// 64 KB super-frame, which only slows the fuzzer down), what pick returns.
func seed(f *testing.F, pick func(frame []byte, l *Layout) []byte) {
	f.Helper()
	for _, tt := range parseCases(f) {
		if len(tt.frame) > 2000 {
			continue
		}
		l := tt.want.Layout
		if b := pick(tt.frame, &l); b != nil {
			f.Add(b)
		}
	}
}

// atL3 and atL4 pick the bytes from the frame's L3 or L4 header on.
func atL3(frame []byte, l *Layout) []byte {
	if l.L3 == 0 || int(l.L3) > len(frame) {
		return nil
	}
	return frame[l.L3:]
}

func atL4(proto uint8) func(frame []byte, l *Layout) []byte {
	return func(frame []byte, l *Layout) []byte {
		if l.Flags&IsIPv4 == 0 || l.Proto != proto {
			return nil
		}
		ip := frame[l.L3:]
		hl := int(ip[0]&0x0f) * 4
		if len(ip) < hl {
			return nil
		}
		return ip[hl:]
	}
}

// fieldsDiff is cmp.Diff made cheap for the fuzzers' hot path (cmp costs
// some 40 µs an input, which cut the exec rate tenfold): cmp only runs when
// reflect.DeepEqual, which is at least as strict, finds a difference.
func fieldsDiff(want, got any, opts ...cmp.Option) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got, opts...)
}

// nopOptions returns a copy of b with bytes [from, to) (clipped to b) set
// to 1, the NOP option of both IPv4 and TCP.
func nopOptions(b []byte, from, to int) []byte {
	c := clone(b)
	for i := from; i < to && i < len(c); i++ {
		c[i] = 1
	}
	return c
}

// FuzzEthernet: both accept exactly the inputs of 14 bytes or more.
// Difference: gopacket reads an EtherType below 0x0600 as an IEEE 802.3
// length (EthernetTypeLLC, Length) and trims Payload to it when enough bytes
// are there; the view reports the raw field and the whole rest.
func FuzzEthernet(f *testing.F) {
	seed(f, func(frame []byte, _ *Layout) []byte { return frame })
	f.Fuzz(func(t *testing.T, data []byte) {
		v := Ethernet(data)
		e, err := decodeEthernet(data)
		if v.Valid() != (err == nil) {
			t.Fatalf("Valid() = %v, gopacket error %v", v.Valid(), err)
		}
		if err != nil {
			return
		}
		got, want := ethernetFieldsOf(v), ethernetFieldsFromGopacket(e)
		want.Broadcast = want.Dst == [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		want.Multicast = want.Dst[0]&1 == 1
		if want.Type < 0x0600 {
			if n := min(int(want.Type), len(got.Payload)); len(want.Payload) != n {
				t.Fatalf("802.3 length %d: gopacket payload %d bytes, want %d", want.Type, len(want.Payload), n)
			}
			got.Payload = got.Payload[:len(want.Payload)]
		}
		if diff := fieldsDiff(want, got); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		h := make(Ethernet, EthernetLen)
		h.SetDst(got.Dst)
		h.SetSrc(got.Src)
		h.SetType(got.Type)
		if !bytes.Equal(h, data[:EthernetLen]) {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:EthernetLen])
		}
	})
}

// FuzzVLAN: both accept exactly the inputs of 4 bytes or more. Difference:
// like Ethernet, gopacket trims Payload to an inner "type" below 0x0600 when
// enough bytes are there.
func FuzzVLAN(f *testing.F) {
	seed(f, func(frame []byte, l *Layout) []byte {
		if l.Flags&Tagged == 0 || len(frame) < EthernetLen {
			return nil
		}
		return frame[EthernetLen:]
	})
	f.Add([]byte{0x0f, 0xff, 0x00, 0x05, 1, 2, 3, 4, 5, 6, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := VLAN(data)
		d, err := decodeDot1Q(data)
		if v.Valid() != (err == nil) {
			t.Fatalf("Valid() = %v, gopacket error %v", v.Valid(), err)
		}
		if err != nil {
			return
		}
		got, want := vlanFieldsOf(v), vlanFieldsFromGopacket(d)
		if want.Type < 0x0600 && int(want.Type) <= len(got.Payload) {
			if len(want.Payload) != int(want.Type) {
				t.Fatalf("802.3 length %d: gopacket payload %d bytes", want.Type, len(want.Payload))
			}
			got.Payload = got.Payload[:want.Type]
		}
		if diff := fieldsDiff(want, got); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		h := make(VLAN, VLANTagLen)
		h.SetPCP(got.PCP)
		h.SetDEI(got.DEI)
		h.SetVID(got.VID)
		h.SetType(got.Type)
		if !bytes.Equal(h, data[:VLANTagLen]) || MakeTCI(got.PCP, got.DEI, got.VID) != got.TCI {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:VLANTagLen])
		}
	})
}

// FuzzARP: the view is the fixed Ethernet/IPv4 layout (28 bytes); gopacket
// decodes any address sizes, needing 8+2*hlen+2*plen bytes. So: with hlen 6
// and plen 4 both accept exactly the inputs of 28 bytes or more and agree
// on every field; with other sizes, whenever both accept they agree on the
// fixed fields and the view does not claim Ethernet/IPv4.
func FuzzARP(f *testing.F) {
	seed(f, func(frame []byte, l *Layout) []byte {
		if l.EtherType != EtherTypeARP {
			return nil
		}
		return atL3(frame, l)
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := ARP(data)
		a, err := decodeARP(data)
		sizes64 := len(data) >= 6 && data[4] == 6 && data[5] == 4
		if sizes64 && v.Valid() != (err == nil) {
			t.Fatalf("hlen 6 plen 4: Valid() = %v, gopacket error %v", v.Valid(), err)
		}
		if !v.Valid() || err != nil {
			return
		}
		got, want := arpFieldsOf(v), arpFieldsFromGopacketSized(a)
		if !sizes64 {
			if got.EthernetIPv4 {
				t.Fatalf("IsEthernetIPv4() with hlen %d plen %d", data[4], data[5])
			}
			got = arpFields{HardwareType: got.HardwareType, ProtoType: got.ProtoType, HardwareLen: got.HardwareLen,
				ProtocolLen: got.ProtocolLen, Op: got.Op}
		}
		if diff := fieldsDiff(want, got, addrComparer); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		if got.EthernetIPv4 {
			h := make(ARP, ARPLen)
			h.SetEthernetIPv4()
			h.SetOp(got.Op)
			h.SetSHA(got.SHA)
			h.SetSPA(got.SPA)
			h.SetTHA(got.THA)
			h.SetTPA(got.TPA)
			if !bytes.Equal(h, data[:ARPLen]) {
				t.Fatalf("setters wrote % x, want % x", []byte(h), data[:ARPLen])
			}
		}
	})
}

// arpFieldsFromGopacketSized is arpFieldsFromGopacket for any address
// sizes: only the fixed fields when they are not 6 and 4.
func arpFieldsFromGopacketSized(a *layers.ARP) arpFields {
	if a.HwAddressSize == 6 && a.ProtAddressSize == 4 {
		return arpFieldsFromGopacket(a)
	}
	return arpFields{HardwareType: uint16(a.AddrType), ProtoType: uint16(a.Protocol),
		HardwareLen: a.HwAddressSize, ProtocolLen: a.ProtAddressSize, Op: a.Operation}
}

// FuzzIPv4 compares IPv4.Check with layers.IPv4.DecodeFromBytes, which
// differs on purpose in four ways:
//
//  1. gopacket does not check the version; the view wants 4.
//  2. gopacket takes a total length of 0 to mean "TSO, use the buffer
//     length"; the view rejects it (Linux hands us GSO super-frames with a
//     real total length).
//  3. gopacket accepts a total length past the end of the buffer (it only
//     flags truncation) when the header itself fits; the view rejects it.
//  4. gopacket parses the options and rejects a malformed option list; the
//     view does not look at options.
//
// So gopacket decodes a copy whose option bytes are all NOPs (which it
// always accepts; and the original can only be accepted if that copy is),
// and the check is: Check() == OK exactly when gopacket accepts that copy,
// the version is 4, and the total length is neither 0 nor past the end.
// The fields must then be equal, options compared raw from the original.
func FuzzIPv4(f *testing.F) {
	seed(f, func(frame []byte, l *Layout) []byte {
		if l.EtherType != EtherTypeIPv4 {
			return nil
		}
		return atL3(frame, l)
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := IPv4(data)
		m := v.Check()
		if m != OK && m != TruncatedIPv4 && m != BadIPv4Version && m != BadIPv4HeaderLength && m != BadIPv4TotalLength {
			t.Fatalf("Check() = %v, not an IPv4 reason", m)
		}
		hl := 0
		if len(data) > 0 {
			hl = int(data[0]&0x0f) * 4
		}
		ip, err := decodeIPv4(nopOptions(data, IPv4MinLen, hl))
		orig, origErr := decodeIPv4(data)
		if origErr == nil && err != nil {
			t.Fatalf("gopacket accepts the original but not with NOP options: %v", err)
		}
		// err == nil implies len(data) >= 20. gopacket replaces a total
		// length of 0 by the buffer length, so read the raw field.
		gpOK := err == nil && data[0]>>4 == 4 && binary.BigEndian.Uint16(data[2:4]) != 0 &&
			int(binary.BigEndian.Uint16(data[2:4])) <= len(data)
		if (m == OK) != gpOK {
			t.Fatalf("Check() = %v; gopacket error %v (version %d, total length %d, %d bytes)",
				m, err, ip.Version, ip.Length, len(data))
		}
		if m != OK {
			return
		}
		want := ipv4FieldsFromGopacket(ip)
		if origErr == nil {
			want = ipv4FieldsFromGopacket(orig)
		} else {
			want.Options = data[IPv4MinLen:hl]
		}
		got := ipv4FieldsOf(v)
		if diff := fieldsDiff(want, got, addrComparer); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		if v.CalculateChecksum() == v.Checksum() && !v.ChecksumValid() {
			t.Fatalf("CalculateChecksum() matches the field but ChecksumValid() is false")
		}
		h := make(IPv4, IPv4MinLen)
		h.SetHeaderLen(hl)
		h.SetTOS(got.TOS)
		h.SetTotalLength(got.TotalLength)
		h.SetID(got.ID)
		h.SetFlagsFragment(got.FlagsFragment)
		h.SetTTL(got.TTL)
		h.SetProtocol(got.Protocol)
		h.SetChecksum(got.Checksum)
		h.SetSrc(got.Src)
		h.SetDst(got.Dst)
		if !bytes.Equal(h, data[:IPv4MinLen]) {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:IPv4MinLen])
		}
	})
}

// FuzzICMPv4: both accept exactly the inputs of 8 bytes or more and agree on
// every field.
func FuzzICMPv4(f *testing.F) {
	seed(f, atL4(ProtoICMP))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := ICMPv4(data)
		i, err := decodeICMPv4(data)
		if v.Valid() != (err == nil) {
			t.Fatalf("Valid() = %v, gopacket error %v", v.Valid(), err)
		}
		if err != nil {
			return
		}
		got := icmpv4FieldsOf(v)
		if diff := fieldsDiff(icmpv4FieldsFromGopacket(i), got); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		if v.CalculateChecksum() == v.Checksum() && !v.ChecksumValid() {
			t.Fatalf("CalculateChecksum() matches the field but ChecksumValid() is false")
		}
		h := make(ICMPv4, ICMPv4Len)
		h.SetType(got.Type)
		h.SetCode(got.Code)
		h.SetChecksum(got.Checksum)
		h.SetID(got.ID)
		h.SetSeq(got.Seq)
		if !bytes.Equal(h, data[:ICMPv4Len]) {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:ICMPv4Len])
		}
	})
}

// FuzzUDP compares UDP.Check with layers.UDP.DecodeFromBytes. Both reject
// fewer than 8 bytes and a Length of 1 to 7. On purpose, gopacket also
// accepts a Length of 0 (an IPv6 jumbogram, RFC 2675) and a Length past the
// end (it only flags truncation); the view rejects both. So Check() == OK
// exactly when gopacket accepts and 0 < Length <= len; the fields, payload
// included, must then be equal.
func FuzzUDP(f *testing.F) {
	seed(f, atL4(ProtoUDP))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := UDP(data)
		m := v.Check()
		if m != OK && m != TruncatedUDP {
			t.Fatalf("Check() = %v, not a UDP reason", m)
		}
		u, err := decodeUDP(data)
		gpOK := err == nil && u.Length != 0 && int(u.Length) <= len(data)
		if (m == OK) != gpOK {
			t.Fatalf("Check() = %v; gopacket error %v (length %d, %d bytes)", m, err, u.Length, len(data))
		}
		if m != OK {
			return
		}
		got := udpFieldsOf(v)
		if diff := fieldsDiff(udpFieldsFromGopacket(u), got); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		h := make(UDP, UDPLen)
		h.SetSrcPort(got.SrcPort)
		h.SetDstPort(got.DstPort)
		h.SetLength(got.Length)
		h.SetChecksum(got.Checksum)
		if !bytes.Equal(h, data[:UDPLen]) {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:UDPLen])
		}
	})
}

// FuzzTCP compares TCP.Check with layers.TCP.DecodeFromBytes. Both reject
// fewer than 20 bytes, a data offset below 5 and a data offset past the
// end. On purpose, gopacket also parses the options and rejects a malformed
// list; the view does not look at them. So gopacket decodes a copy whose
// option bytes are NOPs, Check() == OK exactly when it accepts that, and the
// fields must then be equal, options compared raw from the original.
func FuzzTCP(f *testing.F) {
	seed(f, atL4(ProtoTCP))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := TCP(data)
		m := v.Check()
		if m != OK && m != TruncatedTCP {
			t.Fatalf("Check() = %v, not a TCP reason", m)
		}
		hl := 0
		if len(data) > 12 {
			hl = int(data[12]>>4) * 4
		}
		tcp, err := decodeTCP(nopOptions(data, TCPMinLen, hl))
		orig, origErr := decodeTCP(data)
		if origErr == nil && err != nil {
			t.Fatalf("gopacket accepts the original but not with NOP options: %v", err)
		}
		if (m == OK) != (err == nil) {
			t.Fatalf("Check() = %v; gopacket error %v", m, err)
		}
		if m != OK {
			return
		}
		want := tcpFieldsFromGopacket(tcp)
		if origErr == nil {
			want = tcpFieldsFromGopacket(orig)
		} else {
			want.Options = data[TCPMinLen:hl]
		}
		got := tcpFieldsOf(v)
		if diff := fieldsDiff(want, got); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		h := make(TCP, TCPMinLen)
		h.SetSrcPort(got.SrcPort)
		h.SetDstPort(got.DstPort)
		h.SetSeq(got.Seq)
		h.SetAck(got.Ack)
		h[12] = data[12] // the reserved bits and NS/AE, which have no setter
		h.SetDataOffset(got.DataOffset)
		h.SetFlags(got.Flags)
		h.SetWindow(got.Window)
		h.SetChecksum(got.Checksum)
		h.SetUrgent(got.Urgent)
		if !bytes.Equal(h, data[:TCPMinLen]) {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:TCPMinLen])
		}
	})
}

// FuzzVXLAN: both accept exactly the inputs of 8 bytes or more and agree on
// the VNI, the I flag and the payload. gopacket reports only the I and G
// bits of the flag byte (and the group policy fields, which we do not
// read), so flags are compared under those bits.
func FuzzVXLAN(f *testing.F) {
	seed(f, func(frame []byte, l *Layout) []byte {
		if b := atL4(ProtoUDP)(frame, l); len(b) >= UDPLen && UDP(b).DstPort() == VXLANPort {
			return b[UDPLen:]
		}
		return nil
	})
	f.Add([]byte{0x88, 0x40, 0x12, 0x34, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		v := VXLAN(data)
		x, err := decodeVXLAN(data)
		if v.Valid() != (err == nil) {
			t.Fatalf("Valid() = %v, gopacket error %v", v.Valid(), err)
		}
		if err != nil {
			return
		}
		got := vxlanFieldsOf(v)
		got.Flags &= vxlanKnownFlags
		if diff := fieldsDiff(vxlanFieldsFromGopacket(x), got); diff != "" {
			t.Fatalf("fields (-gopacket +view):\n%s", diff)
		}
		h := VXLAN(clone(data[:VXLANLen]))
		h.SetVNI(0)
		h.SetVNI(got.VNI)
		h.SetFlags(data[0])
		if !bytes.Equal(h, data[:VXLANLen]) {
			t.Fatalf("SetVNI/SetFlags wrote % x, want % x", []byte(h), data[:VXLANLen])
		}
		h.Encode(got.VNI)
		if want := vxlanFieldsOf(VXLAN(h)); want.VNI != got.VNI || !want.HasVNI || want.Flags != VXLANFlagI {
			t.Fatalf("Encode(%#x) wrote % x", got.VNI, []byte(h))
		}
	})
}

// FuzzVirtioNet: gopacket has no virtio-net layer, so encoding/binary
// decoding struct virtio_net_hdr little-endian is the oracle. Both accept
// exactly the inputs of 10 bytes or more and agree on every field.
func FuzzVirtioNet(f *testing.F) {
	f.Add([]byte{0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00})
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Add(append([]byte{0x01, 0x03, 0x2a, 0x00, 0xc8, 0x05, 0x22, 0x00, 0x06, 0x00}, udpFrame(f)...))
	f.Add(append([]byte{0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}, arpFrame(f)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := VirtioNet(data)
		want, err := virtioNetFieldsFromBinary(data)
		if v.Valid() != (err == nil) {
			t.Fatalf("Valid() = %v, encoding/binary error %v", v.Valid(), err)
		}
		if err != nil {
			return
		}
		got := virtioNetFieldsOf(v)
		if diff := fieldsDiff(want, got); diff != "" {
			t.Fatalf("fields (-binary +view):\n%s", diff)
		}
		if !bytes.Equal(v.Payload(), data[VirtioNetLen:]) {
			t.Fatalf("Payload() is not the rest")
		}
		h := make(VirtioNet, VirtioNetLen)
		h.SetFlags(got.Flags)
		h.SetGSOType(got.GSOType)
		h.SetHdrLen(got.HdrLen)
		h.SetGSOSize(got.GSOSize)
		h.SetCsumStart(got.CsumStart)
		h.SetCsumOffset(got.CsumOffset)
		if !bytes.Equal(h, data[:VirtioNetLen]) {
			t.Fatalf("setters wrote % x, want % x", []byte(h), data[:VirtioNetLen])
		}
	})
}

// FuzzParse checks that Parse never panics and keeps its offsets inside the
// frame, that its Layout agrees with the views, and, layer by layer, that it
// agrees with gopacket under the differences written down at the view
// targets above (802.3 lengths, IPv4 version / total length 0 / total length
// past the end / options, UDP length 0 or past the end, TCP options, ARP
// address sizes), plus one of Parse's own: in a first fragment (MF set) the
// UDP length may exceed the bytes present.
func FuzzParse(f *testing.F) {
	seed(f, func(frame []byte, _ *Layout) []byte { return frame })
	seed(f, func(frame []byte, l *Layout) []byte { // VXLAN inner frames
		if b := atL4(ProtoUDP)(frame, l); len(b) >= UDPLen+VXLANLen && UDP(b).DstPort() == VXLANPort {
			return b[UDPLen+VXLANLen:]
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		var l Layout
		m := Parse(data, &l)
		if m >= NumMalformed {
			t.Fatalf("Parse returned %d", m)
		}
		checkLayoutInvariants(t, data, &l, m)
		checkParseAgainstGopacket(t, data, &l, m)
	})
}

// checkLayoutInvariants: offsets inside the frame, flags consistent with
// each other, and the views at those offsets saying the same as Parse.
func checkLayoutInvariants(t *testing.T, data []byte, l *Layout, m Malformed) {
	t.Helper()
	if m == Runt || m == TruncatedVLAN {
		if *l != (Layout{}) {
			t.Fatalf("%v: Layout %+v, want zero", m, *l)
		}
		return
	}
	wantL3 := uint16(EthernetLen)
	if l.Flags&Tagged != 0 {
		wantL3 += VLANTagLen
	}
	if l.L3 != wantL3 || int(l.L3) > len(data) {
		t.Fatalf("L3 = %d, want %d (frame %d bytes)", l.L3, wantL3, len(data))
	}
	if l.Flags&IsARP != 0 && (l.EtherType != EtherTypeARP || !ARP(data[l.L3:]).Valid() || !ARP(data[l.L3:]).IsEthernetIPv4()) {
		t.Fatalf("IsARP set for EtherType %#04x, ARP % x", l.EtherType, data[l.L3:])
	}
	if l.Flags&(IsIPv4|Fragment|HasL4) != 0 && l.EtherType != EtherTypeIPv4 {
		t.Fatalf("IPv4 flags %b with EtherType %#04x", l.Flags, l.EtherType)
	}
	if l.Flags&(Fragment|HasL4) == Fragment|HasL4 {
		t.Fatalf("Fragment and HasL4 both set")
	}
	if l.Flags&IsIPv4 == 0 {
		if l.Flags&(Fragment|HasL4) != 0 || l.Proto != 0 || l.L4 != 0 || l.Payload != 0 {
			t.Fatalf("no IsIPv4 but Layout %+v", *l)
		}
		if l.EtherType == EtherTypeIPv4 && m == OK {
			t.Fatalf("IPv4 EtherType, OK, but no IsIPv4")
		}
		if l.EtherType == EtherTypeIPv4 {
			if got := IPv4(data[l.L3:]).Check(); got != m {
				t.Fatalf("Parse says %v, IPv4.Check says %v", m, got)
			}
		}
		return
	}
	ip := IPv4(data[l.L3:])
	if !ip.Valid() || !l.IPv4(data).Valid() || l.Proto != ip.Protocol() {
		t.Fatalf("IsIPv4 but view invalid or Proto %d != %d", l.Proto, ip.Protocol())
	}
	end := int(l.L3) + int(ip.TotalLength())
	if end > len(data) {
		t.Fatalf("datagram ends at %d, frame has %d bytes", end, len(data))
	}
	if (l.Flags&Fragment != 0) != (ip.FragmentOffset() != 0) {
		t.Fatalf("Fragment flag %v, fragment offset %d", l.Flags&Fragment != 0, ip.FragmentOffset())
	}
	if l.Flags&HasL4 == 0 {
		if l.L4 != 0 || l.Payload != 0 {
			t.Fatalf("no HasL4 but L4 %d Payload %d", l.L4, l.Payload)
		}
		if m == OK && l.Flags&Fragment == 0 && (l.Proto == ProtoTCP || l.Proto == ProtoUDP || l.Proto == ProtoICMP) {
			t.Fatalf("OK unfragmented proto %d without HasL4", l.Proto)
		}
		return
	}
	if m != OK {
		t.Fatalf("HasL4 with %v", m)
	}
	if int(l.L4) != int(l.L3)+ip.HeaderLen() || l.L4 > l.Payload || int(l.Payload) > end {
		t.Fatalf("L3 %d L4 %d Payload %d end %d", l.L3, l.L4, l.Payload, end)
	}
	seg := l.Transport(data)
	switch l.Proto {
	case ProtoTCP:
		if !TCP(seg).Valid() || int(l.Payload) != int(l.L4)+TCP(seg).HeaderLen() {
			t.Fatalf("TCP view invalid or Payload %d", l.Payload)
		}
	case ProtoUDP:
		if int(l.Payload) != int(l.L4)+UDPLen || !UDP(seg).Valid() && !(ip.MoreFragments() && UDP(seg).Length() >= UDPLen) {
			t.Fatalf("UDP view invalid outside a first fragment, or Payload %d", l.Payload)
		}
	case ProtoICMP:
		if !ICMPv4(seg).Valid() || int(l.Payload) != int(l.L4)+ICMPv4Len {
			t.Fatalf("ICMPv4 view invalid or Payload %d", l.Payload)
		}
	default:
		t.Fatalf("HasL4 for proto %d", l.Proto)
	}
	_ = l.L4Payload(data)
}

// checkParseAgainstGopacket decodes data layer by layer with gopacket and
// checks Parse's verdict and fields at each layer.
func checkParseAgainstGopacket(t *testing.T, data []byte, l *Layout, m Malformed) {
	t.Helper()
	eth, err := decodeEthernet(data)
	if (m == Runt) != (err != nil) {
		t.Fatalf("Parse %v, gopacket Ethernet error %v", m, err)
	}
	if err != nil {
		return
	}
	et := ethernetFieldsFromGopacket(eth).Type
	l3 := eth.Payload
	if et < 0x0600 {
		l3 = data[EthernetLen:] // gopacket trimmed to the 802.3 length
	}
	if et == EtherTypeVLAN || et == EtherTypeQinQ {
		d, err := decodeDot1Q(l3)
		if (m == TruncatedVLAN) != (err != nil) {
			t.Fatalf("Parse %v, gopacket Dot1Q error %v", m, err)
		}
		if err != nil {
			return
		}
		f := vlanFieldsFromGopacket(d)
		if l.Flags&Tagged == 0 || l.TCI != f.TCI {
			t.Fatalf("Parse Tagged %v TCI %#04x, gopacket TCI %#04x", l.Flags&Tagged != 0, l.TCI, f.TCI)
		}
		et, l3 = f.Type, data[EthernetLen+VLANTagLen:]
	} else if l.Flags&Tagged != 0 {
		t.Fatalf("Tagged for EtherType %#04x", et)
	}
	if l.EtherType != et {
		t.Fatalf("EtherType %#04x, gopacket %#04x", l.EtherType, et)
	}
	switch et {
	case EtherTypeARP:
		a, err := decodeARP(l3)
		if (m == TruncatedARP) != (len(l3) < ARPLen) {
			t.Fatalf("Parse %v for %d ARP bytes", m, len(l3))
		}
		isARP := err == nil && len(l3) >= ARPLen && a.AddrType == layers.LinkTypeEthernet &&
			a.Protocol == layers.EthernetTypeIPv4 && a.HwAddressSize == 6 && a.ProtAddressSize == 4
		if (l.Flags&IsARP != 0) != isARP {
			t.Fatalf("IsARP %v, gopacket says %v (error %v)", l.Flags&IsARP != 0, isARP, err)
		}
	case EtherTypeIPv4:
		checkIPv4AgainstGopacket(t, data, l3, l, m)
	default:
		if m != OK || l.Flags&^Tagged != 0 {
			t.Fatalf("EtherType %#04x: Parse %v, flags %b", et, m, l.Flags)
		}
	}
}

// checkIPv4AgainstGopacket is checkParseAgainstGopacket from the IPv4
// header on: b is what gopacket found after the Ethernet header and tag,
// frame the whole frame, where our views are read at Parse's offsets.
func checkIPv4AgainstGopacket(t *testing.T, frame, b []byte, l *Layout, m Malformed) {
	t.Helper()
	hl := 0
	if len(b) > 0 {
		hl = int(b[0]&0x0f) * 4
	}
	ip, err := decodeIPv4(nopOptions(b, IPv4MinLen, hl))
	ipOK := err == nil && b[0]>>4 == 4 && binary.BigEndian.Uint16(b[2:4]) != 0 &&
		int(binary.BigEndian.Uint16(b[2:4])) <= len(b)
	l3Reason := m == TruncatedIPv4 || m == BadIPv4Version || m == BadIPv4HeaderLength || m == BadIPv4TotalLength
	if ipOK == l3Reason || ipOK != (l.Flags&IsIPv4 != 0) {
		t.Fatalf("Parse %v flags %b; gopacket IPv4 error %v", m, l.Flags, err)
	}
	if !ipOK {
		return
	}
	if [4]byte(ip.SrcIP) != IPv4(b).Src() || [4]byte(ip.DstIP) != IPv4(b).Dst() || uint8(ip.Protocol) != l.Proto {
		t.Fatalf("gopacket %v > %v proto %d; Parse proto %d", ip.SrcIP, ip.DstIP, ip.Protocol, l.Proto)
	}
	if (ip.FragOffset != 0) != (l.Flags&Fragment != 0) {
		t.Fatalf("gopacket fragment offset %d, Fragment flag %v", ip.FragOffset, l.Flags&Fragment != 0)
	}
	if ip.FragOffset != 0 {
		return
	}
	seg := ip.Payload
	l4 := int(l.L3) + hl
	switch l.Proto {
	case ProtoTCP:
		thl := 0
		if len(seg) > 12 {
			thl = int(seg[12]>>4) * 4
		}
		tcp, err := decodeTCP(nopOptions(seg, TCPMinLen, thl))
		if (m == TruncatedTCP) != (err != nil) {
			t.Fatalf("Parse %v, gopacket TCP error %v", m, err)
		}
		if err != nil {
			return
		}
		if int(l.L4) != l4 || int(l.Payload) != l4+len(tcp.Contents) {
			t.Fatalf("L4 %d Payload %d, gopacket header at %d, %d bytes", l.L4, l.Payload, l4, len(tcp.Contents))
		}
		if v := TCP(frame[l.L4:]); uint16(tcp.SrcPort) != v.SrcPort() || uint16(tcp.DstPort) != v.DstPort() {
			t.Fatalf("ports %d > %d, gopacket %d > %d", v.SrcPort(), v.DstPort(), tcp.SrcPort, tcp.DstPort)
		}
	case ProtoUDP:
		u, err := decodeUDP(seg)
		udpOK := err == nil && u.Length != 0 && (int(u.Length) <= len(seg) || ip.Flags&layers.IPv4MoreFragments != 0)
		if (m == TruncatedUDP) == udpOK {
			t.Fatalf("Parse %v, gopacket UDP error %v (length %d, %d bytes)", m, err, u.Length, len(seg))
		}
		if !udpOK {
			return
		}
		if v := UDP(frame[l.L4:]); int(l.L4) != l4 || int(l.Payload) != l4+UDPLen ||
			uint16(u.SrcPort) != v.SrcPort() || uint16(u.DstPort) != v.DstPort() {
			t.Fatalf("L4 %d Payload %d ports %d > %d; gopacket at %d, %d > %d",
				l.L4, l.Payload, v.SrcPort(), v.DstPort(), l4, u.SrcPort, u.DstPort)
		}
	case ProtoICMP:
		i, err := decodeICMPv4(seg)
		if (m == TruncatedICMP) != (err != nil) {
			t.Fatalf("Parse %v, gopacket ICMPv4 error %v", m, err)
		}
		if err != nil {
			return
		}
		if v := ICMPv4(frame[l.L4:]); int(l.L4) != l4 || int(l.Payload) != l4+ICMPv4Len ||
			i.TypeCode.Type() != v.Type() || i.Id != v.ID() {
			t.Fatalf("L4 %d Payload %d type %d id %d; gopacket at %d, type %d id %d",
				l.L4, l.Payload, v.Type(), v.ID(), l4, i.TypeCode.Type(), i.Id)
		}
	default:
		if m != OK || l.Flags&HasL4 != 0 {
			t.Fatalf("proto %d: Parse %v, flags %b", l.Proto, m, l.Flags)
		}
	}
}
