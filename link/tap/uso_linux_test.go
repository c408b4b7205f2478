package tap

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/internal/netnstest"
	"neutrino/packet"
	"neutrino/packet/header"
)

// udpFrame builds an untagged UDP/IPv4 frame with a partial checksum, as
// a TAP device with TUN_F_CSUM hands it over.
func udpFrame(t *testing.T, id uint16, dport uint16, payload []byte) *packet.Buffer {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, Id: id, Flags: layers.IPv4DontFragment, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{10, 0, 0, 11}, DstIP: net.IP{10, 0, 0, 12}}
	udp := &layers.UDP{SrcPort: 4000, DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	sb := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	f := sb.Bytes()
	// Partial checksum: the pseudo-header sum in the checksum field.
	var ph [12]byte
	copy(ph[:8], f[26:34])
	ph[9] = 17
	binary.BigEndian.PutUint16(ph[10:], uint16(len(f)-34))
	binary.BigEndian.PutUint16(f[40:42], header.Checksum(ph[:], 0))
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(f)
	b.Meta.GSO = packet.GSO{NeedsCsum: true, CsumStart: 34, CsumOffset: 6}
	return b
}

func TestUSORun(t *testing.T) {
	p := func(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }
	bufs := []*packet.Buffer{
		udpFrame(t, 100, 5201, p('a', 30)),
		udpFrame(t, 101, 5201, p('b', 30)),
		udpFrame(t, 102, 5201, p('c', 20)), // shorter: the last of the run
		udpFrame(t, 103, 5201, p('d', 30)),
	}
	k, size := usoRun(bufs)
	if k != 3 || size != 30 {
		t.Fatalf("usoRun = %d, %d; want 3, 30", k, size)
	}
	out := make([]byte, vnetLen+usoHdr+usoMaxLen)
	m := buildUSO(out, bufs[:k], size)
	f := out[vnetLen:m]
	if want := 42 + 30 + 30 + 20; len(f) != want {
		t.Fatalf("super-frame is %d bytes, want %d", len(f), want)
	}
	if !bytes.Equal(f[:14], bufs[0].Data()[:14]) || !bytes.Equal(f[42:], append(append(p('a', 30), p('b', 30)...), p('c', 20)...)) {
		t.Fatal("super-frame: wrong Ethernet header or payload")
	}
	if header.Checksum(f[14:34], 0) != 0xffff {
		t.Fatal("IPv4 header checksum invalid")
	}
	if got := binary.BigEndian.Uint16(f[16:18]); got != uint16(len(f)-14) {
		t.Fatalf("IPv4 total length %d", got)
	}
	if got := binary.BigEndian.Uint16(f[38:40]); got != uint16(len(f)-34) {
		t.Fatalf("UDP length %d", got)
	}
	var g packet.GSO
	g.DecodeVirtioNet(out[:vnetLen])
	if g.Type != gsoUDPL4 || g.Size != 30 || !g.NeedsCsum || g.CsumStart != 34 || g.CsumOffset != 6 || g.HdrLen != 42 {
		t.Fatalf("virtio-net header %+v", g)
	}
	// Completed as the kernel would (the sum from CsumStart stored at
	// CsumOffset), the UDP checksum must verify over the pseudo-header.
	c := append([]byte(nil), f...)
	binary.BigEndian.PutUint16(c[40:42], ^header.Checksum(c[34:], 0))
	var ph [12]byte
	copy(ph[:8], c[26:34])
	ph[9] = 17
	binary.BigEndian.PutUint16(ph[10:], uint16(len(c)-34))
	if header.Checksum(c[34:], header.Checksum(ph[:], 0)) != 0xffff {
		t.Fatal("UDP checksum of the super-frame does not verify")
	}
	if k, _ := usoRun(bufs[3:]); k != 0 {
		t.Fatalf("a lone frame: run %d", k)
	}
	for name, second := range map[string]*packet.Buffer{
		"other port":    udpFrame(t, 101, 5202, p('b', 30)),
		"id gap":        udpFrame(t, 105, 5201, p('b', 30)),
		"longer second": udpFrame(t, 101, 5201, p('b', 32)),
	} {
		if k, _ := usoRun([]*packet.Buffer{bufs[0], second}); k > 1 {
			t.Errorf("%s: coalesced (%d)", name, k)
		}
	}
	full := udpFrame(t, 101, 5201, p('b', 30))
	full.Meta.GSO.NeedsCsum = false
	if k, _ := usoRun([]*packet.Buffer{bufs[0], full}); k > 1 {
		t.Error("a frame with a complete checksum was coalesced")
	}
}

// TestUSODelivers writes a batch of datagrams of one flow into a device in
// a namespace: they go as one super-frame, and a socket there must get
// each datagram as it was, in order.
func TestUSODelivers(t *testing.T) {
	netnstest.RequireRoot(t)
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	d := openTAP(t, Config{MAC: mac})
	ns := netnstest.New(t, "nt")
	moveTo(t, d, ns, "10.0.0.12/24")
	ns.Exec("ip", "neigh", "add", "10.0.0.11", "lladdr", "02:00:00:00:00:01", "dev", d.Name(), "nud", "permanent")
	var conn *net.UDPConn
	if err := ns.Do(func() (err error) {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IP{10, 0, 0, 12}, Port: 5201})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var want [][]byte
	var bufs []*packet.Buffer
	for i := range 40 {
		pl := bytes.Repeat([]byte{byte(i)}, 30)
		if i == 39 {
			pl = pl[:20] // no shorter: the frame would be padded to 60 bytes
		}
		want = append(want, pl)
		bufs = append(bufs, udpFrame(t, uint16(1000+i), 5201, pl))
	}
	if k, _ := usoRun(bufs); k != 40 {
		t.Fatalf("usoRun = %d, want 40", k)
	}
	if n, err := d.WriteBatch(bufs); n != 40 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	if usoOff.Load() {
		t.Fatal("the kernel refused the super-frame")
	}
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 2048)
	for i, w := range want {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], w) {
			t.Fatalf("datagram %d = %x, want %x", i, buf[:n], w)
		}
	}
}
