package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// icmpv4Fields is everything the ICMPv4 view reports.
type icmpv4Fields struct {
	Type, Code        uint8
	Checksum, ID, Seq uint16
	MTU               uint16
	Payload           []byte
}

func icmpv4FieldsOf(b ICMPv4) icmpv4Fields {
	return icmpv4Fields{Type: b.Type(), Code: b.Code(), Checksum: b.Checksum(), ID: b.ID(), Seq: b.Seq(),
		MTU: b.MTU(), Payload: b.Payload()}
}

func TestICMPv4(t *testing.T) {
	echo := icmpFrame(t)[EthernetLen+IPv4MinLen:]
	fragNeeded := serialize(t, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4), Seq: 1400},
		gopacket.Payload(tcpFrame(t, nil)[EthernetLen:EthernetLen+28]))
	tests := []struct {
		name  string
		msg   []byte
		valid bool
		want  icmpv4Fields
	}{
		{"echo request", echo, true, icmpv4Fields{Type: ICMPv4Echo, Checksum: 0x0b13 /* as gopacket computed it */, ID: 0x4242,
			Seq: 7, MTU: 7, Payload: echo[8:]}},
		{"fragmentation needed", fragNeeded, true, icmpv4Fields{Type: ICMPv4DestUnreach, Code: ICMPv4FragNeeded,
			Checksum: ICMPv4(fragNeeded).Checksum(), Seq: 1400, MTU: 1400, Payload: fragNeeded[8:]}},
		{"7 bytes", echo[:7], false, icmpv4Fields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ICMPv4(tt.msg)
			if got := b.Valid(); got != tt.valid {
				t.Fatalf("Valid() = %v, want %v", got, tt.valid)
			}
			if !tt.valid {
				return
			}
			if diff := cmp.Diff(tt.want, icmpv4FieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if !b.ChecksumValid() {
				t.Errorf("ChecksumValid() = false")
			}
			if got, want := b.CalculateChecksum(), b.Checksum(); got != want {
				t.Errorf("CalculateChecksum() = %#04x, want %#04x", got, want)
			}
		})
	}
}

func TestICMPv4Setters(t *testing.T) {
	want := serialize(t, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(0, 0), Id: 0x4242, Seq: 7},
		gopacket.Payload("ping"))
	got := ICMPv4(make([]byte, len(want)))
	copy(got.Payload(), "ping")
	got.SetType(ICMPv4EchoReply)
	got.SetCode(0)
	got.SetID(0x4242)
	got.SetSeq(7)
	got.SetChecksum(got.CalculateChecksum())
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("echo reply (-want +got):\n%s", diff)
	}
	got.SetID(0xffff)
	got.SetMTU(1450)
	if id, mtu := got.ID(), got.MTU(); id != 0 || mtu != 1450 {
		t.Errorf("after SetMTU(1450): ID %#x MTU %d, want 0 and 1450", id, mtu)
	}
}

// icmpv4FieldsFromGopacket is what gopacket decoded, in our terms.
func icmpv4FieldsFromGopacket(i *layers.ICMPv4) icmpv4Fields {
	return icmpv4Fields{Type: i.TypeCode.Type(), Code: i.TypeCode.Code(), Checksum: i.Checksum, ID: i.Id,
		Seq: i.Seq, MTU: i.Seq, Payload: i.Payload}
}

// decodeICMPv4 decodes b with gopacket.
func decodeICMPv4(b []byte) (*layers.ICMPv4, error) {
	var i layers.ICMPv4
	return &i, i.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
