package afpacket

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"neutrino/link"
)

// Config says which interface to open and how.
type Config struct {
	// Interface is the name of an existing interface in the namespace of
	// the calling thread.
	Interface string
	// NoOffload reads and writes bare frames, without PACKET_VNET_HDR:
	// Caps is then 0 and the datapath must segment super-frames and
	// complete checksums before writing (see the package comment).
	NoOffload bool
	// Logger receives open and close events; nil discards them.
	Logger *slog.Logger
}

// rcvBuf is the receive buffer asked for: a few hundred full frames or
// dozens of super-frames absorb a scheduling hiccup.
const rcvBuf = 4 << 20

// Socket is an AF_PACKET socket on an existing interface. It implements
// link.Endpoint.
type Socket struct {
	name    string
	ifindex int
	mtu     int
	vnet    bool // PACKET_VNET_HDR: frames carry a virtio-net header
	skipOut bool // no PACKET_IGNORE_OUTGOING: skip PACKET_OUTGOING frames
	log     *slog.Logger

	conn   *packet.Conn
	rc     syscall.RawConn
	closed atomic.Bool
	gone   atomic.Bool // the interface was deleted

	rd    reader
	wpool sync.Pool // *writer

	stats counters
}

var _ link.Endpoint = (*Socket)(nil)

// ErrNoInterface is returned by Open for an interface that does not exist.
var ErrNoInterface = errors.New("no such interface")

// Open binds an AF_PACKET raw socket for every protocol (ETH_P_ALL) to the
// existing interface cfg.Interface, puts the interface in promiscuous mode
// for as long as the socket is open, and asks for PACKET_IGNORE_OUTGOING,
// PACKET_AUXDATA and, unless cfg.NoOffload, PACKET_VNET_HDR. The socket
// and the interface lookup use the calling thread's network namespace.
func Open(cfg Config) (*Socket, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		if strings.Contains(err.Error(), "no such network interface") {
			err = fmt.Errorf("%w (attach: existing ports and interface: uplinks need an interface that exists in the node's network namespace)", ErrNoInterface)
		}
		return nil, fmt.Errorf("afpacket: interface %q: %w", cfg.Interface, err)
	}
	conn, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
	if err != nil {
		return nil, fmt.Errorf("afpacket %s: %w", ifi.Name, err)
	}
	s := &Socket{name: ifi.Name, ifindex: ifi.Index, mtu: ifi.MTU, vnet: !cfg.NoOffload, log: log, conn: conn}
	if err := s.setup(); err != nil {
		conn.Close()
		return nil, err
	}
	s.rd.fn = s.readFrames
	s.rd.polling = true
	s.rd.direct = s.readDirect
	s.wpool.New = func() any {
		w := &writer{s: s}
		w.fn = w.writeFrames
		return w
	}
	log.Info("afpacket opened", "interface", s.name, "mtu", s.mtu, "vnet_hdr", s.vnet, "ignore_outgoing", !s.skipOut)
	return s, nil
}

// setup sets the socket options.
func (s *Socket) setup() error {
	if err := s.conn.SetPromiscuous(true); err != nil {
		return fmt.Errorf("afpacket %s: promiscuous: %w", s.name, err)
	}
	var err error
	if s.rc, err = s.conn.SyscallConn(); err != nil {
		return fmt.Errorf("afpacket %s: %w", s.name, err)
	}
	var serr error
	cerr := s.rc.Control(func(fd uintptr) {
		f := int(fd)
		if err := unix.SetsockoptInt(f, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
			serr = fmt.Errorf("PACKET_AUXDATA: %w", err)
			return
		}
		if s.vnet {
			if err := unix.SetsockoptInt(f, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
				serr = fmt.Errorf("PACKET_VNET_HDR: %w", err)
				return
			}
		}
		// Kernels before 4.20 lack it: then skip PACKET_OUTGOING frames.
		if unix.SetsockoptInt(f, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1) != nil {
			s.skipOut = true
		}
		if unix.SetsockoptInt(f, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf) != nil {
			_ = unix.SetsockoptInt(f, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf)
		}
	})
	if err := errors.Join(cerr, serr); err != nil {
		return fmt.Errorf("afpacket %s: %w", s.name, err)
	}
	return nil
}

// Name returns the interface name.
func (s *Socket) Name() string { return s.name }

// MTU returns the interface's MTU as of Open.
func (s *Socket) MTU() int { return s.mtu }

// Caps returns CapCsumPartial|CapGSO with PACKET_VNET_HDR, else 0.
func (s *Socket) Caps() link.Caps {
	if s.vnet {
		return link.CapCsumPartial | link.CapGSO
	}
	return 0
}

// Close closes the socket (the interface leaves promiscuous mode unless
// another socket holds it there). A ReadBatch blocked on it returns
// link.ErrClosed.
func (s *Socket) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := s.conn.Close()
	s.log.Info("afpacket closed", "interface", s.name)
	if err != nil {
		return fmt.Errorf("afpacket %s: close: %w", s.name, err)
	}
	return nil
}
