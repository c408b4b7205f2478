package udp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"neutrino/link"
	"neutrino/packet"
)

// TestExchange sends many datagrams both ways between two Underlays on a
// veth pair, in batches larger than one sendmmsg call.
func TestExchange(t *testing.T) {
	for _, offload := range []bool{false, true} {
		t.Run(fmt.Sprintf("offload=%v", offload), func(t *testing.T) {
			nsA, nsB := pair(t)
			opt := Options{SrcPorts: 4, GSO: offload, GRO: offload, RecvBuffer: 8 << 20}
			a, b := openIn(t, nsA, addrA, opt), openIn(t, nsB, addrB, opt)
			gso, gro := a.Caps()
			t.Logf("caps: gso=%v gro=%v; source ports A %v B %v", gso, gro, a.SrcPorts(), b.SrcPorts())
			exchange(t, a, b, addrB)
			exchange(t, b, a, addrA)
		})
	}
}

// exchange sends 300 datagrams of various sizes from one Underlay to the
// other and checks what arrives.
func exchange(t *testing.T, from, to *Underlay, toAddr netip.Addr) {
	t.Helper()
	const count = 300
	peer := netip.AddrPortFrom(toAddr, 0) // port 0: the Underlay's own
	ds := make([]Datagram, count)
	for i := range ds {
		ds[i] = datagram(uint32(i), 20+(i*37)%1400, peer)
	}
	if n, err := from.WriteBatch(ds); n != count || err != nil {
		t.Fatalf("WriteBatch = %d, %v; want %d", n, err, count)
	}
	got := readAll(t, to, count, 5*time.Second)
	seen := make(map[uint32]bool)
	srcs := from.SrcPorts()
	for _, d := range got {
		if d.Peer.Addr() != from.local {
			t.Fatalf("Peer %v, want address %v", d.Peer, from.local)
		}
		for _, p := range split(d) {
			id := binary.BigEndian.Uint32(p)
			if !bytes.Equal(p, payload(id, 20+(int(id)*37)%1400)) {
				t.Fatalf("datagram %d: contents differ (%d bytes)", id, len(p))
			}
			if want := srcs[id%uint32(len(srcs))]; d.Peer.Port() != want {
				t.Fatalf("datagram %d from port %d, want %d", id, d.Peer.Port(), want)
			}
			seen[id] = true
		}
	}
	if len(seen) != count {
		t.Fatalf("%d distinct datagrams, want %d", len(seen), count)
	}
	if c := from.Counters(); c["tx_datagrams"] < count || c["tx_errors"] != 0 {
		t.Fatalf("sender counters %v", c)
	}
	if c := to.Counters(); c["rx_datagrams"] < count || c["rx_truncated"] != 0 {
		t.Fatalf("receiver counters %v", c)
	}
}

// TestGSOToPlainReceiver sends trains to a plain UDP socket, which must
// see them as separate datagrams of the right sizes, with GSO and with the
// software fallback.
func TestGSOToPlainReceiver(t *testing.T) {
	for _, gso := range []bool{true, false} {
		t.Run(fmt.Sprintf("gso=%v", gso), func(t *testing.T) {
			nsA, nsB := pair(t)
			a := openIn(t, nsA, addrA, Options{SrcPorts: 2, GSO: gso})
			if on, _ := a.Caps(); on != gso {
				if gso {
					t.Skip("the kernel refuses UDP_SEGMENT")
				}
				t.Fatal("GSO on without being asked for")
			}
			dst := netip.AddrPortFrom(addrB, 4789)
			c := listenIn(t, nsB, dst)

			// Trains: 10x1000+500; 100x1000 (cut at 64 segments); one
			// segment shorter than SegSize; a train of two equal halves.
			type train struct{ seg, n int }
			trains := []train{{1000, 10500}, {1000, 100000}, {1000, 700}, {1200, 2400}}
			ds := make([]Datagram, len(trains))
			var want [][]byte
			for i, tr := range trains {
				b := packet.NewBuffer(tr.n)
				data := make([]byte, tr.n)
				for j := range data {
					data[j] = byte(j/tr.seg + i*31 + j)
				}
				b.SetData(data)
				ds[i] = Datagram{Buf: b, Peer: dst, SegSize: tr.seg, Flow: 1}
				for len(data) > tr.seg {
					want = append(want, data[:tr.seg])
					data = data[tr.seg:]
				}
				want = append(want, data)
			}
			if n, err := a.WriteBatch(ds); n != len(ds) || err != nil {
				t.Fatalf("WriteBatch = %d, %v", n, err)
			}
			got, from := readPlain(t, c, len(want), 5*time.Second)
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("datagram %d: %d bytes, want %d (or contents differ)", i, len(got[i]), len(want[i]))
				}
				if from[i] != netip.AddrPortFrom(addrA, a.SrcPorts()[1]) {
					t.Fatalf("datagram %d from %v, want port %d", i, from[i], a.SrcPorts()[1])
				}
			}
			cs := a.Counters()
			t.Logf("%d datagrams; counters %v", len(want), cs)
			if cs["tx_datagrams"] != uint64(len(want)) {
				t.Fatalf("tx_datagrams %d, want %d", cs["tx_datagrams"], len(want))
			}
			// With GSO: 10500 bytes go as one train; 100000 as two, of 64
			// segments (MaxSegments) and 36; 700 as a plain datagram;
			// 2400 as one train.
			if wantTrains := map[bool]uint64{true: 4, false: 0}[gso]; cs["tx_gso_trains"] != wantTrains {
				t.Fatalf("tx_gso_trains %d, want %d", cs["tx_gso_trains"], wantTrains)
			}
		})
	}
}

// TestGRO sends a GSO train to an Underlay with GRO: where the kernel keeps
// the train whole up to the socket, it arrives as one Datagram with
// SegSize set; either way the contents are intact.
func TestGRO(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 1, GSO: true})
	b := openIn(t, nsB, addrB, Options{GRO: true})
	gso, _ := a.Caps()
	_, gro := b.Caps()
	t.Logf("sender GSO %v, receiver GRO %v", gso, gro)
	if !gro {
		t.Skip("the kernel refuses UDP_GRO")
	}
	const seg, n = 1200, 20*1200 + 300
	buf := packet.NewBuffer(n)
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i/seg + 3*i)
	}
	buf.SetData(data)
	dst := netip.AddrPortFrom(addrB, 0)
	if k, err := a.WriteBatch([]Datagram{{Buf: buf, Peer: dst, SegSize: seg}}); k != 1 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", k, err)
	}
	got := readAll(t, b, 21, 5*time.Second)
	var joined []byte
	trains := 0
	for _, d := range got {
		if d.SegSize > 0 {
			trains++
			if d.SegSize != seg {
				t.Fatalf("SegSize %d, want %d", d.SegSize, seg)
			}
		}
		for _, p := range split(d) {
			if len(p) > seg {
				t.Fatalf("segment of %d bytes", len(p))
			}
		}
		joined = append(joined, d.Buf.Data()...)
	}
	if !bytes.Equal(joined, data) {
		t.Fatalf("contents differ: %d bytes, want %d", len(joined), len(data))
	}
	t.Logf("%d datagrams read, %d GRO trains; counters %v", len(got), trains, b.Counters())
	if gso && trains == 0 {
		t.Log("the kernel cut the train before the socket: no GRO here")
	}
	if c := b.Counters(); c["rx_datagrams"] != 21 || c["rx_gro_trains"] != uint64(trains) {
		t.Fatalf("counters %v", c)
	}

	// Buffers too small for a train are refused up front.
	if _, err := b.ReadBatch(bufs(2, 2000)); !errors.Is(err, ErrBufferTooSmall) {
		t.Fatalf("ReadBatch with small buffers: %v, want ErrBufferTooSmall", err)
	}
}

// TestFlowSourcePort checks that one Flow keeps one source port, the one
// SrcPorts says, and that flows spread over all of them.
func TestFlowSourcePort(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 5})
	srcs := a.SrcPorts()
	if len(srcs) != 5 || len(slices.Compact(slices.Sorted(slices.Values(srcs)))) != 5 {
		t.Fatalf("SrcPorts %v: want 5 distinct ports", srcs)
	}
	dst := netip.AddrPortFrom(addrB, 4789)
	c := listenIn(t, nsB, dst)
	var ds []Datagram
	for round := range 3 {
		for f := range 40 {
			d := datagram(uint32(round*1000+f), 100, dst)
			d.Flow = uint32(f) * 2654435761 // spread-out hashes
			ds = append(ds, d)
		}
	}
	if n, err := a.WriteBatch(ds); n != len(ds) || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	got, from := readPlain(t, c, len(ds), 5*time.Second)
	port := make(map[uint32]uint16)
	used := make(map[uint16]bool)
	for i, p := range got {
		f := binary.BigEndian.Uint32(p) % 1000
		hash := f * 2654435761
		if want := srcs[hash%5]; from[i].Port() != want || from[i].Addr() != addrA {
			t.Fatalf("flow %d from %v, want port %d", f, from[i], want)
		}
		if old, ok := port[f]; ok && old != from[i].Port() {
			t.Fatalf("flow %d from ports %d and %d", f, old, from[i].Port())
		}
		port[f] = from[i].Port()
		used[from[i].Port()] = true
	}
	if len(used) != 5 {
		t.Fatalf("%d source ports used, want 5", len(used))
	}
}

// TestDF checks the outer DF bit on the wire and EMSGSIZE above the MTU.
func TestDF(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 2, GSO: true})
	for _, s := range a.tx {
		var v int
		var err error
		_ = s.rc.Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MTU_DISCOVER) })
		if err != nil || v != unix.IP_PMTUDISC_DO {
			t.Fatalf("IP_MTU_DISCOVER = %d, %v; want IP_PMTUDISC_DO", v, err)
		}
	}

	// A raw socket in the peer's namespace sees the IPv4 header.
	var raw int
	err := nsB.Do(func() (err error) {
		raw, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
		if err != nil {
			return err
		}
		tv := unix.Timeval{Sec: 3}
		return unix.SetsockoptTimeval(raw, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(raw)
	dst := netip.AddrPortFrom(addrB, 4789)
	if n, err := a.WriteBatch([]Datagram{datagram(7, 500, dst)}); n != 1 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	buf := make([]byte, 2048)
	for {
		n, _, err := unix.Recvfrom(raw, buf, 0)
		if err != nil {
			t.Fatalf("raw socket: %v", err)
		}
		ip := buf[:n]
		ihl := int(ip[0]&0xf) * 4
		if n < ihl+8 || netip.AddrFrom4([4]byte(ip[12:16])) != addrA || binary.BigEndian.Uint16(ip[ihl+2:]) != 4789 {
			continue
		}
		if flags := binary.BigEndian.Uint16(ip[6:8]); flags&0x4000 == 0 {
			t.Fatalf("outer DF not set: flags/fragment %#04x", flags)
		}
		break
	}

	// Above the veth's 1500-byte MTU: refused and counted, while the
	// datagrams around it go out.
	ds := []Datagram{
		datagram(1, 100, dst),
		datagram(2, 1500-28+1, dst),                                 // one byte too many
		{Buf: datagram(3, 3200, dst).Buf, Peer: dst, SegSize: 1600}, // segments too big
		datagram(4, 100, dst),
	}
	n, err := a.WriteBatch(ds)
	t.Logf("WriteBatch: %d, %v", n, err)
	if n != 2 || !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("WriteBatch = %d, %v; want 2, EMSGSIZE", n, err)
	}
	if c := a.Counters(); c["tx_errors"] != 2 || c["tx_errors_too_big"] != 2 {
		t.Fatalf("counters %v", c)
	}
}

// TestCloseUnblocksRead checks that Close wakes a blocked ReadBatch.
func TestCloseUnblocksRead(t *testing.T) {
	requireNS(t)
	ns, _ := pair(t)
	u := openIn(t, ns, addrA, Options{SrcPorts: 1})
	errc := make(chan error, 1)
	go func() {
		_, err := u.ReadBatch(bufs(4, 2048))
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, link.ErrClosed) {
			t.Fatalf("ReadBatch after Close: %v, want link.ErrClosed", err)
		}
		t.Logf("ReadBatch returned %v after Close", time.Since(start))
	case <-time.After(2 * time.Second):
		t.Fatal("ReadBatch still blocked 2s after Close")
	}
	if _, err := u.WriteBatch([]Datagram{datagram(1, 10, netip.AddrPortFrom(addrB, 0))}); !errors.Is(err, link.ErrClosed) {
		t.Fatalf("WriteBatch after Close: %v", err)
	}
	if err := u.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestTruncatedAndBadPeer checks a datagram larger than its buffer (no
// GRO) and a non-IPv4 peer.
func TestTruncatedAndBadPeer(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 1})
	b := openIn(t, nsB, addrB, Options{})
	dst := netip.AddrPortFrom(addrB, 0)
	ds := []Datagram{
		datagram(1, 1000, dst),
		{Buf: datagram(2, 10, dst).Buf, Peer: netip.MustParseAddrPort("[2001:db8::1]:4789")},
		datagram(3, 100, dst),
	}
	n, err := a.WriteBatch(ds)
	if n != 2 || !errors.Is(err, ErrBadPeer) {
		t.Fatalf("WriteBatch = %d, %v; want 2, ErrBadPeer", n, err)
	}
	rd := bufs(4, 500)
	timer := time.AfterFunc(5*time.Second, func() { b.Close() })
	defer timer.Stop()
	for b.Counters()["rx_datagrams"] == 0 {
		n, err = b.ReadBatch(rd)
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 || binary.BigEndian.Uint32(rd[0].Buf.Data()) != 3 || rd[0].Buf.Len() != 100 {
		t.Fatalf("read %d datagrams, the first of %d bytes", n, rd[0].Buf.Len())
	}
	if c := b.Counters(); c["rx_truncated"] != 1 {
		t.Fatalf("counters %v", c)
	}
}

// TestOpenErrors checks the arguments Open refuses.
func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		addr string
		opt  Options
	}{
		{"2001:db8::1", Options{}},
		{"127.0.0.1", Options{Port: 70000}},
		{"127.0.0.1", Options{SrcPorts: -1}},
	} {
		if u, err := Open(netip.MustParseAddr(tc.addr), tc.opt); err == nil {
			u.Close()
			t.Errorf("Open(%s, %+v) succeeded", tc.addr, tc.opt)
		}
	}
}

// TestGSOFallback turns checksum offload off on the sender's veth end, so
// that the kernel refuses GSO trains with EIO: WriteBatch must turn GSO
// off and cut the trains itself, losing nothing.
func TestGSOFallback(t *testing.T) {
	nsA, nsB, va, _ := pairDevs(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 1, GSO: true})
	if gso, _ := a.Caps(); !gso {
		t.Skip("the kernel refuses UDP_SEGMENT")
	}
	if err := nsA.Do(func() error { return setTxChecksum(va, false) }); err != nil {
		t.Skipf("cannot turn checksum offload off: %v", err)
	}
	dst := netip.AddrPortFrom(addrB, 4789)
	c := listenIn(t, nsB, dst)
	const seg, n = 1000, 5500
	data := payload(9, n)
	buf := packet.NewBuffer(n)
	buf.SetData(data)
	ds := []Datagram{{Buf: buf, Peer: dst, SegSize: seg}, datagram(10, 300, dst)}
	if k, err := a.WriteBatch(ds); k != 2 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", k, err)
	}
	got, _ := readPlain(t, c, 7, 5*time.Second)
	for i := range 6 {
		if want := data[i*seg : min(n, (i+1)*seg)]; !bytes.Equal(got[i], want) {
			t.Fatalf("segment %d: %d bytes, want %d (or contents differ)", i, len(got[i]), len(want))
		}
	}
	if len(got[6]) != 300 {
		t.Fatalf("last datagram: %d bytes, want 300", len(got[6]))
	}
	cs := a.Counters()
	if gso, _ := a.Caps(); gso && cs["tx_gso_off"] == 0 && cs["tx_gso_trains"] == 1 {
		// Newer kernels checksum the segments in software instead.
		t.Skip("the kernel took the train without checksum offload: the fallback is not exercised")
	}
	if gso, _ := a.Caps(); gso || cs["tx_gso_off"] != 1 || cs["tx_gso_trains"] != 0 || cs["tx_datagrams"] != 7 {
		t.Fatalf("GSO still %v; counters %v", gso, cs)
	}
}

// TestPartialSendsAndEIO replays what the kernel may do to a sendmmsg: send
// only some of the messages, refuse a GSO train with EIO (a device that
// cannot checksum it, on older kernels), or refuse a datagram; WriteBatch
// must resume, cut trains in software from then on, and skip the refused
// datagram only.
func TestPartialSendsAndEIO(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 1, GSO: true})
	if gso, _ := a.Caps(); !gso {
		t.Skip("the kernel refuses UDP_SEGMENT")
	}
	dst := netip.AddrPortFrom(addrB, 4789)
	c := listenIn(t, nsB, dst)

	calls, eio := 0, 0
	a.sendmmsg = func(fd uintptr, msgs []unix.Mmsghdr) (int, unix.Errno) {
		calls++
		msgs = msgs[:min(len(msgs), 3)] // at most 3 at a time
		for i := range msgs {
			var errno unix.Errno
			switch {
			case msgs[i].Hdr.Controllen > 0:
				errno = unix.EIO
			case msgs[i].Hdr.Iov.Len == 333:
				errno = unix.ENETUNREACH // refuse this one
			default:
				continue
			}
			if i > 0 {
				return sendmmsg(fd, msgs[:i]) // like the kernel: up to the failure
			}
			if errno == unix.EIO {
				eio++
			}
			return 0, errno
		}
		return sendmmsg(fd, msgs)
	}
	var ds []Datagram
	var want [][]byte
	for i := range 10 {
		d := datagram(uint32(i), 100+i, dst)
		ds = append(ds, d)
		want = append(want, d.Buf.Data())
		if i == 4 {
			ds = append(ds, datagram(99, 333, dst))
		}
	}
	train := payload(1000, 4500)
	tb := packet.NewBuffer(len(train))
	tb.SetData(train)
	ds = append(ds[:2], append([]Datagram{{Buf: tb, Peer: dst, SegSize: 1000}}, ds[2:]...)...)
	want = append(want[:2], append([][]byte{train[:1000], train[1000:2000], train[2000:3000], train[3000:4000], train[4000:]}, want[2:]...)...)

	n, err := a.WriteBatch(ds)
	if n != len(ds)-1 || !errors.Is(err, unix.ENETUNREACH) {
		t.Fatalf("WriteBatch = %d, %v; want %d, ENETUNREACH", n, err, len(ds)-1)
	}
	got, _ := readPlain(t, c, len(want), 5*time.Second)
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("datagram %d: %d bytes, want %d (or contents differ)", i, len(got[i]), len(want[i]))
		}
	}
	cs := a.Counters()
	t.Logf("%d calls, %d EIO; counters %v", calls, eio, cs)
	if gso, _ := a.Caps(); gso || eio != 1 || cs["tx_gso_off"] != 1 || cs["tx_datagrams"] != uint64(len(want)) ||
		cs["tx_errors"] != 1 || cs["tx_errors_too_big"] != 0 {
		t.Fatalf("GSO %v after EIO; counters %v", gso, cs)
	}
}

// TestConcurrentWrites writes from several goroutines at once.
func TestConcurrentWrites(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 3, GSO: true})
	b := openIn(t, nsB, addrB, Options{GRO: true, RecvBuffer: 8 << 20})
	const writers, each = 4, 200
	dst := netip.AddrPortFrom(addrB, 0)
	errc := make(chan error, writers)
	for g := range writers {
		go func() {
			for i := 0; i < each; i += 50 {
				ds := make([]Datagram, 50)
				for j := range ds {
					ds[j] = datagram(uint32(g*each+i+j), 64+j, dst)
				}
				if n, err := a.WriteBatch(ds); n != len(ds) || err != nil {
					errc <- fmt.Errorf("WriteBatch = %d, %v", n, err)
					return
				}
			}
			errc <- nil
		}()
	}
	for range writers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[uint32]bool)
	for _, d := range readAll(t, b, writers*each, 5*time.Second) {
		for _, p := range split(d) {
			seen[binary.BigEndian.Uint32(p)] = true
		}
	}
	if len(seen) != writers*each {
		t.Fatalf("%d distinct datagrams, want %d", len(seen), writers*each)
	}
}

// TestNoAllocs checks that a batch written and read allocates nothing.
func TestNoAllocs(t *testing.T) {
	nsA, nsB := pair(t)
	a := openIn(t, nsA, addrA, Options{SrcPorts: 4, GSO: true})
	b := openIn(t, nsB, addrB, Options{GRO: true, RecvBuffer: 8 << 20})
	dst := netip.AddrPortFrom(addrB, 0)
	ds := make([]Datagram, 16)
	for i := range ds {
		ds[i] = datagram(uint32(i), 100+i, dst)
	}
	ds[3].SegSize = 50 // a train
	rd := bufs(64, MaxTrain)
	allocs := testing.AllocsPerRun(50, func() {
		if n, err := a.WriteBatch(ds); n != len(ds) || err != nil {
			t.Fatalf("WriteBatch = %d, %v", n, err)
		}
		for got := 0; got < len(ds); {
			n, err := b.ReadBatch(rd)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per batch written and read", allocs)
	}
}
