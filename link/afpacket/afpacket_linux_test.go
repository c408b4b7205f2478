package afpacket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"neutrino/internal/netnstest"
	"neutrino/link"
	"neutrino/link/linktest"
	"neutrino/packet"
)

// openIn opens a Socket on ifname inside ns, closed when the test ends.
func openIn(t *testing.T, ns *netnstest.NS, cfg Config) *Socket {
	t.Helper()
	var s *Socket
	err := ns.Do(func() error {
		var err error
		s, err = Open(cfg)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newBuffers(n int) []*packet.Buffer {
	bufs := make([]*packet.Buffer, n)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
	}
	return bufs
}

// testFrame is a broadcast frame of the local experimental EtherType
// 0x88b5 with a recognizable payload.
func testFrame(src byte, seq int) []byte {
	f := make([]byte, 64)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x99, 0, 0, 0, src})
	binary.BigEndian.PutUint16(f[12:], 0x88b5)
	copy(f[14:], "neutrino")
	binary.BigEndian.PutUint32(f[22:], uint32(seq))
	return f
}

// readFrames reads from s for at most timeout and returns copies of the
// frames keep accepts, stopping after want of them.
func readFrames(t *testing.T, s *Socket, want int, timeout time.Duration, keep func([]byte) bool) [][]byte {
	t.Helper()
	ch := make(chan [][]byte, 1)
	go func() {
		var got [][]byte
		bufs := newBuffers(8)
		for len(got) < want {
			n, err := s.ReadBatch(bufs)
			if err != nil {
				break
			}
			for _, b := range bufs[:n] {
				if keep(b.Data()) {
					got = append(got, bytes.Clone(b.Data()))
				}
			}
		}
		ch <- got
	}()
	select {
	case got := <-ch:
		return got
	case <-time.After(timeout):
		return nil
	}
}

func isTest(f []byte) bool {
	return len(f) >= 26 && (bytes.Equal(f[12:14], []byte{0x88, 0xb5}) && bytes.Equal(f[14:22], []byte("neutrino")) ||
		bytes.Equal(f[16:18], []byte{0x88, 0xb5}) && bytes.Equal(f[18:26], []byte("neutrino")))
}

// TestVLANTagRestored sends VLAN 100 frames into one end of a veth pair
// and reads the other end: the kernel moves the tag out of the frame and
// hands it over in PACKET_AUXDATA only, and the Socket puts it back.
//
// The frames come from a VLAN sub-interface on the peer when the kernel
// has 802.1Q support (its tag travels in the skb metadata, rx VLAN offload
// of veth); without it, they are written already tagged on the peer, and
// the receive path of the kernel (skb_vlan_untag in
// __netif_receive_skb_core, before packet sockets see the frame) moves
// the tag out all the same.
func TestVLANTagRestored(t *testing.T) {
	netnstest.RequireRoot(t)
	for _, noOffload := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoOffload=%v", noOffload), func(t *testing.T) {
			ns := netnstest.New(t, "nt")
			va, vb := netnstest.Veth(t, ns, ns)
			if _, err := exec.LookPath("ethtool"); err == nil {
				out, _ := ns.Run(context.Background(), "ethtool", "-k", va)
				for _, l := range strings.Split(out, "\n") {
					if strings.Contains(l, "rx-vlan-offload") || strings.Contains(l, "tx-vlan-offload") {
						t.Logf("%s: %s", va, strings.TrimSpace(l))
					}
				}
			}
			a := openIn(t, ns, Config{Interface: va, NoOffload: noOffload})

			var sender *Socket
			tagged := false
			vlan := vb + ".100"
			_, err := ns.Run(context.Background(), "ip", "link", "add", "link", vb, "name", vlan, "type", "vlan", "id", "100")
			switch {
			case err == nil:
				ns.Exec("ip", "link", "set", vlan, "up")
				sender = openIn(t, ns, Config{Interface: vlan, NoOffload: noOffload})
				t.Logf("sending from the VLAN sub-interface %s", vlan)
			case strings.Contains(err.Error(), "Unknown device type"):
				sender = openIn(t, ns, Config{Interface: vb, NoOffload: noOffload})
				tagged = true
				t.Logf("kernel without 802.1Q (CONFIG_VLAN_8021Q): sending frames tagged with VID 100 on %s", vb)
			default:
				t.Fatal(err)
			}

			var frames []*packet.Buffer
			for i := 0; i < 4; i++ {
				b := packet.NewBuffer(2048)
				f := testFrame(1, i)
				if tagged {
					f = append(append(append([]byte{}, f[:12]...), 0x81, 0x00, 0x00, 100), f[12:]...)
				}
				b.SetData(f)
				frames = append(frames, b)
			}
			if n, err := sender.WriteBatch(frames); n != 4 || err != nil {
				t.Fatalf("WriteBatch = %d, %v", n, err)
			}
			got := readFrames(t, a, 4, 5*time.Second, isTest)
			if len(got) != 4 {
				t.Fatalf("read %d test frames on %s, want 4", len(got), va)
			}
			for i, f := range got {
				tpid, tci := binary.BigEndian.Uint16(f[12:]), binary.BigEndian.Uint16(f[14:])
				if tpid != 0x8100 || tci&0xfff != 100 {
					t.Fatalf("frame %d: TPID %#04x TCI %#04x, want 0x8100 and VID 100: % x", i, tpid, tci, f[:26])
				}
				want := testFrame(1, i)
				untagged := append(append([]byte{}, f[:12]...), f[16:]...)
				if !bytes.Equal(untagged, want) {
					t.Fatalf("frame %d without its tag:\n got  % x\n want % x", i, untagged, want)
				}
			}
			st := a.Stats()
			t.Logf("%s: %+v", va, st)
			if st.RxVLAN < 4 {
				t.Errorf("%d tags put back from PACKET_AUXDATA, want 4: the kernel left them in the frames", st.RxVLAN)
			}
			// The sender does not read its own frames back.
			if got := readFrames(t, sender, 1, 300*time.Millisecond, isTest); len(got) != 0 {
				t.Fatalf("sender read back %d of its own frames", len(got))
			}
		})
	}
}

func TestDeviceDeleted(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t, "nt")
	va, _ := netnstest.Veth(t, ns, ns)
	s := openIn(t, ns, Config{Interface: va})
	done := make(chan error, 1)
	go func() {
		bufs := newBuffers(4)
		for {
			if _, err := s.ReadBatch(bufs); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	ns.Exec("ip", "link", "del", va)
	select {
	case err := <-done:
		if err != link.ErrDeviceGone {
			t.Fatalf("ReadBatch returned %v, want link.ErrDeviceGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadBatch still blocked 5s after the interface was deleted")
	}
	if _, err := s.ReadBatch(newBuffers(1)); err != link.ErrDeviceGone {
		t.Fatalf("second ReadBatch: %v", err)
	}
	b := packet.NewBuffer(2048)
	b.SetData(testFrame(1, 0))
	if _, err := s.WriteBatch([]*packet.Buffer{b}); err != link.ErrDeviceGone {
		t.Fatalf("WriteBatch: %v", err)
	}
}

// TestLinkDownUp takes the interface down and up under a blocked
// ReadBatch: it keeps waiting (no error, no spinning) and reads again.
func TestLinkDownUp(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t, "nt")
	va, vb := netnstest.Veth(t, ns, ns)
	a := openIn(t, ns, Config{Interface: va})
	b := openIn(t, ns, Config{Interface: vb})
	got := make(chan int, 1)
	go func() {
		n := len(readFrames(t, a, 1, 10*time.Second, isTest))
		got <- n
	}()
	time.Sleep(100 * time.Millisecond)
	ns.Exec("ip", "link", "set", va, "down")
	time.Sleep(300 * time.Millisecond)
	ns.Exec("ip", "link", "set", va, "up")
	time.Sleep(300 * time.Millisecond)
	f := packet.NewBuffer(2048)
	f.SetData(testFrame(2, 0))
	if _, err := b.WriteBatch([]*packet.Buffer{f}); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != 1 {
		t.Fatalf("read %d frames after down/up, want 1", n)
	}
	t.Logf("%+v", a.Stats())
}

func TestCloseUnblocksRead(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t, "nt")
	va, _ := netnstest.Veth(t, ns, ns)
	linktest.CloseUnblocksRead(t, openIn(t, ns, Config{Interface: va}))
}

func TestZeroAllocs(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t, "nt")
	va, vb := netnstest.Veth(t, ns, ns)
	a := openIn(t, ns, Config{Interface: va})
	b := openIn(t, ns, Config{Interface: vb})
	const batch = 8
	out := make([]*packet.Buffer, batch)
	for i := range out {
		out[i] = packet.NewBuffer(2048)
		out[i].SetData(testFrame(3, i))
	}
	in := newBuffers(batch)
	roundTrip := func() {
		if n, err := b.WriteBatch(out); n != batch || err != nil {
			t.Fatalf("WriteBatch = %d, %v", n, err)
		}
		for got := 0; got < batch; {
			n, err := a.ReadBatch(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range in[:n] {
				if isTest(f.Data()) {
					got++
				}
			}
		}
	}
	roundTrip() // warm up the pools
	deadline := time.AfterFunc(20*time.Second, func() { a.Close() })
	defer deadline.Stop()
	allocs := testing.AllocsPerRun(50, roundTrip)
	t.Logf("%.2f allocations per batch of %d frames written and read", allocs, batch)
	if allocs != 0 {
		t.Fatalf("%v allocations per batch, want 0", allocs)
	}
}

// loopStats counts what a copy loop moved.
type loopStats struct {
	frames, gso, csum, segments, maxLen atomic.Int64
}

// copyLoop moves frames from src to dst until src is closed. When dst
// cannot take super-frames or partial checksums (Caps 0) it segments and
// completes them first, as the datapath does.
func copyLoop(t *testing.T, src, dst *Socket, st *loopStats, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		bufs := newBuffers(64)
		segs := make([]*packet.Buffer, 64)
		for i := range segs {
			segs[i] = packet.NewBuffer(2048)
		}
		one := make([]*packet.Buffer, 1)
		write := func(bs []*packet.Buffer) bool {
			for done := 0; done < len(bs); {
				w, err := dst.WriteBatch(bs[done:])
				done += w
				if err != nil {
					if errors.Is(err, link.ErrClosed) || errors.Is(err, link.ErrDeviceGone) {
						return false
					}
					t.Errorf("%s: WriteBatch: %v", dst.Name(), err)
					done++
				}
			}
			return true
		}
		caps := dst.Caps()
		for {
			n, err := src.ReadBatch(bufs)
			if err != nil {
				if !errors.Is(err, link.ErrClosed) {
					t.Errorf("%s: ReadBatch: %v", src.Name(), err)
				}
				return
			}
			st.frames.Add(int64(n))
			for _, b := range bufs[:n] {
				if l := int64(b.Len()); l > st.maxLen.Load() {
					st.maxLen.Store(l)
				}
			}
			if caps.Has(link.CapGSO | link.CapCsumPartial) {
				for _, b := range bufs[:n] {
					if b.Meta.GSO.IsGSO() {
						st.gso.Add(1)
					}
				}
				if !write(bufs[:n]) {
					return
				}
				continue
			}
			for _, b := range bufs[:n] {
				switch {
				case b.Meta.GSO.IsGSO():
					st.gso.Add(1)
					k, err := packet.Segment(b, segs)
					if err != nil {
						t.Errorf("Segment: %v", err)
						continue
					}
					st.segments.Add(int64(k))
					if !write(segs[:k]) {
						return
					}
				default:
					if b.Meta.GSO.NeedsCsum {
						st.csum.Add(1)
						if err := packet.CompleteChecksum(b); err != nil {
							t.Errorf("CompleteChecksum: %v", err)
						}
					}
					one[0] = b
					if !write(one) {
						return
					}
				}
			}
		}
	}()
}

// TestCopyLoop bridges two namespaces through two veth pairs and a copy
// loop between AF_PACKET sockets on their inner ends: ping and iperf3 go
// across, with super-frames whole (vnet header) or segmented (NoOffload).
// In the "gro" case the sender segments (TSO, GSO and checksum offload
// off) and GRO on the socket's interface builds the super-frames, as on a
// NIC.
func TestCopyLoop(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	for _, tc := range []struct {
		name      string
		noOffload bool
		gro       bool
	}{{"vnet", false, false}, {"NoOffload", true, false}, {"vnet gro", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gro {
				netnstest.RequireTool(t, "ethtool")
			}
			noOffload := tc.noOffload
			nsA, nsB, nsM := netnstest.New(t, "nt"), netnstest.New(t, "nt"), netnstest.New(t, "nt")
			a, ma := netnstest.Veth(t, nsA, nsM)
			b, mb := netnstest.Veth(t, nsB, nsM)
			nsA.Exec("ip", "addr", "add", "10.99.7.1/24", "dev", a)
			nsB.Exec("ip", "addr", "add", "10.99.7.2/24", "dev", b)
			if tc.gro {
				nsA.Exec("ethtool", "-K", a, "tso", "off", "gso", "off", "tx", "off")
				nsM.Exec("ethtool", "-K", ma, "gro", "on")
			}
			sa := openIn(t, nsM, Config{Interface: ma, NoOffload: noOffload})
			sb := openIn(t, nsM, Config{Interface: mb, NoOffload: noOffload})

			var ab, ba loopStats
			var wg sync.WaitGroup
			copyLoop(t, sa, sb, &ab, &wg)
			copyLoop(t, sb, sa, &ba, &wg)
			t.Cleanup(func() {
				sa.Close()
				sb.Close()
				wg.Wait()
			})

			out := nsA.Exec("ping", "-c", "3", "-W", "2", "10.99.7.2")
			t.Logf("ping: %s", lastLine(out))
			if _, err := exec.LookPath("iperf3"); err != nil {
				t.Logf("iperf3 not installed: no throughput measurement")
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			srv := nsB.Start(ctx, "iperf3", "-s", "-1", "-B", "10.99.7.2")
			time.Sleep(300 * time.Millisecond)
			res, err := nsA.Run(ctx, "iperf3", "-c", "10.99.7.2", "-t", "3", "-J")
			if err != nil {
				t.Fatalf("iperf3 client: %v\nserver: %s", err, srv.Output())
			}
			srv.Wait(5 * time.Second)
			gbps, err := netnstest.IperfGbps(res)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("iperf3 TCP through the AF_PACKET copy loop: %.2f Gb/s", gbps)
			t.Logf("a->b: %d frames, %d super-frames (largest %d bytes), %d segments cut, %d checksums completed; b->a: %d frames",
				ab.frames.Load(), ab.gso.Load(), ab.maxLen.Load(), ab.segments.Load(), ab.csum.Load(), ba.frames.Load())
			t.Logf("sockets: %s %+v; %s %+v", sa.Name(), sa.Stats(), sb.Name(), sb.Stats())
		})
	}
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

// TestSmallBuffers reads frames bigger than the buffers: they are dropped
// and counted, and the small one after them comes through.
func TestSmallBuffers(t *testing.T) {
	netnstest.RequireRoot(t)
	ns := netnstest.New(t, "nt")
	va, vb := netnstest.Veth(t, ns, ns)
	a := openIn(t, ns, Config{Interface: va})
	b := openIn(t, ns, Config{Interface: vb})
	big := packet.NewBuffer(2048)
	big.SetData(append(testFrame(4, 0), make([]byte, 900)...))
	small := packet.NewBuffer(2048)
	small.SetData(testFrame(4, 1))
	if n, err := b.WriteBatch([]*packet.Buffer{big, big, small}); n != 3 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	bufs := make([]*packet.Buffer, 4)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(100)
	}
	got := 0
	for deadline := time.Now().Add(5 * time.Second); got == 0 && time.Now().Before(deadline); {
		n, err := a.ReadBatch(bufs)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range bufs[:n] {
			if isTest(f.Data()) {
				if f.Len() != 64 {
					t.Fatalf("read a %d-byte test frame", f.Len())
				}
				got++
			}
		}
	}
	if st := a.Stats(); got != 1 || st.RxTruncated < 2 {
		t.Fatalf("read %d small frames, %d truncated; want 1 and at least 2", got, st.RxTruncated)
	}
}

// TestSkipOutgoing checks the fallback for kernels without
// PACKET_IGNORE_OUTGOING: with the option off, the frames the interface
// sends (here ARP requests of its own stack) come back marked
// PACKET_OUTGOING, and are skipped.
func TestSkipOutgoing(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	ns := netnstest.New(t, "nt")
	va, _ := netnstest.Veth(t, ns, ns)
	ns.Exec("ip", "addr", "add", "10.99.8.1/24", "dev", va)
	a := openIn(t, ns, Config{Interface: va})
	var serr error
	if err := a.rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 0)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	isARP := func(f []byte) bool {
		// An ARP request for 10.99.8.9 from 10.99.8.1.
		return len(f) >= 42 && f[12] == 0x08 && f[13] == 0x06 &&
			bytes.Equal(f[28:32], []byte{10, 99, 8, 1}) && bytes.Equal(f[38:42], []byte{10, 99, 8, 9})
	}
	arp := func() {
		ns.Run(context.Background(), "ping", "-c", "1", "-W", "1", "10.99.8.9")
	}
	// Without the filter the requests are seen: the test can fail.
	go arp()
	if got := readFrames(t, a, 1, 5*time.Second, isARP); len(got) != 1 {
		t.Fatalf("without the filter: read %d outgoing ARP requests, want 1", len(got))
	}
	a.skipOut = true
	ns.Exec("ip", "neigh", "flush", "dev", va)
	go arp()
	if got := readFrames(t, a, 1, 1500*time.Millisecond, isARP); len(got) != 0 {
		t.Fatalf("with the filter: read %d outgoing ARP requests, want 0", len(got))
	}
}
