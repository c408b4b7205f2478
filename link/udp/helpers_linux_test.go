package udp

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/internal/netnstest"
	"neutrino/packet"
)

var (
	nsOnce sync.Once
	nsErr  error
)

// requireNS skips the test unless it runs as root and network namespaces
// can be created here.
func requireNS(t testing.TB) {
	t.Helper()
	netnstest.RequireRoot(t)
	nsOnce.Do(func() {
		name := netnstest.IfName("udpprobe")
		if _, nsErr = netnstest.Run(context.Background(), "ip", "netns", "add", name); nsErr == nil {
			_, _ = netnstest.Run(context.Background(), "ip", "netns", "del", name)
		}
	})
	if nsErr != nil {
		t.Skipf("integration: cannot create network namespaces: %v", nsErr)
	}
}

// Addresses of the two ends of the veth pair.
var (
	addrA = netip.MustParseAddr("10.99.41.1")
	addrB = netip.MustParseAddr("10.99.41.2")
)

// pair creates two namespaces joined by a veth pair, with addrA in the
// first and addrB in the second.
func pair(t testing.TB) (a, b *netnstest.NS) {
	t.Helper()
	a, b, _, _ = pairDevs(t)
	return a, b
}

// pairDevs is pair that also returns the names of the veth ends.
func pairDevs(t testing.TB) (a, b *netnstest.NS, va, vb string) {
	t.Helper()
	requireNS(t)
	a, b = netnstest.New(t, "udp"), netnstest.New(t, "udp")
	va, vb = netnstest.Veth(t, a, b)
	a.Exec("ip", "addr", "add", addrA.String()+"/24", "dev", va)
	b.Exec("ip", "addr", "add", addrB.String()+"/24", "dev", vb)
	return a, b, va, vb
}

// setTxChecksum turns checksum offload on the interface name on or off,
// with the legacy ETHTOOL_STXCSUM command.
func setTxChecksum(name string, on bool) error {
	const ethtoolSTXCSUM = 0x17
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	val := struct{ cmd, data uint32 }{cmd: ethtoolSTXCSUM}
	if on {
		val.data = 1
	}
	var ifr struct {
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [16]byte
	}
	copy(ifr.name[:], name)
	ifr.data = unsafe.Pointer(&val)
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	if errno != 0 {
		return errno
	}
	return nil
}

// openIn opens an Underlay in ns, closed when the test ends.
func openIn(t testing.TB, ns *netnstest.NS, local netip.Addr, opt Options) *Underlay {
	t.Helper()
	var u *Underlay
	err := ns.Do(func() (err error) {
		u, err = Open(local, opt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	return u
}

// listenIn opens a plain UDP socket in ns, with a large receive buffer.
func listenIn(t testing.TB, ns *netnstest.NS, ap netip.AddrPort) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := ns.Do(func() (err error) {
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(ap))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Control(func(fd uintptr) { setBuffer(int(fd), unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, 8<<20) })
	return c
}

// payload returns n bytes that start with id and go on with a pattern
// derived from it.
func payload(id uint32, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(int(id)*7 + i)
	}
	if n >= 4 {
		binary.BigEndian.PutUint32(b, id)
	}
	return b
}

// datagram returns a Datagram to peer whose payload is payload(id, n).
func datagram(id uint32, n int, peer netip.AddrPort) Datagram {
	b := packet.NewBuffer(n)
	b.SetData(payload(id, n))
	return Datagram{Buf: b, Peer: peer, Flow: id}
}

// bufs returns n datagrams with empty buffers of size bytes.
func bufs(n, size int) []Datagram {
	ds := make([]Datagram, n)
	for i := range ds {
		ds[i].Buf = packet.NewBuffer(size)
	}
	return ds
}

// readAll reads from u until want datagrams (counting GRO trains by their
// segments) arrived, and returns copies of them; it fails the test after
// timeout, closing u.
func readAll(t testing.TB, u *Underlay, want int, timeout time.Duration) []Datagram {
	t.Helper()
	timer := time.AfterFunc(timeout, func() { u.Close() })
	defer timer.Stop()
	ds := bufs(64, MaxTrain)
	var got []Datagram
	segs := 0
	for segs < want {
		n, err := u.ReadBatch(ds)
		if err != nil {
			t.Fatalf("ReadBatch after %d of %d datagrams: %v", segs, want, err)
		}
		for _, d := range ds[:n] {
			c := d
			c.Buf = packet.NewBuffer(d.Buf.Len())
			c.Buf.SetData(d.Buf.Data())
			got = append(got, c)
			if d.SegSize > 0 {
				segs += (d.Buf.Len() + d.SegSize - 1) / d.SegSize
			} else {
				segs++
			}
		}
	}
	return got
}

// split cuts a received datagram into the datagrams it stands for.
func split(d Datagram) [][]byte {
	data := d.Buf.Data()
	if d.SegSize == 0 {
		return [][]byte{data}
	}
	var out [][]byte
	for len(data) > d.SegSize {
		out = append(out, data[:d.SegSize])
		data = data[d.SegSize:]
	}
	return append(out, data)
}

// readPlain reads n datagrams from c, with their source addresses.
func readPlain(t testing.TB, c *net.UDPConn, n int, timeout time.Duration) ([][]byte, []netip.AddrPort) {
	t.Helper()
	var data [][]byte
	var from []netip.AddrPort
	buf := make([]byte, 65536)
	c.SetReadDeadline(time.Now().Add(timeout))
	for len(data) < n {
		k, ap, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("plain receiver after %d of %d datagrams: %v", len(data), n, err)
		}
		data = append(data, append([]byte(nil), buf[:k]...))
		from = append(from, ap)
	}
	return data, from
}
