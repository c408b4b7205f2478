package udp

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/link"
	"neutrino/packet"
)

// Defaults and limits.
const (
	// DefaultPort is the IANA VXLAN port, used when Options.Port is 0.
	DefaultPort = 4789
	// DefaultSrcPorts is how many sending sockets Open makes when
	// Options.SrcPorts is 0.
	DefaultSrcPorts = 16
	// MaxTrain is the smallest buffer capacity ReadBatch takes with GRO
	// on: a GRO train is at most 64 KB.
	MaxTrain = 65535
	// MaxPayload is the largest UDP payload over IPv4 (65535 bytes less
	// the 20-byte IPv4 and 8-byte UDP headers), for one datagram and for
	// one GSO train handed to the kernel. WriteBatch cuts longer trains.
	MaxPayload = 65535 - 20 - 8
	// MaxSegments is the most datagrams WriteBatch puts in one GSO send;
	// longer trains are cut (older kernels take no more than 64).
	MaxSegments = 64
)

// maxBatch is how many messages one recvmmsg or sendmmsg call moves at most.
const maxBatch = 64

// ctrlWords is the size of a control buffer in 8-byte words: room for one
// UDP_GRO or UDP_SEGMENT message (CMSG_SPACE(4) = 24 bytes on 64-bit, 16
// on 32-bit) and then some. Words keep the buffer aligned for cmsghdr.
const ctrlWords = 4

// Options configure an Underlay. The zero value is usable: port 4789, 16
// sending sockets, no offloads, the system's socket buffer sizes.
type Options struct {
	// Port is the local UDP port datagrams are received on, and the
	// destination port of datagrams whose Peer has port 0; 0 means
	// DefaultPort.
	Port int
	// SrcPorts is how many sending sockets to open, each bound to its own
	// source port chosen by the kernel; 0 means DefaultSrcPorts.
	SrcPorts int
	// GSO asks for UDP segmentation offload on send (UDP_SEGMENT). Where
	// the kernel refuses it, it is silently off (Caps says) and WriteBatch
	// cuts trains itself.
	GSO bool
	// GRO asks for UDP receive offload (UDP_GRO). Where the kernel refuses
	// it, it is silently off (Caps says). With GRO on, ReadBatch needs
	// buffers of at least MaxTrain bytes.
	GRO bool
	// RecvBuffer is the receiving socket's buffer size in bytes
	// (SO_RCVBUFFORCE, which ignores net.core.rmem_max and needs
	// CAP_NET_ADMIN, or else SO_RCVBUF); 0 leaves the system default.
	RecvBuffer int
	// SendBuffer is each sending socket's buffer size in bytes
	// (SO_SNDBUFFORCE, or else SO_SNDBUF); 0 leaves the system default.
	SendBuffer int
	// IgnorePMTU sets DF with IP_PMTUDISC_PROBE instead of IP_PMTUDISC_DO:
	// datagrams are checked against the device MTU only, not against a
	// path MTU learnt from ICMP "fragmentation needed" messages.
	IgnorePMTU bool
}

// Datagram is one UDP datagram, or, with SegSize > 0, a train of
// equal-sized datagrams sent or received as one.
type Datagram struct {
	// Buf holds the UDP payload, Buf.Data(): for VXLAN, the 8-byte VXLAN
	// header and the inner Ethernet frame.
	Buf *packet.Buffer
	// Peer is the remote VTEP: the destination on send (a port of 0
	// means the Underlay's port), the source on receive. IPv4 only
	// (IPv4-mapped IPv6 addresses are taken as IPv4).
	Peer netip.AddrPort
	// SegSize, on send: 0 sends Buf as one datagram; > 0 means Buf holds
	// several payloads of SegSize bytes each (the last may be shorter),
	// each to go out as its own datagram. On receive: 0 is one datagram;
	// > 0 means GRO coalesced several datagrams of SegSize bytes (the last
	// may be shorter) into Buf.
	SegSize int
	// Flow, on send, is a hash of the inner flow: it picks the sending
	// socket (Flow % number of sending sockets), so that one flow keeps
	// one source port. Receive sets it to 0.
	Flow uint32
}

// Errors of this package.
var (
	// ErrBufferTooSmall is returned by ReadBatch, with GRO on, for a
	// buffer whose Cap() is below MaxTrain.
	ErrBufferTooSmall = errors.New("udp: buffer too small for a GRO train")
	// ErrBadPeer is the error of a datagram whose Peer is not an IPv4
	// address and port.
	ErrBadPeer = errors.New("udp: peer is not an IPv4 address")
)

// Underlay is the set of UDP sockets of a node's VXLAN underlay: one
// receiving socket on local:Port and several sending sockets. Its methods
// are safe for concurrent use; ReadBatch calls are serialized.
type Underlay struct {
	local netip.Addr
	port  uint16
	rx    *sock
	tx    []*sock
	src   []uint16
	gso   atomic.Bool // may be turned off after Open, see WriteBatch
	gro   bool

	// sendmmsg is the system call WriteBatch makes; tests replace it to
	// play partial sends and refusals.
	sendmmsg func(fd uintptr, msgs []unix.Mmsghdr) (int, unix.Errno)

	closed atomic.Bool
	rd     reader
	wpool  sync.Pool // *writer

	stats counters
}

var _ link.Counter = (*Underlay)(nil)

// sock is one UDP socket: the receiving one non-blocking on the runtime
// poller, a sending one off it (see openSocket).
type sock struct {
	f    *os.File
	rc   syscall.RawConn
	port uint16
}

// Open opens the underlay of the node at local, an IPv4 address of the
// node: a receiving socket bound to local:Port and SrcPorts sending
// sockets bound to local and ports the kernel picks (SrcPorts returns
// them). The sending sockets set DF on every datagram (IP_PMTUDISC_DO, or
// IP_PMTUDISC_PROBE with IgnorePMTU) and carry a socket filter that drops
// whatever is sent to them. GSO and GRO are turned on where asked for and
// taken by the kernel. Sockets are opened in the calling thread's network
// namespace.
func Open(local netip.Addr, opt Options) (*Underlay, error) {
	local = local.Unmap()
	if !local.Is4() {
		return nil, fmt.Errorf("udp: local address %v is not IPv4", local)
	}
	port := opt.Port
	if port == 0 {
		port = DefaultPort
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("udp: port %d out of range", opt.Port)
	}
	n := opt.SrcPorts
	if n == 0 {
		n = DefaultSrcPorts
	}
	if n < 0 || n > 4096 {
		return nil, fmt.Errorf("udp: %d sending sockets: want 1 to 4096", opt.SrcPorts)
	}
	u := &Underlay{local: local, port: uint16(port), sendmmsg: sendmmsg}
	var err error
	u.rx, err = openSocket(local, u.port, true, func(fd int) error {
		if opt.RecvBuffer > 0 {
			setBuffer(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, opt.RecvBuffer)
		}
		if opt.GRO {
			u.gro = unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pmtu := unix.IP_PMTUDISC_DO
	if opt.IgnorePMTU {
		pmtu = unix.IP_PMTUDISC_PROBE
	}
	for range n {
		s, err := openSocket(local, 0, false, func(fd int) error {
			// The filter goes on before bind, so nothing is ever queued.
			if err := dropAll(fd); err != nil {
				return fmt.Errorf("socket filter: %w", err)
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, pmtu); err != nil {
				return fmt.Errorf("IP_MTU_DISCOVER: %w", err)
			}
			if opt.SendBuffer > 0 {
				setBuffer(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, opt.SendBuffer)
			}
			return nil
		})
		if err != nil {
			u.closeSockets()
			return nil, err
		}
		u.tx = append(u.tx, s)
		u.src = append(u.src, s.port)
	}
	if opt.GSO {
		var ok bool
		_ = u.tx[0].rc.Control(func(fd uintptr) {
			_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
			ok = err == nil
		})
		u.gso.Store(ok)
	}
	u.rd.fn = u.readMessages
	u.wpool.New = func() any {
		w := &writer{u: u, count: make([]int32, len(u.tx)+1)}
		w.fn = w.sendAll
		return w
	}
	return u, nil
}

// openSocket opens a UDP socket, calls setup on it and binds it to
// addr:port (port 0: the kernel picks one). A polled socket is
// non-blocking and on the runtime poller; the others are blocking and
// off it (sends use MSG_DONTWAIT and poll(2), see writer.sendAll).
func openSocket(addr netip.Addr, port uint16, polled bool, setup func(fd int) error) (*sock, error) {
	flags := unix.SOCK_DGRAM | unix.SOCK_CLOEXEC
	if polled {
		flags |= unix.SOCK_NONBLOCK
	}
	fd, err := unix.Socket(unix.AF_INET, flags, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("udp: socket: %w", err)
	}
	if err := setup(fd); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("udp: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(port), Addr: addr.As4()}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("udp: bind %v: %w", netip.AddrPortFrom(addr, port), err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("udp: getsockname: %w", err)
	}
	if sin, ok := sa.(*unix.SockaddrInet4); ok {
		port = uint16(sin.Port)
	}
	// A non-blocking descriptor becomes a pollable file, a blocking one
	// stays off the poller.
	f := os.NewFile(uintptr(fd), "udp:"+netip.AddrPortFrom(addr, port).String())
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("udp: %w", err)
	}
	return &sock{f: f, rc: rc, port: port}, nil
}

// setBuffer sets a socket buffer size, beyond the system maximum where
// allowed.
func setBuffer(fd, force, plain, n int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, n) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, n)
	}
}

// dropAll attaches a classic BPF program that accepts nothing: the kernel
// then discards every datagram sent to the socket before queueing it.
func dropAll(fd int) error {
	prog := [1]unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}
	fp := unix.SockFprog{Len: 1, Filter: &prog[0]}
	_, _, errno := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		uintptr(unsafe.Pointer(&fp)), unsafe.Sizeof(fp), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// Local returns the address and port datagrams are received on.
func (u *Underlay) Local() netip.AddrPort { return netip.AddrPortFrom(u.local, u.port) }

// SrcPorts returns the sending sockets' source ports: a datagram with Flow
// f leaves from SrcPorts()[f % len(SrcPorts())]. The slice is a copy.
func (u *Underlay) SrcPorts() []uint16 { return append([]uint16(nil), u.src...) }

// Caps reports whether UDP GSO (on send) and GRO (on receive) are on: asked
// for in Options and taken by the kernel. GSO goes off for good if the
// kernel later refuses a train with EIO (a device without checksum
// offload on the route).
func (u *Underlay) Caps() (gso, gro bool) { return u.gso.Load(), u.gro }

// Close closes the sockets. A ReadBatch or WriteBatch blocked on them
// returns link.ErrClosed, as do later calls. Close is idempotent.
func (u *Underlay) Close() error {
	if !u.closed.CompareAndSwap(false, true) {
		return nil
	}
	return u.closeSockets()
}

func (u *Underlay) closeSockets() error {
	var errs []error
	if u.rx != nil {
		errs = append(errs, u.rx.f.Close())
	}
	for _, s := range u.tx {
		errs = append(errs, s.f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("udp: close: %w", err)
	}
	return nil
}

// sockaddr fills sa with ap's IPv4 address and port (def when ap's port
// is 0); it reports false when ap is not IPv4.
func sockaddr(sa *unix.RawSockaddrInet4, ap netip.AddrPort, def uint16) bool {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return false
	}
	port := ap.Port()
	if port == 0 {
		port = def
	}
	sa.Family = unix.AF_INET
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	sa.Addr = a.As4()
	return true
}

// addrPort reads an IPv4 socket address.
func addrPort(sa *unix.RawSockaddrInet4) netip.AddrPort {
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(p[0])<<8|uint16(p[1]))
}
