package configs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The seed 002 example carries the addresses and MACs the article shows.
func TestSeed002Example(t *testing.T) {
	top, err := Load("examples/seed002-router.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := top.RouterByName("router1")
	var got []string
	g := r.ExternalGateway
	got = append(got, fmt.Sprintf("qg %s %s on %s snat=%v", g.IP, g.MAC, g.Network.Name, g.EnableSNAT))
	for _, ri := range r.Interfaces {
		got = append(got, fmt.Sprintf("qr %s/%d %s", ri.IP, ri.Subnet.CIDR.Bits(), ri.MAC))
	}
	for _, f := range r.FloatingIPs {
		got = append(got, fmt.Sprintf("fip %s -> %s (port %s)", f.Address, f.FixedIP, f.Port.Name))
	}
	for _, p := range top.Ports {
		got = append(got, fmt.Sprintf("vm %s %s", p.FixedIPs[0].Address, p.MAC))
	}
	got = append(got, "default via "+g.Subnet.Gateway.String())
	want := []string{
		"qg 192.168.1.110 fa:16:3e:2e:5b:23 on ext-net snat=true",
		"qr 91.1.180.1/24 fa:16:3e:90:e5:50",
		"qr 81.1.180.1/24 fa:16:3e:87:40:f3",
		"fip 192.168.1.104 -> 91.1.180.14 (port vm-91-14)",
		"vm 91.1.180.14 fa:16:3e:f3:1e:c0",
		"vm 81.1.180.12 fa:16:3e:2b:3e:2a",
		"default via 192.168.1.1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed 002 (-want +got):\n%s", diff)
	}
}

// A node has 4094 local VLAN ids; one network more is an error.
func TestTooManyNetworksOnANode(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nuplinks: [{name: p, tap: t0}]\nnetworks:\n  - {name: flat, type: flat, physical: p}\n")
	for i := 1; i <= MaxVLAN; i++ {
		fmt.Fprintf(&b, "  - {name: v%d, type: vlan, physical: p, segment: %d}\n", i, i)
	}
	_, err := Parse("t.yaml", []byte(b.String()))
	want := []string{"t.yaml:4098:5: networks[4094] (v4094): node local has more than 4094 networks: no local VLAN id is left for network v4094"}
	if diff := cmp.Diff(want, errLines(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
