package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// tcpFields is everything the TCP view reports.
type tcpFields struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	DataOffset       uint8
	HeaderLen        int
	Flags            uint8
	Window, Checksum uint16
	Urgent           uint16
	Options, Payload []byte
}

func tcpFieldsOf(b TCP) tcpFields {
	return tcpFields{SrcPort: b.SrcPort(), DstPort: b.DstPort(), Seq: b.Seq(), Ack: b.Ack(),
		DataOffset: b.DataOffset(), HeaderLen: b.HeaderLen(), Flags: b.Flags(), Window: b.Window(),
		Checksum: b.Checksum(), Urgent: b.Urgent(), Options: b.Options(), Payload: b.Payload()}
}

func TestTCP(t *testing.T) {
	plain := tcpFrame(t, []byte("GET / HTTP/1.1\r\n"))[EthernetLen+IPv4MinLen:]
	syn := tcpOptionsFrame(t)[EthernetLen+24:]
	with := func(f func(b TCP)) []byte { b := TCP(clone(plain)); f(b); return b }
	tests := []struct {
		name string
		seg  []byte
		want Malformed
		f    tcpFields
	}{
		{"plain", plain, OK, tcpFields{SrcPort: 40000, DstPort: 443, Seq: 0x01020304, Ack: 0xa0b0c0d0,
			DataOffset: 5, HeaderLen: 20, Flags: TCPFlagSYN | TCPFlagACK, Window: 64240,
			Checksum: TCP(plain).Checksum(), Options: []byte{}, Payload: []byte("GET / HTTP/1.1\r\n")}},
		{"options", syn, OK, tcpFields{SrcPort: 40000, DstPort: 443, Seq: 0x01020304, Ack: 0xa0b0c0d0,
			DataOffset: 10, HeaderLen: 40, Flags: TCPFlagSYN | TCPFlagACK, Window: 64240,
			Checksum: TCP(syn).Checksum(), Options: syn[20:40], Payload: []byte{}}},
		{"header only", plain[:20], OK, tcpFields{SrcPort: 40000, DstPort: 443, Seq: 0x01020304, Ack: 0xa0b0c0d0,
			DataOffset: 5, HeaderLen: 20, Flags: TCPFlagSYN | TCPFlagACK, Window: 64240,
			Checksum: TCP(plain).Checksum(), Options: []byte{}, Payload: []byte{}}},
		{"19 bytes", plain[:19], TruncatedTCP, tcpFields{}},
		{"data offset 4", with(func(b TCP) { b.SetDataOffset(4) }), TruncatedTCP, tcpFields{}},
		{"data offset 0", with(func(b TCP) { b.SetDataOffset(0) }), TruncatedTCP, tcpFields{}},
		{"options past the end", syn[:39], TruncatedTCP, tcpFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := TCP(tt.seg)
			if got := b.Check(); got != tt.want {
				t.Fatalf("Check() = %v, want %v", got, tt.want)
			}
			if got := b.Valid(); got != (tt.want == OK) {
				t.Fatalf("Valid() = %v, want %v", got, tt.want == OK)
			}
			if tt.want != OK {
				return
			}
			if diff := cmp.Diff(tt.f, tcpFieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTCPSetters(t *testing.T) {
	ip := ip4Layer(layers.IPProtocolTCP)
	gp := &layers.TCP{SrcPort: 22, DstPort: 50000, Seq: 0xfffffff0, Ack: 17, DataOffset: 6,
		FIN: true, PSH: true, ACK: true, URG: true, ECE: true, CWR: true, Window: 512, Urgent: 3,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0}}}}
	if err := gp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	want := serialize(t, gp, gopacket.Payload("ssh"))
	got := TCP(make([]byte, len(want)))
	copy(got[20:], []byte{2, 4, 5, 0, 's', 's', 'h'})
	got.SetSrcPort(22)
	got.SetDstPort(50000)
	got.SetSeq(0xfffffff0)
	got.SetAck(17)
	got.SetDataOffset(6)
	got.SetFlags(TCPFlagFIN | TCPFlagPSH | TCPFlagACK | TCPFlagURG | TCPFlagECE | TCPFlagCWR)
	got.SetWindow(512)
	got.SetUrgent(3)
	got.SetChecksum(got.CalculateChecksum([4]byte(ipA), [4]byte(ipB)))
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
	if !got.ChecksumValid([4]byte(ipA), [4]byte(ipB)) {
		t.Errorf("ChecksumValid() = false")
	}
	if got.ChecksumValid([4]byte(ipA), [4]byte{192, 168, 7, 201}) {
		t.Errorf("ChecksumValid() = true for another destination")
	}
}

// tcpFlagsFromGopacket packs gopacket's flag booleans into the flag byte.
func tcpFlagsFromGopacket(t *layers.TCP) uint8 {
	var f uint8
	for i, set := range []bool{t.FIN, t.SYN, t.RST, t.PSH, t.ACK, t.URG, t.ECE, t.CWR} {
		if set {
			f |= 1 << i
		}
	}
	return f
}

// tcpFieldsFromGopacket is what gopacket decoded, in our terms.
func tcpFieldsFromGopacket(t *layers.TCP) tcpFields {
	return tcpFields{SrcPort: uint16(t.SrcPort), DstPort: uint16(t.DstPort), Seq: t.Seq, Ack: t.Ack,
		DataOffset: t.DataOffset, HeaderLen: int(t.DataOffset) * 4, Flags: tcpFlagsFromGopacket(t),
		Window: t.Window, Checksum: t.Checksum, Urgent: t.Urgent, Options: t.Contents[TCPMinLen:], Payload: t.Payload}
}

// decodeTCP decodes b with gopacket.
func decodeTCP(b []byte) (*layers.TCP, error) {
	var t layers.TCP
	return &t, t.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
