package tap

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"neutrino/link"
)

// Config says which TAP device to open and how to set it up.
type Config struct {
	// Name is the device name (at most 15 bytes). Empty lets the kernel
	// choose (tap0, tap1, ...).
	Name string
	// MAC, when set, becomes the device's address, so that a namespace or
	// VM using the device directly has the port's address.
	MAC net.HardwareAddr
	// MTU, when positive, is set on the device; otherwise the device's
	// MTU is kept.
	MTU int
	// GSOMaxSegs, when positive, is set as the device's gso_max_segs: the
	// most segments of a TCP super-frame the kernel sends through it (see
	// vxlan.TrainSegments). Where the kernel refuses it, it is logged and
	// left.
	GSOMaxSegs int
	// Logger receives open and close events; nil discards them.
	Logger *slog.Logger
}

// Device is an open TAP device. It implements link.Endpoint.
type Device struct {
	name    string
	ifindex int
	mtu     int
	created bool // Open created the device: Close must see it gone
	log     *slog.Logger

	f      *os.File
	rc     syscall.RawConn
	closed atomic.Bool

	rd    reader
	wpool sync.Pool // *writer

	stats counters
}

var _ link.Endpoint = (*Device)(nil)

// Errors of Open.
var (
	// ErrBusy: the device exists and another process holds it open.
	ErrBusy = errors.New("tap: device busy")
	// ErrNotTAP: a device of that name exists and is not a TAP device.
	ErrNotTAP = errors.New("tap: device exists and is not a TAP device")
)

// Open opens the TAP device cfg.Name, creating it if it does not exist,
// with IFF_NO_PI, IFF_VNET_HDR and the CSUM, TSO4 and TSO6 offloads; sets
// its MAC address and MTU when given; and brings it up.
func Open(cfg Config) (*Device, error) {
	if len(cfg.Name) > unix.IFNAMSIZ-1 {
		return nil, fmt.Errorf("tap: name %q longer than %d bytes", cfg.Name, unix.IFNAMSIZ-1)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("tap: opening /dev/net/tun: %w", err)
	}
	name, created, err := attach(fd, cfg.Name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	d := &Device{name: name, created: created, log: log}
	if err := d.setup(fd, cfg); err != nil {
		unix.Close(fd) // removes the device if we created it
		if created {
			d.waitGone()
		}
		return nil, err
	}
	// A non-blocking descriptor is registered with the Go poller.
	d.f = os.NewFile(uintptr(fd), "/dev/net/tun:"+name)
	if d.rc, err = d.f.SyscallConn(); err != nil {
		d.f.Close()
		if created {
			d.waitGone()
		}
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	d.rd.fn = d.readFrames
	d.rd.probe = func(fd uintptr) { d.readFrames(fd) }
	d.wpool.New = func() any {
		w := &writer{d: d}
		w.fn = w.writeFrames
		return w
	}
	log.Info("tap opened", "name", name, "created", created, "mtu", d.mtu, "ifindex", d.ifindex)
	return d, nil
}

// attach binds fd to the TAP device name. It first asks for a new device
// (IFF_TUN_EXCL); if one of that name exists it attaches to it instead.
func attach(fd int, name string) (string, bool, error) {
	const flags = unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return "", false, fmt.Errorf("tap: %q: %w", name, err)
	}
	ifr.SetUint16(flags | unix.IFF_TUN_EXCL)
	err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	if err == nil {
		// Make sure the device does not outlive the descriptor (the
		// default for a device created by TUNSETIFF).
		if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 0); err != nil {
			return "", false, fmt.Errorf("tap %s: TUNSETPERSIST: %w", ifr.Name(), err)
		}
		return ifr.Name(), true, nil
	}
	if err != unix.EBUSY || name == "" {
		return "", false, fmt.Errorf("tap %s: TUNSETIFF: %w", name, err)
	}
	// The device exists (persistent, ip tuntap add): attach to it.
	ifr, _ = unix.NewIfreq(name)
	ifr.SetUint16(flags)
	switch err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err {
	case nil:
		return ifr.Name(), false, nil
	case unix.EBUSY:
		return "", false, fmt.Errorf("tap %s: %w (held open by another process)", name, ErrBusy)
	case unix.EINVAL:
		return "", false, fmt.Errorf("tap %s: %w", name, ErrNotTAP)
	default:
		return "", false, fmt.Errorf("tap %s: TUNSETIFF: %w", name, err)
	}
}

// setup sets the virtio-net header size and the offloads on fd, then the
// address, MTU and state of the device.
func (d *Device) setup(fd int, cfg Config) error {
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, vnetLen); err != nil {
		return fmt.Errorf("tap %s: TUNSETVNETHDRSZ: %w", d.name, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, unix.TUN_F_CSUM|unix.TUN_F_TSO4|unix.TUN_F_TSO6); err != nil {
		return fmt.Errorf("tap %s: TUNSETOFFLOAD: %w", d.name, err)
	}
	l, err := netlink.LinkByName(d.name)
	if err != nil {
		return fmt.Errorf("tap %s: %w", d.name, err)
	}
	if len(cfg.MAC) > 0 {
		if err := netlink.LinkSetHardwareAddr(l, cfg.MAC); err != nil {
			return fmt.Errorf("tap %s: setting MAC %v: %w", d.name, cfg.MAC, err)
		}
	}
	if cfg.MTU > 0 {
		if err := netlink.LinkSetMTU(l, cfg.MTU); err != nil {
			return fmt.Errorf("tap %s: setting MTU %d: %w", d.name, cfg.MTU, err)
		}
	}
	if cfg.GSOMaxSegs > 0 {
		if err := netlink.LinkSetGSOMaxSegs(l, cfg.GSOMaxSegs); err != nil {
			d.log.Warn("tap: gso_max_segs not set", "name", d.name, "segments", cfg.GSOMaxSegs, "err", err)
		}
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("tap %s: setting up: %w", d.name, err)
	}
	if l, err = netlink.LinkByName(d.name); err != nil {
		return fmt.Errorf("tap %s: %w", d.name, err)
	}
	d.ifindex, d.mtu = l.Attrs().Index, l.Attrs().MTU
	return nil
}

// Name returns the device name given at Open (the device keeps it when
// moved to another namespace).
func (d *Device) Name() string { return d.name }

// MTU returns the device's MTU as of Open.
func (d *Device) MTU() int { return d.mtu }

// Caps returns CapCsumPartial|CapGSO: the kernel takes partial checksums
// and TCP super-frames.
func (d *Device) Caps() link.Caps { return link.CapCsumPartial | link.CapGSO }

// Close closes the device. A ReadBatch blocked on it returns
// link.ErrClosed. A device Open created is gone when Close returns (unless
// it was moved to another namespace, where it disappears as well but
// cannot be watched); a persistent one is left.
func (d *Device) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := d.f.Close()
	if d.created {
		d.waitGone()
	}
	d.log.Info("tap closed", "name", d.name, "created", d.created)
	if err != nil {
		return fmt.Errorf("tap %s: close: %w", d.name, err)
	}
	return nil
}

// waitGone waits for the kernel to remove the device Open created once its
// last descriptor is closed (a read in flight holds the descriptor until
// it returns), and deletes it if it somehow stays.
func (d *Device) waitGone() {
	deadline := time.Now().Add(2 * time.Second)
	for {
		l, err := netlink.LinkByName(d.name)
		if err != nil || (d.ifindex != 0 && l.Attrs().Index != d.ifindex) {
			return
		}
		if time.Now().After(deadline) {
			if err := netlink.LinkDel(l); err != nil {
				d.log.Warn("tap device still there after close", "name", d.name, "err", err)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
