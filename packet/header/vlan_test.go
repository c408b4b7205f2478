package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// vlanFields is everything the VLAN view reports.
type vlanFields struct {
	TCI, VID uint16
	PCP      uint8
	DEI      bool
	Type     uint16
	Payload  []byte
}

func vlanFieldsOf(b VLAN) vlanFields {
	return vlanFields{TCI: b.TCI(), VID: b.VID(), PCP: b.PCP(), DEI: b.DEI(), Type: b.Type(), Payload: b.Payload()}
}

func TestVLAN(t *testing.T) {
	tagged := taggedTCPFrame(t)
	tests := []struct {
		name  string
		tag   []byte
		valid bool
		want  vlanFields
	}{
		{"vid 100 pcp 5 dei", tagged[14:], true, vlanFields{
			TCI: 5<<13 | 1<<12 | 100, VID: 100, PCP: 5, DEI: true, Type: EtherTypeIPv4, Payload: tagged[18:]}},
		{"vid 4095 inner tag", []byte{0x0f, 0xff, 0x81, 0x00}, true, vlanFields{
			TCI: 0x0fff, VID: 4095, Type: EtherTypeVLAN, Payload: []byte{}}},
		{"all priority bits", []byte{0xe0, 0x01, 0x08, 0x06, 0xaa}, true, vlanFields{
			TCI: 0xe001, VID: 1, PCP: 7, Type: EtherTypeARP, Payload: []byte{0xaa}}},
		{"3 bytes", []byte{0, 1, 8}, false, vlanFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := VLAN(tt.tag)
			if got := b.Valid(); got != tt.valid {
				t.Fatalf("Valid() = %v, want %v", got, tt.valid)
			}
			if !tt.valid {
				return
			}
			if diff := cmp.Diff(tt.want, vlanFieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVLANSetters(t *testing.T) {
	want := serialize(t, &layers.Dot1Q{Priority: 6, DropEligible: true, VLANIdentifier: 0xabc, Type: layers.EthernetTypeARP})
	got := make(VLAN, VLANTagLen)
	got.SetVID(0xabc)
	got.SetPCP(6)
	got.SetDEI(true)
	got.SetType(EtherTypeARP)
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("setters (-want +got):\n%s", diff)
	}
	if tci := MakeTCI(6, true, 0xabc); tci != got.TCI() {
		t.Errorf("MakeTCI = %#04x, want %#04x", tci, got.TCI())
	}
	// Each setter keeps the other parts.
	got.SetDEI(false)
	got.SetPCP(1)
	got.SetVID(0x1005) // high bits dropped
	if diff := cmp.Diff(vlanFields{TCI: MakeTCI(1, false, 5), VID: 5, PCP: 1, Type: EtherTypeARP, Payload: []byte{}},
		vlanFieldsOf(got)); diff != "" {
		t.Errorf("after second round (-want +got):\n%s", diff)
	}
	got.SetTCI(0xffff)
	if diff := cmp.Diff(vlanFields{TCI: 0xffff, VID: 0xfff, PCP: 7, DEI: true, Type: EtherTypeARP, Payload: []byte{}},
		vlanFieldsOf(got)); diff != "" {
		t.Errorf("SetTCI (-want +got):\n%s", diff)
	}
}

// vlanFieldsFromGopacket is what gopacket decoded, in our terms. For an inner
// type below 0x0600 (an 802.3 length) gopacket trims Payload to that length
// when enough bytes are there; the caller deals with that.
func vlanFieldsFromGopacket(d *layers.Dot1Q) vlanFields {
	tci := MakeTCI(d.Priority, d.DropEligible, d.VLANIdentifier)
	return vlanFields{TCI: tci, VID: d.VLANIdentifier, PCP: d.Priority, DEI: d.DropEligible,
		Type: uint16(d.Type), Payload: d.Payload}
}

// decodeDot1Q decodes b with gopacket.
func decodeDot1Q(b []byte) (*layers.Dot1Q, error) {
	var d layers.Dot1Q
	return &d, d.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
