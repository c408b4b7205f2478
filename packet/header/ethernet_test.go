package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ethernetFields is everything the Ethernet view reports.
type ethernetFields struct {
	Dst, Src             [6]byte
	Type                 uint16
	Broadcast, Multicast bool
	Payload              []byte
}

func ethernetFieldsOf(b Ethernet) ethernetFields {
	return ethernetFields{Dst: b.Dst(), Src: b.Src(), Type: b.Type(),
		Broadcast: b.IsBroadcast(), Multicast: b.IsMulticast(), Payload: b.Payload()}
}

func TestEthernet(t *testing.T) {
	bcast := serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: layers.EthernetBroadcast,
		EthernetType: layers.EthernetTypeARP}, arpLayer())
	tests := []struct {
		name  string
		frame []byte
		valid bool
		want  ethernetFields
	}{
		{"ipv4", tcpFrame(t, nil), true, ethernetFields{
			Dst: [6]byte(macB), Src: [6]byte(macA), Type: EtherTypeIPv4, Payload: tcpFrame(t, nil)[14:]}},
		{"broadcast arp", bcast, true, ethernetFields{
			Dst: [6]byte(layers.EthernetBroadcast), Src: [6]byte(macA), Type: EtherTypeARP,
			Broadcast: true, Multicast: true, Payload: bcast[14:]}},
		{"multicast header only", []byte{0x01, 0, 0x5e, 0, 0, 1, 2, 2, 2, 2, 2, 2, 0x86, 0xdd}, true, ethernetFields{
			Dst: [6]byte{0x01, 0, 0x5e, 0, 0, 1}, Src: [6]byte{2, 2, 2, 2, 2, 2}, Type: EtherTypeIPv6,
			Multicast: true, Payload: []byte{}}},
		{"13 bytes", make([]byte, 13), false, ethernetFields{}},
		{"empty", nil, false, ethernetFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Ethernet(tt.frame)
			if got := b.Valid(); got != tt.valid {
				t.Fatalf("Valid() = %v, want %v", got, tt.valid)
			}
			if !tt.valid {
				return
			}
			if diff := cmp.Diff(tt.want, ethernetFieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEthernetSetters(t *testing.T) {
	want := serialize(t, ethLayer(layers.EthernetTypeQinQ))[:EthernetLen] // gopacket pads to 60 bytes
	got := make(Ethernet, EthernetLen)
	got.SetDst([6]byte(macB))
	got.SetSrc([6]byte(macA))
	got.SetType(EtherTypeQinQ)
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
}

// ethernetFieldsFromGopacket is what gopacket decoded, in our terms. gopacket
// turns an EtherType below 0x0600 into an 802.3 length (EthernetTypeLLC plus
// Length); the view reports the raw field, so the length goes back into Type.
func ethernetFieldsFromGopacket(e *layers.Ethernet) ethernetFields {
	f := ethernetFields{Dst: [6]byte(e.DstMAC), Src: [6]byte(e.SrcMAC), Type: uint16(e.EthernetType), Payload: e.Payload}
	if e.EthernetType == layers.EthernetTypeLLC {
		f.Type = e.Length
	}
	return f
}

// decodeEthernet decodes b with gopacket.
func decodeEthernet(b []byte) (*layers.Ethernet, error) {
	var e layers.Ethernet
	return &e, e.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
