package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// vxlanFields is everything the VXLAN view reports.
type vxlanFields struct {
	Flags   uint8
	HasVNI  bool
	VNI     uint32
	Payload []byte
}

func vxlanFieldsOf(b VXLAN) vxlanFields {
	return vxlanFields{Flags: b.Flags(), HasVNI: b.HasVNI(), VNI: b.VNI(), Payload: b.Payload()}
}

func TestVXLAN(t *testing.T) {
	frame := vxlanFrame(t)
	hdr := frame[EthernetLen+IPv4MinLen+UDPLen:]
	tests := []struct {
		name  string
		b     []byte
		valid bool
		want  vxlanFields
	}{
		{"arp inside", hdr, true, vxlanFields{Flags: VXLANFlagI, HasVNI: true, VNI: 0x123456, Payload: hdr[8:]}},
		{"no I flag, reserved bits", []byte{0x80, 1, 2, 3, 0xff, 0xff, 0xff, 0xee}, true,
			vxlanFields{Flags: 0x80, VNI: MaxVNI, Payload: []byte{}}},
		{"7 bytes", hdr[:7], false, vxlanFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := VXLAN(tt.b)
			if got := b.Valid(); got != tt.valid {
				t.Fatalf("Valid() = %v, want %v", got, tt.valid)
			}
			if !tt.valid {
				return
			}
			if diff := cmp.Diff(tt.want, vxlanFieldsOf(b)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVXLANSetters(t *testing.T) {
	want := serialize(t, &layers.VXLAN{ValidIDFlag: true, VNI: 0xabcdef})
	got := VXLAN([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	got.Encode(0x1abcdef) // high bits dropped
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
	got[7] = 0x5a
	got.SetVNI(42)
	got.SetFlags(0)
	if diff := cmp.Diff(vxlanFields{VNI: 42, Payload: []byte{}}, vxlanFieldsOf(got)); diff != "" {
		t.Errorf("SetVNI (-want +got):\n%s", diff)
	}
	if got[7] != 0x5a {
		t.Errorf("SetVNI changed the reserved byte to %#x", got[7])
	}
}

// vxlanFieldsFromGopacket is what gopacket decoded, in our terms. gopacket
// reports the I and G flag bits only, not the whole byte; the caller
// compares flags under vxlanKnownFlags.
func vxlanFieldsFromGopacket(v *layers.VXLAN) vxlanFields {
	var flags uint8
	if v.ValidIDFlag {
		flags |= VXLANFlagI
	}
	if v.GBPExtension {
		flags |= 0x80
	}
	return vxlanFields{Flags: flags, HasVNI: v.ValidIDFlag, VNI: v.VNI, Payload: v.Payload}
}

// vxlanKnownFlags are the flag bits gopacket reports (I and the G of the
// group policy extension).
const vxlanKnownFlags = VXLANFlagI | 0x80

// decodeVXLAN decodes b with gopacket.
func decodeVXLAN(b []byte) (*layers.VXLAN, error) {
	var v layers.VXLAN
	return &v, v.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
