package configs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A reload keeps each network's local VLAN; a new network takes the
// lowest id free, not one a network that just went held.
func TestKeepLVIDs(t *testing.T) {
	v, err := mustParse(t, twoNodes).Node("cmp01")
	if err != nil {
		t.Fatal(err)
	}
	// Before: ext 1, red 2, blue 3, green 4. Say the node ran with red
	// at 7 and a network "gone" at 1 that the new file no longer has.
	v.KeepLVIDs(map[string]uint16{"red": 7, "blue": 3, "gone": 1})
	got := map[string]uint16{}
	for _, nn := range v.Networks {
		got[nn.Name] = nn.LVID
	}
	want := map[string]uint16{"red": 7, "blue": 3, "ext": 2, "green": 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lvids (-want +got):\n%s", diff)
	}
	if p := v.Ports[1]; v.LVID(p.Network) != 7 {
		t.Errorf("port %s: lvid %d, want 7", p.Name, v.LVID(p.Network))
	}
	// With every id but the gone network's taken, the gone one's is
	// given rather than none.
	had := map[string]uint16{"gone": 1}
	for i := uint16(2); i <= MaxVLAN; i++ {
		had["x"+itoa(int(i))] = i
	}
	had["red"], had["blue"], had["green"] = 7, 3, 4
	delete(had, "x7")
	delete(had, "x3")
	delete(had, "x4")
	v.KeepLVIDs(had)
	for _, nn := range v.Networks {
		if nn.Name == "ext" && nn.LVID != 1 {
			t.Errorf("ext: lvid %d, want 1 (the only one left)", nn.LVID)
		}
	}
}
