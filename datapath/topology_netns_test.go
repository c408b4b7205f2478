package datapath

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"neutrino/link/nstap"
)

// The plan of an attach: netns port: what the namespace gets, without root.
func TestNetnsPlan(t *testing.T) {
	topo := `version: 1
networks:
  - name: n1
    type: local
    mtu: 1450
    subnets:
      - name: s1
        cidr: 10.9.0.0/24
        gateway: 10.9.0.1
        host_routes: [{destination: 172.16.0.0/12, nexthop: 10.9.0.254}]
      - {name: s2, cidr: 10.8.0.0/24, gateway: none}
ports:
  - {name: h1, network: n1, attach: netns, mac: "fa:16:3e:00:00:01", fixed_ips: [10.9.0.11, 10.8.0.11]}
  - {name: h2, network: n1, attach: netns, netns: lab-h2, ifname: ens3, fixed_ips: [10.8.0.12]}
  - {name: h3, network: n1, attach: netns}
  - {name: h4, network: n1, attach: netns, addressing: dhcp, fixed_ips: [10.9.0.14]}
  - {name: vm, network: n1, device: tapvm}
`
	path := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(path, []byte(topo), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := loadTestSpec(t, path, "")
	p := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	byName := map[string]*nstap.Plan{}
	for _, ps := range spec.Ports {
		byName[ps.Name] = ps.Netns
	}
	if byName["vm"] != nil {
		t.Errorf("a tap port got a namespace plan: %+v", byName["vm"])
	}
	h1 := byName["h1"]
	want := &nstap.Plan{
		Namespace: "h1", IfName: "eth0", MAC: mac(1), MTU: 1450,
		Addrs:  []netip.Prefix{p("10.9.0.11/24"), p("10.8.0.11/24")},
		Routes: []nstap.Route{{Dst: p("0.0.0.0/0"), Via: a("10.9.0.1")}, {Dst: p("172.16.0.0/12"), Via: a("10.9.0.254")}},
	}
	if diff := cmp.Diff(want, h1, cmp.Comparer(func(x, y netip.Addr) bool { return x == y }), cmp.Comparer(func(x, y netip.Prefix) bool { return x == y })); diff != "" {
		t.Errorf("h1's plan (-want +got):\n%s", diff)
	}
	h2 := byName["h2"]
	if h2.Namespace != "lab-h2" || h2.IfName != "ens3" || len(h2.Routes) != 0 || len(h2.Notes) != 1 {
		t.Errorf("h2's plan: %+v (want no route and a note: its subnet has no gateway)", h2)
	}
	if h3 := byName["h3"]; len(h3.Addrs) != 0 || len(h3.Notes) != 1 {
		t.Errorf("h3's plan: %+v (want no address, and a note saying so)", h3)
	}
	if h4 := byName["h4"]; len(h4.Addrs) != 0 || len(h4.Routes) != 0 || len(h4.Notes) != 1 {
		t.Errorf("h4's plan: %+v (want nothing set: addressing dhcp)", h4)
	}
	wantText := `ip netns add h1
tap eth0 in h1: address fa:16:3e:00:00:01 mtu 1450, up; lo up
ip -n h1 addr add 10.9.0.11/24 dev eth0
ip -n h1 addr add 10.8.0.11/24 dev eth0
ip -n h1 route add default via 10.9.0.1 dev eth0
ip -n h1 route add 172.16.0.0/12 via 10.9.0.254 dev eth0
`
	if got := h1.String(); got != wantText {
		t.Errorf("h1's plan as text:\n%s\nwant:\n%s", got, wantText)
	}
}
