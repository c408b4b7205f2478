package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMalformedString pins the names: they are counter names, so changing
// one breaks dashboards.
func TestMalformedString(t *testing.T) {
	want := []string{"ok", "runt", "truncated_vlan", "truncated_arp", "truncated_ipv4", "bad_ipv4_version",
		"bad_ipv4_header_length", "bad_ipv4_total_length", "truncated_tcp", "truncated_udp", "truncated_icmp"}
	var got []string
	for m := OK; m < NumMalformed; m++ {
		got = append(got, m.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for _, m := range []Malformed{NumMalformed, 255} {
		if s := m.String(); s != "unknown" {
			t.Errorf("Malformed(%d).String() = %q, want \"unknown\"", m, s)
		}
	}
}
