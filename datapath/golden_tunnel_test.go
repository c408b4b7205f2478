package datapath

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"neutrino/packet/header"
)

const goldenTunnelDir = "testdata/golden-tunnel"

// goldenTunnelCases are br-tun's replay fixtures: node network01 of
// configs/examples/two-node-vxlan.yaml (vm1; vm2 and probe are on
// compute01, VTEP 10.168.7.17). The tunnel port's captures are the
// underlay's: VXLAN datagrams in and out.
func goldenTunnelCases(t testing.TB, vm1, vm2 net.HardwareAddr) map[string][]timed {
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	ip1, ip2 := v4("10.10.0.11"), v4("10.10.0.12")
	compute := netip.MustParseAddr("10.168.7.17")
	other := hw("52:54:00:77:00:01") // a host the topology does not place, behind compute01
	return map[string][]timed{
		// vm1 -> vm2: l2pop sends it to compute01 alone (table 20).
		"encap": {
			{"vm1", s(0), echo(t, vm1, vm2, ip1, ip2, 64, 1, 1, false)},
		},
		// vm1's ARP for vm2 is answered on the node (table 21); for an
		// unknown address it floods to the flood list (table 22).
		"arp-responder": {
			{"vm1", s(0), arpWhoHas(t, vm1, ip1, ip2)},
			{"vm1", s(1), arpWhoHas(t, vm1, ip1, v4("10.10.0.99"))},
		},
		// From compute01: vm2's echo reaches vm1 (a member of default
		// for vm1's group), vm1's reply goes back by l2pop.
		"decap": {
			{"br-tun", s(0), vxOuter(t, compute, 100, echo(t, vm2, vm1, ip2, ip1, 64, 2, 1, false))},
			{"vm1", s(1), echo(t, vm1, vm2, ip1, ip2, 64, 2, 1, true)},
		},
		// Table 10: a MAC the topology does not place is learned from
		// the tunnel; a frame to it then goes there alone.
		"learning": {
			{"br-tun", s(0), vxOuter(t, compute, 100, arpWhoHas(t, other, v4("10.10.0.77"), ip1))},
			{"vm1", s(1), arpIsAt(t, vm1, ip1, other, v4("10.10.0.77"))},
		},
		// Dropped and counted: a VNI of no network here, a sender that
		// is no VTEP of the topology, a datagram without the I flag (not
		// passed on by the tunnel endpoint).
		"bad": {
			{"br-tun", s(0), vxOuter(t, compute, 101, echo(t, vm2, vm1, ip2, ip1, 64, 3, 1, false))},
			{"br-tun", s(1), vxOuter(t, netip.MustParseAddr("10.168.7.99"), 100, echo(t, vm2, vm1, ip2, ip1, 64, 4, 1, false))},
			{"br-tun", s(2), noIFlag(vxOuter(t, compute, 100, echo(t, vm2, vm1, ip2, ip1, 64, 5, 1, false)))},
		},
	}
}

// vxOuter wraps inner in VXLAN from VTEP from to network01's VTEP, as the
// underlay carries it.
func vxOuter(t testing.TB, from netip.Addr, vni uint32, inner []byte) []byte {
	f := make([]byte, outerLen+len(inner))
	copy(f[0:6], underlayLocalMAC[:])
	copy(f[6:12], underlayRemoteMAC[:])
	binary.BigEndian.PutUint16(f[12:14], header.EtherTypeIPv4)
	ip := header.IPv4(f[header.EthernetLen:])
	ip[0], ip[6], ip[8], ip[9] = 0x45, 0x40, 64, header.ProtoUDP
	binary.BigEndian.PutUint16(ip[2:4], uint16(len(f)-header.EthernetLen))
	src, dst := from.As4(), netip.MustParseAddr("10.168.7.16").As4()
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	ip.SetChecksum(ip[:header.IPv4MinLen].CalculateChecksum())
	u := f[header.EthernetLen+header.IPv4MinLen:]
	binary.BigEndian.PutUint16(u[0:2], 50000)
	binary.BigEndian.PutUint16(u[2:4], header.VXLANPort)
	binary.BigEndian.PutUint16(u[4:6], uint16(len(u)))
	header.VXLAN(u[header.UDPLen:]).Encode(vni)
	copy(f[outerLen:], inner)
	return f
}

func noIFlag(f []byte) []byte {
	f[header.EthernetLen+header.IPv4MinLen+header.UDPLen] = 0
	return f
}

func TestReplayGoldenTunnel(t *testing.T) {
	spec := loadTestSpec(t, "../configs/examples/two-node-vxlan.yaml", "network01")
	var vm1 net.HardwareAddr
	for _, ps := range spec.Ports {
		if ps.Name == "vm1" {
			vm1 = ps.MAC
		}
	}
	vm2 := tunnelFDBMAC(t, spec, "vm2")
	cases := goldenTunnelCases(t, vm1, vm2)
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(goldenTunnelDir, name)
			res, err := Replay(spec, goldenInputs(t, dir, cases[name]), t.TempDir(), ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{"counters.txt": []byte(countersText(res.Counters) + notVXLANText(res.NotVXLAN))}
			for _, o := range res.Outputs {
				b, err := os.ReadFile(o.Path)
				if err != nil {
					t.Fatal(err)
				}
				got[filepath.Join("out", o.Port+".pcap")] = b
				for _, f := range readGDFrames(t, o.Port, b) {
					checked(t, f.data)
				}
			}
			checkGolden(t, dir, got, "TestReplayGoldenTunnel")
		})
	}
}

func notVXLANText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("not vxlan: %d\n", n)
}

// tunnelFDBMAC returns the MAC l2pop gives owner in spec's br-tun.
func tunnelFDBMAC(t testing.TB, spec *Spec, owner string) net.HardwareAddr {
	for _, ps := range spec.Ports {
		if ps.Tunnel == nil {
			continue
		}
		for _, tn := range ps.Tunnel.Networks {
			for _, e := range tn.FDB {
				if e.Owner == owner {
					return e.MAC
				}
			}
		}
	}
	t.Fatalf("no l2pop entry of %s", owner)
	return nil
}
