package l2switch

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrunk(t *testing.T) {
	// br-ex's uplink: the flat external network (lvid 5) and two vlan
	// provider networks, segments 100 and 4094 (lvids 6 and 7).
	tr, err := NewTrunk(5, map[uint16]uint16{100: 6, 4094: 7})
	if err != nil {
		t.Fatal(err)
	}
	noFlat, err := NewTrunk(0, map[uint16]uint16{200: 3})
	if err != nil {
		t.Fatal(err)
	}

	type in struct {
		Tagged bool
		VID    uint16
	}
	type ingress struct {
		LVID uint16
		OK   bool
	}
	ingressTests := []struct {
		name  string
		trunk *Trunk
		in    in
		want  ingress
	}{
		{"untagged is the flat network", tr, in{false, 0}, ingress{5, true}},
		{"priority tag counts as untagged", tr, in{true, 0}, ingress{5, true}},
		{"vlan segment", tr, in{true, 100}, ingress{6, true}},
		{"highest VID", tr, in{true, 4094}, ingress{7, true}},
		{"tag of no network", tr, in{true, 101}, ingress{0, false}},
		{"reserved VID 4095", tr, in{true, 4095}, ingress{0, false}},
		{"untagged with no flat network", noFlat, in{false, 0}, ingress{0, false}},
		{"vlan without flat", noFlat, in{true, 200}, ingress{3, true}},
	}
	for _, tt := range ingressTests {
		t.Run("ingress/"+tt.name, func(t *testing.T) {
			var got ingress
			got.LVID, got.OK = tt.trunk.Ingress(tt.in.Tagged, tt.in.VID)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Ingress%+v (-want +got):\n%s", tt.in, diff)
			}
		})
	}

	type egress struct {
		VID    uint16
		Tagged bool
		OK     bool
	}
	egressTests := []struct {
		name  string
		trunk *Trunk
		lvid  uint16
		want  egress
	}{
		{"flat leaves untagged", tr, 5, egress{0, false, true}},
		{"vlan leaves tagged with its segment", tr, 6, egress{100, true, true}},
		{"segment 4094", tr, 7, egress{4094, true, true}},
		{"lvid of no network here", tr, 8, egress{0, false, false}},
		{"lvid 0", noFlat, 0, egress{0, false, false}},
		{"lvid out of range", tr, 4096 + 6, egress{0, false, false}},
	}
	for _, tt := range egressTests {
		t.Run("egress/"+tt.name, func(t *testing.T) {
			var got egress
			got.VID, got.Tagged, got.OK = tt.trunk.Egress(tt.lvid)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Egress(%d) (-want +got):\n%s", tt.lvid, diff)
			}
		})
	}
}

func TestNewTrunkErrors(t *testing.T) {
	tests := []struct {
		name     string
		untagged uint16
		segments map[uint16]uint16
		want     error
	}{
		{"segment 0", 0, map[uint16]uint16{0: 1}, ErrBadVLAN},
		{"segment 4095", 0, map[uint16]uint16{4095: 1}, ErrBadVLAN},
		{"lvid 0", 0, map[uint16]uint16{10: 0}, ErrBadVLAN},
		{"untagged lvid 4095", 4095, nil, ErrBadVLAN},
		{"lvid twice", 0, map[uint16]uint16{10: 3, 11: 3}, ErrDuplicateLVID},
		{"lvid both flat and vlan", 3, map[uint16]uint16{10: 3}, ErrDuplicateLVID},
		{"ok", 1, map[uint16]uint16{10: 2}, nil},
		{"empty", 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTrunk(tt.untagged, tt.segments)
			if !errors.Is(err, tt.want) {
				t.Fatalf("NewTrunk = %v, want %v", err, tt.want)
			}
			if (tr == nil) != (err != nil) {
				t.Errorf("NewTrunk = %v, %v: want a trunk exactly when no error", tr, err)
			}
		})
	}
}

func TestTrunkAllocs(t *testing.T) {
	tr, _ := NewTrunk(5, map[uint16]uint16{100: 6})
	n := testing.AllocsPerRun(100, func() {
		tr.Ingress(true, 100)
		tr.Egress(6)
	})
	if n != 0 {
		t.Errorf("Ingress+Egress allocate %v times, want 0", n)
	}
}
