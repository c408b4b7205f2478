package tap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/vishvananda/netlink"

	"neutrino/internal/netnstest"
	"neutrino/link"
	"neutrino/link/linktest"
	"neutrino/packet"
)

func TestOpenCreatesAndRemoves(t *testing.T) {
	netnstest.RequireRoot(t)
	mac := net.HardwareAddr{0x02, 0x99, 0, 0, 0, 1}
	d := openTAP(t, Config{MAC: mac, MTU: 1400, GSOMaxSegs: 44})
	l, err := netlink.LinkByName(d.Name())
	if err != nil {
		t.Fatal(err)
	}
	a := l.Attrs()
	if !bytes.Equal(a.HardwareAddr, mac) || a.MTU != 1400 || a.Flags&net.FlagUp == 0 || a.GSOMaxSegs != 44 {
		t.Fatalf("device: MAC %v MTU %d flags %v gso_max_segs %d", a.HardwareAddr, a.MTU, a.Flags, a.GSOMaxSegs)
	}
	if d.MTU() != 1400 || d.Caps() != link.CapCsumPartial|link.CapGSO || !d.created {
		t.Fatalf("MTU %d Caps %v created %v", d.MTU(), d.Caps(), d.created)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if !linkGone(d.Name()) {
		t.Fatalf("%s still there after Close", d.Name())
	}
	if _, err := d.ReadBatch(newBuffers(1)); !errors.Is(err, link.ErrClosed) {
		t.Fatalf("ReadBatch after Close: %v", err)
	}
	if _, err := d.WriteBatch(newBuffers(1)); !errors.Is(err, link.ErrClosed) {
		t.Fatalf("WriteBatch after Close: %v", err)
	}
}

func TestOpenPersistent(t *testing.T) {
	netnstest.RequireRoot(t)
	name := netnstest.IfName("ntptap")
	netnstest.Exec(t, "ip", "tuntap", "add", "dev", name, "mode", "tap")
	t.Cleanup(func() { netnstest.Run(context.Background(), "ip", "link", "del", name) })

	d, err := Open(Config{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if d.created {
		t.Fatal("Open says it created a persistent device")
	}
	if _, err := Open(Config{Name: name}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Open: %v, want ErrBusy", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if linkGone(name) {
		t.Fatalf("persistent %s removed by Close", name)
	}
	// Not a TAP device.
	if _, err := Open(Config{Name: "lo"}); !errors.Is(err, ErrNotTAP) {
		t.Fatalf("Open(lo): %v, want ErrNotTAP", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	netnstest.RequireRoot(t)
	// Nothing is sent to a device without an address; IPv6 noise is
	// read and ignored.
	linktest.CloseUnblocksRead(t, openTAP(t, Config{}))
}

func TestDeviceDeleted(t *testing.T) {
	netnstest.RequireRoot(t)
	for _, inNS := range []bool{false, true} {
		t.Run(fmt.Sprintf("in netns %v", inNS), func(t *testing.T) {
			d := openTAP(t, Config{})
			del := []string{"ip", "link", "del", d.Name()}
			if inNS {
				ns := netnstest.New(t, "nt")
				moveTo(t, d, ns, "10.99.4.1/24")
				del = append([]string{"ip", "netns", "exec", ns.Name}, del...)
			}
			done := make(chan error, 1)
			go func() {
				bufs := newBuffers(4)
				for {
					if _, err := d.ReadBatch(bufs); err != nil {
						done <- err
						return
					}
				}
			}()
			time.Sleep(100 * time.Millisecond)
			netnstest.Exec(t, del...)
			select {
			case err := <-done:
				if err != link.ErrDeviceGone {
					t.Fatalf("ReadBatch returned %v, want link.ErrDeviceGone", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("ReadBatch still blocked 5s after the device was deleted")
			}
			// Again, at once, and for writes: the state is permanent and
			// reported without spinning.
			start := time.Now()
			if _, err := d.ReadBatch(newBuffers(1)); err != link.ErrDeviceGone {
				t.Fatalf("second ReadBatch: %v", err)
			}
			b := packet.NewBuffer(2048)
			b.SetData(make([]byte, 60))
			if _, err := d.WriteBatch([]*packet.Buffer{b}); err != link.ErrDeviceGone {
				t.Fatalf("WriteBatch: %v", err)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("ErrDeviceGone took %v", time.Since(start))
			}
			if err := d.Close(); err != nil {
				t.Fatalf("Close after deletion: %v", err)
			}
		})
	}
}

// TestMoveToNamespace moves an open device into a namespace: frames the
// namespace sends come out of ReadBatch (with the MAC Open set as source)
// and frames written with WriteBatch reach the namespace's stack.
func TestMoveToNamespace(t *testing.T) {
	netnstest.RequireRoot(t)
	mac := net.HardwareAddr{0x02, 0x99, 0, 0, 3, 1}
	peer := net.HardwareAddr{0x02, 0x99, 0, 0, 3, 2}
	d := openTAP(t, Config{MAC: mac})
	ns := netnstest.New(t, "nt")
	moveTo(t, d, ns, "10.99.3.1/24")
	ns.Exec("ip", "neigh", "add", "10.99.3.2", "lladdr", peer.String(), "dev", d.Name(), "nud", "permanent")

	// Write echo requests as if from 10.99.3.2; the replies come back
	// through ReadBatch.
	bufs := newBuffers(4)
	for i, b := range bufs {
		b.SetData(echoRequest(t, peer, mac, net.IPv4(10, 99, 3, 2), net.IPv4(10, 99, 3, 1), uint16(i)))
	}
	if n, err := d.WriteBatch(bufs); n != 4 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	n := readUntil(t, d, 4, 5*time.Second, func(f []byte) bool {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		icmp, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
		eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		return icmp != nil && icmp.TypeCode.Type() == layers.ICMPv4TypeEchoReply && bytes.Equal(eth.SrcMAC, mac)
	})
	if n != 4 {
		t.Fatalf("got %d echo replies from the namespace, want 4", n)
	}
	// Closed, the device disappears from the namespace too.
	d.Close()
	if out, err := ns.Run(context.Background(), "ip", "link", "show", d.Name()); err == nil {
		t.Fatalf("%s still in %s after Close:\n%s", d.Name(), ns.Name, out)
	}
}

// TestZeroAllocs writes echo requests into a device in a namespace and
// reads the replies: neither path may allocate.
func TestZeroAllocs(t *testing.T) {
	netnstest.RequireRoot(t)
	mac := net.HardwareAddr{0x02, 0x99, 0, 0, 5, 1}
	peer := net.HardwareAddr{0x02, 0x99, 0, 0, 5, 2}
	d := openTAP(t, Config{MAC: mac})
	ns := netnstest.New(t, "nt")
	moveTo(t, d, ns, "10.99.5.1/24")
	ns.Exec("ip", "neigh", "add", "10.99.5.2", "lladdr", peer.String(), "dev", d.Name(), "nud", "permanent")

	const batch = 8
	out := newBuffers(batch)
	for i, b := range out {
		b.SetData(echoRequest(t, peer, mac, net.IPv4(10, 99, 5, 2), net.IPv4(10, 99, 5, 1), uint16(i)))
	}
	in := newBuffers(batch)
	// Warm up the pools.
	d.WriteBatch(out)
	for got := 0; got < batch; {
		n, err := d.ReadBatch(in)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	deadline := time.AfterFunc(20*time.Second, func() { d.Close() })
	defer deadline.Stop()
	var frames int
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := d.WriteBatch(out); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < batch; {
			n, err := d.ReadBatch(in)
			if err != nil {
				t.Fatal(err)
			}
			got += n
			frames += n
		}
	})
	t.Logf("%.2f allocations per batch of %d frames written and %d read", allocs, batch, batch)
	if allocs != 0 {
		t.Fatalf("%v allocations per batch, want 0", allocs)
	}
}

// TestCopyLoop is the bare datapath: two devices in two namespaces and a
// loop in the test copying frames between them. ping works across, and
// iperf3 moves TCP super-frames whole.
func TestCopyLoop(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	a := openTAP(t, Config{MAC: net.HardwareAddr{0x02, 0x99, 0, 0, 2, 1}})
	b := openTAP(t, Config{MAC: net.HardwareAddr{0x02, 0x99, 0, 0, 2, 2}})
	nsA, nsB := netnstest.New(t, "nt"), netnstest.New(t, "nt")
	moveTo(t, a, nsA, "10.99.2.1/24")
	moveTo(t, b, nsB, "10.99.2.2/24")

	var ab, ba loopStats
	var wg sync.WaitGroup
	copyLoop(t, a, b, &ab, &wg)
	copyLoop(t, b, a, &ba, &wg)
	t.Cleanup(func() {
		a.Close()
		b.Close()
		wg.Wait()
	})

	out := nsA.Exec("ping", "-c", "3", "-W", "2", "10.99.2.2")
	t.Logf("ping:\n%s", lastLines(out, 2))

	if _, err := exec.LookPath("iperf3"); err != nil {
		t.Logf("iperf3 not installed: no throughput measurement")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := nsB.Start(ctx, "iperf3", "-s", "-1", "-B", "10.99.2.2")
	time.Sleep(300 * time.Millisecond) // let the server listen
	gso0 := ab.gso.Load()
	res, err := nsA.Run(ctx, "iperf3", "-c", "10.99.2.2", "-t", "3", "-J")
	if err != nil {
		t.Fatalf("iperf3 client: %v\nserver: %s", err, srv.Output())
	}
	srv.Wait(5 * time.Second)
	gbps, err := netnstest.IperfGbps(res)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("iperf3 TCP through the copy loop: %.2f Gb/s", gbps)
	t.Logf("a->b: %d frames, %d super-frames (largest %d bytes); b->a: %d frames, %d super-frames",
		ab.frames.Load(), ab.gso.Load(), ab.maxLen.Load(), ba.frames.Load(), ba.gso.Load())
	t.Logf("device stats: %s %+v; %s %+v", a.Name(), a.Stats(), b.Name(), b.Stats())
	if ab.gso.Load() == gso0 {
		t.Error("no super-frame (GSO.Type != 0) seen during the TCP transfer")
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// TestSmallBuffers reads frames bigger than the buffers: they are dropped
// and counted, and smaller ones still come through.
func TestSmallBuffers(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	mac := net.HardwareAddr{0x02, 0x99, 0, 0, 6, 1}
	peer := net.HardwareAddr{0x02, 0x99, 0, 0, 6, 2}
	d := openTAP(t, Config{MAC: mac})
	ns := netnstest.New(t, "nt")
	moveTo(t, d, ns, "10.99.6.1/24")
	ns.Exec("ip", "neigh", "add", "10.99.6.2", "lladdr", peer.String(), "dev", d.Name(), "nud", "permanent")
	// 1000-byte echo requests go out of the device; 100-byte buffers
	// cannot hold them.
	ns.Run(context.Background(), "ping", "-c", "2", "-i", "0.2", "-s", "1000", "-W", "1", "10.99.6.2")
	ns.Run(context.Background(), "ping", "-c", "1", "-s", "16", "-W", "1", "10.99.6.2")
	small := make([]*packet.Buffer, 4)
	for i := range small {
		small[i] = packet.NewBuffer(100)
	}
	// Frames of the device's time in the host namespace (IPv6) may come
	// first; look for the small echo request.
	deadline := time.AfterFunc(5*time.Second, func() { d.Close() })
	defer deadline.Stop()
	for found := false; !found; {
		n, err := d.ReadBatch(small)
		if err != nil {
			t.Fatalf("the small echo request did not come through: %v", err)
		}
		for _, b := range small[:n] {
			f := b.Data()
			found = found || len(f) == 14+20+8+16 && f[12] == 0x08 && f[13] == 0x00 && f[14+9] == 1
		}
	}
	if st := d.Stats(); st.RxDropped != 2 {
		t.Fatalf("RxDropped %d, want 2", st.RxDropped)
	}
}
