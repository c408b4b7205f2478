package datapath

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet"
)

// frameOfLen builds a UDP frame of exactly size bytes (tagged with vid
// when not 0; vid 0 with prio set makes a priority tag).
func frameOfLen(t *testing.T, src, dst net.HardwareAddr, vid uint16, size int) []byte {
	t.Helper()
	hdr := 14 + 20 + 8
	if vid != 0 {
		hdr += 4
	}
	f := udpFrame(t, src, dst, vid, size-hdr)
	if len(f) != size {
		t.Fatalf("built %d bytes, want %d", len(f), size)
	}
	return f
}

func TestMTUEdges(t *testing.T) {
	r1, r2 := mac(0x11), mac(0x12)
	for _, tc := range []struct {
		name string
		port string
		vid  uint16
		size int
		drop string
	}{
		{"vm port at the MTU", "r1", 0, 1514, ""},
		{"vm port over the MTU", "r1", 0, 1515, "oversize"},
		{"uplink tagged at the MTU", "physnet1", 101, 1518, ""},
		{"uplink tagged over the MTU", "physnet1", 101, 1519, "oversize"},
		{"uplink untagged at the MTU", "physnet1", 0, 1514, ""},
		{"uplink untagged over the MTU", "physnet1", 0, 1515, "oversize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := memNode(t, twoNetSpec(), Options{})
			send(t, n, tc.port, frameOfLen(t, r1, r2, tc.vid, tc.size))
			want := map[string]uint64{}
			if tc.drop != "" {
				want[tc.drop] = 1
			}
			if diff := cmp.Diff(want, n.Counters().Drops); diff != "" {
				t.Errorf("drops (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPriorityTagFromVM(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	r1 := mac(0x11)
	send(t, n, "r1", udpFrame(t, r1, broadcast, 0, 30)) // learn nothing special
	f := udpFrame(t, r1, broadcast, 101, 30)
	f[14], f[15] = 0xa0, 0x00 // priority 5, VLAN id 0
	send(t, n, "r1", f)
	got := eps["r2"].Sent()
	if len(got) != 2 {
		t.Fatalf("r2 got %d frames, want 2", len(got))
	}
	if diff := cmp.Diff(udpFrame(t, r1, broadcast, 0, 30), got[1].Data); diff != "" {
		t.Errorf("priority-tagged frame not delivered untagged (-want +got):\n%s", diff)
	}
	if len(n.Counters().Drops) != 0 {
		t.Errorf("drops: %v", n.Counters().Drops)
	}
}

func TestDoubleTaggedFromUplink(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	inner := udpFrame(t, mac(0x99), broadcast, 7, 30)
	// Wrap in an outer tag of red's VLAN 101.
	f := append(append(append([]byte{}, inner[:12]...), 0x81, 0x00, 0x00, 101), inner[12:]...)
	send(t, n, "physnet1", f)
	if got := eps["r1"].Count() + eps["r2"].Count(); got != 0 {
		t.Errorf("a double-tagged frame reached %d VM ports", got)
	}
	if diff := cmp.Diff(map[string]uint64{"double_tagged": 1}, n.Counters().Drops); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
}

func TestMACLimitThroughDatapath(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{MaxMACsPerPort: 2})
	for i := byte(1); i <= 4; i++ {
		send(t, n, "r1", udpFrame(t, net.HardwareAddr{0x52, 0x54, 0, 0, 9, i}, broadcast, 0, 30))
	}
	// The uplink is exempt: a physical network has many hosts.
	for i := byte(1); i <= 4; i++ {
		send(t, n, "physnet1", udpFrame(t, net.HardwareAddr{0x52, 0x54, 0, 0, 8, i}, broadcast, 101, 30))
	}
	if diff := cmp.Diff(map[string]uint64{"mac_limit": 2}, n.Counters().Drops); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
}

func TestSuperFrameOverMTUDropped(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	// 54 bytes of headers + 1460 = 1514: fits a 1500 MTU.
	send2 := func(b *packet.Buffer) { n.Process(n.NewWorker(1), 0, []*packet.Buffer{b}) }
	send2(tcpSuperFrame(t, mac(0x11), mac(0x12), 5000, 1460))
	// 54 + 1461 does not: NEUTRON.md's VXLAN MTU trap, caught at ingress.
	send2(tcpSuperFrame(t, mac(0x11), mac(0x12), 5000, 1461))
	if got := eps["r2"].Count(); got != 1 {
		t.Errorf("r2 got %d super-frames, want 1", got)
	}
	if diff := cmp.Diff(map[string]uint64{"oversize": 1}, n.Counters().Drops); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
}

func TestPartialChecksumCompletedForUplink(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	b := tcpSuperFrame(t, mac(0x11), broadcast, 1000, 1448)
	b.Meta.GSO.Type = packet.GSONone // one frame, checksum still partial
	n.Process(n.NewWorker(1), 0, []*packet.Buffer{b})
	up := eps["physnet1"].Sent()
	if len(up) != 1 || up[0].GSO.NeedsCsum {
		t.Fatalf("uplink got %d frames (%+v), want 1 with its checksum done", len(up), up)
	}
	verifyTCPChecksum(t, up[0].Data)
	if got := eps["r2"].Sent(); len(got) != 1 {
		t.Fatalf("r2 got %d frames", len(got))
	}
}

// verifyTCPChecksum checks a frame's IPv4 header and TCP checksums by
// recomputing them with gopacket.
func verifyTCPChecksum(t *testing.T, frame []byte) {
	t.Helper()
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if ip == nil || tcp == nil {
		t.Fatalf("not TCP/IPv4: %v", p)
	}
	gotIP, gotTCP := ip.Checksum, tcp.Checksum
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, ip, tcp, gopacket.Payload(tcp.Payload)); err != nil {
		t.Fatal(err)
	}
	q := gopacket.NewPacket(buf.Bytes(), layers.LayerTypeIPv4, gopacket.Default)
	wantIP := q.Layer(layers.LayerTypeIPv4).(*layers.IPv4).Checksum
	wantTCP := q.Layer(layers.LayerTypeTCP).(*layers.TCP).Checksum
	if gotIP != wantIP || gotTCP != wantTCP {
		t.Errorf("checksums ip %#04x tcp %#04x, want %#04x %#04x", gotIP, gotTCP, wantIP, wantTCP)
	}
}
