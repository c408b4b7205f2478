package datapath

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

const goldenSGDir = "testdata/golden-sg"

// goldenSGCases are the security groups' replay fixtures: each case's
// frames enter the node of testdata/secgroups/topology.yaml; what leaves
// each port is compared with testdata/golden-sg/CASE/out/PORT.pcap, the
// counters with counters.txt and the filtered ports' chains with
// security-groups.txt.
func goldenSGCases(t testing.TB) map[string][]timed {
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	bcast := hw("ff:ff:ff:ff:ff:ff")
	vip := sgHost{"vip", sgVIP.mac, v4("10.50.0.100")}
	udp := func(from, to sgHost, sp, dp uint16) []byte { return udpTo(t, from, to, sp, dp) }
	return map[string][]timed{
		// What a VM may send: ARP for its own address (and a probe),
		// DHCP as a client; not ARP for another's address, not another
		// source IP or MAC, not DHCP offers, not IPv6 or other
		// EtherTypes. An address pair's VIP is the port's to use.
		"fixed-egress": {
			{"a", s(0), arpWhoHas(t, sgA.mac, sgA.ip, v4("10.50.0.1"))},
			{"a", s(1), arpWhoHas(t, sgA.mac, v4("0.0.0.0"), sgA.ip)},
			{"a", s(2), arpWhoHas(t, sgA.mac, v4("10.50.0.11"), v4("10.50.0.1"))},
			{"a", s(3), udpDgram(t, sgA.mac, bcast, v4("0.0.0.0"), v4("255.255.255.255"), 68, 67, 64, 300)},
			{"a", s(4), udp(sgHost{"a", sgA.mac, v4("10.50.0.99")}, sgB, 4000, 53)},
			{"a", s(5), udp(sgHost{"a", hw("fa:16:3e:00:05:99"), sgA.ip}, sgB, 4000, 53)},
			{"a", s(6), udpDgram(t, sgA.mac, bcast, sgA.ip, v4("255.255.255.255"), 67, 68, 64, 300)},
			{"vip", s(7), arpWhoHas(t, vip.mac, vip.ip, vip.ip)},
			{"vip", s(8), udp(vip, sgB, 4000, 53)},
			{"a", s(9), frame(t, eth(sgA.mac, sgB.mac, layers.EthernetTypeIPv6), &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolNoNextHeader, SrcIP: net.ParseIP("fe80::1"), DstIP: net.ParseIP("fe80::2")})},
			{"a", s(10), append(append(append(append([]byte{}, sgB.mac...), sgA.mac...), 0x88, 0xcc), make([]byte, 46)...)},
		},
		// What reaches a VM regardless of its groups: ARP, DHCP replies;
		// then the stateful part: unsolicited traffic from a non-member
		// is dropped (a mid-stream TCP segment too: picked up as NEW, it
		// meets no rule), an echo reply nobody asked for is INVALID.
		"fixed-ingress": {
			{"physnet1", s(0), arpWhoHas(t, sgOut.mac, sgOut.ip, sgA.ip)},
			{"physnet1", s(1), udpDgram(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 67, 68, 64, 300)},
			{"physnet1", s(2), udp(sgOut, sgA, 4000, 53)},
			{"physnet1", s(3), tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40001, false, true)},
			{"physnet1", s(4), echo(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 64, 5, 1, true)},
		},
		// Connections a VM opens get their replies; the same packets
		// unasked are dropped. web's rules let tcp 80 and ping in.
		"stateful-returns": {
			{"a", s(0), echo(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 64, 7, 1, false)},
			{"physnet1", s(1), echo(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 64, 7, 1, true)},
			{"physnet1", s(2), echo(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 64, 8, 1, false)},
			{"a", s(3), tcpSeg(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 40000, 443, true, false)},
			{"physnet1", s(4), tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40000, true, true)},
			{"a", s(5), tcpSeg(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 40000, 443, false, true)},
			{"physnet1", s(6), tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40000, false, true)},
			{"physnet1", s(7), tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 41000, 80, true, false)},
			{"web", s(8), tcpSeg(t, sgWeb.mac, sgOut.mac, sgWeb.ip, sgOut.ip, 80, 41000, true, true)},
			{"physnet1", s(9), tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 41001, 22, true, false)},
			{"physnet1", s(10), echo(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 64, 9, 1, false)},
			{"web", s(11), echo(t, sgWeb.mac, sgOut.mac, sgWeb.ip, sgOut.ip, 64, 9, 1, true)},
		},
		// Remote groups: members of default reach a, b and web's udp
		// 5000-5010; web (no member) does not reach a.
		"remote-group": {
			{"a", s(0), udp(sgA, sgB, 4000, 53)},
			{"b", s(1), udp(sgB, sgA, 53, 4000)},
			{"a", s(2), udp(sgA, sgWeb, 4001, 5005)},
			{"a", s(3), udp(sgA, sgWeb, 4002, 5011)},
			{"physnet1", s(4), udp(sgOut, sgWeb, 4003, 5005)},
			{"web", s(5), udp(sgWeb, sgA, 4004, 53)},
			{"vip", s(6), udp(vip, sgB, 4005, 53)},
		},
		// A stateless group: its rules decide every packet, replies
		// included.
		"stateless": {
			{"physnet1", s(0), udp(sgOut, sgLoose, 40000, 7000)},
			{"loose", s(1), udp(sgLoose, sgOut, 7000, 40000)},
			{"loose", s(2), udp(sgLoose, sgOut, 40001, 7000)},
			{"physnet1", s(3), udp(sgOut, sgLoose, 7000, 40001)},
		},
	}
}

func TestReplayGoldenSecurityGroups(t *testing.T) {
	spec := loadTestSpec(t, "testdata/secgroups/topology.yaml", "")
	cases := goldenSGCases(t)
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(goldenSGDir, name)
			inputs := goldenInputs(t, dir, cases[name])
			out := t.TempDir()
			res, err := Replay(spec, inputs, out, ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{
				"counters.txt":        []byte(countersText(res.Counters)),
				"security-groups.txt": []byte(sgChainsText(res.SecurityGroups)),
			}
			for _, o := range res.Outputs {
				b, err := os.ReadFile(o.Path)
				if err != nil {
					t.Fatal(err)
				}
				got[filepath.Join("out", o.Port+".pcap")] = b
				for _, f := range readGDFrames(t, o.Port, b) {
					checked(t, f.data) // every checksum of every frame out
				}
			}
			checkGolden(t, dir, got, "TestReplayGoldenSecurityGroups")
		})
	}
}

// sgChainsText renders the filtered ports' chains, rules that took nothing
// left out.
func sgChainsText(infos []SecurityGroupInfo) string {
	var b strings.Builder
	for _, s := range infos {
		fmt.Fprintf(&b, "%s zone %d stateful %t groups %s\n", s.Port, s.Zone, s.Stateful, strings.Join(s.Groups, ","))
		for _, c := range []struct {
			dir   string
			rules []ChainRuleInfo
		}{{"egress", s.Egress}, {"ingress", s.Ingress}} {
			for _, r := range c.rules {
				if r.Packets == 0 {
					continue
				}
				rule := r.Fixed
				if r.Group != "" {
					rule = fmt.Sprintf("%s rules[%d]", r.Group, r.Index)
				}
				fmt.Fprintf(&b, "  %-7s %3d pkts %5d bytes %-6s %-18s %s\n", c.dir, r.Packets, r.Bytes, r.Action, rule, r.Match)
			}
		}
	}
	return b.String()
}
