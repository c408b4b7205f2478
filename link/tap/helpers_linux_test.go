package tap

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/vishvananda/netlink"

	"neutrino/internal/netnstest"
	"neutrino/link"
	"neutrino/packet"
)

// openTAP opens a TAP device with a unique name, closed when the test ends.
func openTAP(t *testing.T, cfg Config) *Device {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = netnstest.IfName("nttap")
	}
	d, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// moveTo moves the device into ns and gives it addr (CIDR) there.
func moveTo(t *testing.T, d *Device, ns *netnstest.NS, addr string) {
	t.Helper()
	netnstest.Exec(t, "ip", "link", "set", d.Name(), "netns", ns.Name)
	ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	ns.Exec("ip", "addr", "add", addr, "dev", d.Name())
	ns.Exec("ip", "link", "set", d.Name(), "up")
}

func newBuffers(n int) []*packet.Buffer {
	bufs := make([]*packet.Buffer, n)
	for i := range bufs {
		bufs[i] = packet.NewBuffer(packet.MaxFrame)
	}
	return bufs
}

// loopStats counts what a copy loop moved.
type loopStats struct {
	frames, gso, maxLen atomic.Int64
}

// copyLoop moves frames from src to dst until src is closed, in batches,
// as the datapath would with nothing in between.
func copyLoop(t *testing.T, src, dst *Device, st *loopStats, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		bufs := newBuffers(64)
		for {
			n, err := src.ReadBatch(bufs)
			if err != nil {
				if !errors.Is(err, link.ErrClosed) {
					t.Errorf("%s: ReadBatch: %v", src.Name(), err)
				}
				return
			}
			var gso int64
			for _, b := range bufs[:n] {
				if b.Meta.GSO.IsGSO() {
					gso++
				}
				if l := int64(b.Len()); l > st.maxLen.Load() {
					st.maxLen.Store(l)
				}
			}
			st.frames.Add(int64(n))
			st.gso.Add(gso)
			for done := 0; done < n; {
				w, err := dst.WriteBatch(bufs[done:n])
				done += w
				if err != nil {
					if errors.Is(err, link.ErrClosed) || errors.Is(err, link.ErrDeviceGone) {
						return
					}
					t.Errorf("%s: WriteBatch: %v", dst.Name(), err)
					done++ // skip the frame the kernel refused
				}
			}
		}
	}()
}

// echoRequest builds an ICMP echo request frame from (srcMAC, srcIP) to
// (dstMAC, dstIP).
func echoRequest(t testing.TB, srcMAC, dstMAC net.HardwareAddr, srcIP, dstIP net.IP, seq uint16) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: srcIP, DstIP: dstIP},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 7, Seq: seq},
		gopacket.Payload(make([]byte, 56)))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readUntil reads from d until want frames matched keep or the timeout
// passes; a goroutine blocked in ReadBatch is left to the device's Close.
func readUntil(t *testing.T, d *Device, want int, timeout time.Duration, keep func([]byte) bool) int {
	t.Helper()
	got := make(chan int, 1)
	go func() {
		bufs := newBuffers(16)
		n := 0
		for n < want {
			k, err := d.ReadBatch(bufs)
			if err != nil {
				break
			}
			for _, b := range bufs[:k] {
				if keep(b.Data()) {
					n++
				}
			}
		}
		got <- n
	}()
	select {
	case n := <-got:
		return n
	case <-time.After(timeout):
		return -1
	}
}

// linkGone reports whether no link of that name is in the host namespace.
func linkGone(name string) bool {
	_, err := netlink.LinkByName(name)
	return err != nil
}
