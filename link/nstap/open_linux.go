package nstap

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"neutrino/link"
	"neutrino/link/tap"
)

// nsDir is where named namespaces live, as for `ip netns`.
const nsDir = "/run/netns"

// ErrExists is returned for a namespace that exists when the plan does not
// allow reusing it.
var ErrExists = errors.New("network namespace exists")

// Device is a TAP device inside a namespace of its own. It is a
// link.Endpoint: the node reads and writes it like any TAP device.
type Device struct {
	*tap.Device
	plan    Plan
	created bool // Open created the namespace: Close deletes it
	log     *slog.Logger
}

var _ link.Endpoint = (*Device)(nil)

// Name returns the device's name inside the namespace.
func (d *Device) Name() string { return d.plan.IfName }

// Namespace returns the namespace's name.
func (d *Device) Namespace() string { return d.plan.Namespace }

// Open carries out the plan (see the package comment). log may be nil.
func Open(p Plan, log *slog.Logger) (*Device, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ns, created, err := namespace(p.Namespace, p.Reuse)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	d := &Device{plan: p, created: created, log: log}
	fail := func(err error) (*Device, error) {
		if d.Device != nil {
			d.Device.Close()
		}
		if created {
			netns.DeleteNamed(p.Namespace)
		}
		return nil, fmt.Errorf("netns %s: %w", p.Namespace, err)
	}
	tmp, err := tempName()
	if err != nil {
		return fail(err)
	}
	if d.Device, err = tap.Open(tap.Config{Name: tmp, GSOMaxSegs: p.GSOMaxSegs, Logger: log}); err != nil {
		return fail(err)
	}
	if err := configure(ns, tmp, &p); err != nil {
		return fail(err)
	}
	log.Info("namespace ready", "netns", p.Namespace, "created", created, "ifname", p.IfName,
		"mac", p.MAC.String(), "mtu", p.MTU, "addresses", p.Addrs, "routes", len(p.Routes))
	for _, n := range p.Notes {
		log.Info("namespace "+p.Namespace+": "+n, "netns", p.Namespace)
	}
	return d, nil
}

// Close closes the device and deletes the namespace if Open created it.
// Processes still running in it keep it alive until they end.
func (d *Device) Close() error {
	err := d.Device.Close()
	if d.created {
		if derr := netns.DeleteNamed(d.plan.Namespace); derr != nil && !errors.Is(derr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("netns %s: delete: %w", d.plan.Namespace, derr))
		} else {
			d.log.Info("namespace deleted", "netns", d.plan.Namespace)
		}
	}
	return err
}

// namespace returns a handle of the named namespace, creating it unless it
// exists (an error unless reuse).
func namespace(name string, reuse bool) (ns netns.NsHandle, created bool, err error) {
	if _, err := os.Stat(filepath.Join(nsDir, name)); err == nil {
		if !reuse {
			return ns, false, fmt.Errorf("netns %s: %w (remove it with `ip netns del %s`, or set netns_reuse: true to use it)", name, ErrExists, name)
		}
		ns, err = netns.GetFromName(name)
		if err != nil {
			return ns, false, fmt.Errorf("netns %s: %w", name, err)
		}
		return ns, false, nil
	}
	// NewNamed moves the calling thread into the new namespace: keep the
	// goroutine on its thread and move the thread back.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return ns, false, fmt.Errorf("netns: the node's own namespace: %w", err)
	}
	defer orig.Close()
	ns, err = netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		// The thread is stuck in another namespace: it must not run
		// anything else. Keep it locked so the runtime retires it.
		runtime.LockOSThread()
		err = errors.Join(err, fmt.Errorf("netns: returning to the node's namespace: %w", serr))
	}
	if err != nil {
		if ns.IsOpen() {
			ns.Close()
			netns.DeleteNamed(name)
		}
		return netns.None(), false, fmt.Errorf("netns %s: create: %w", name, err)
	}
	return ns, true, nil
}

// configure moves the device tmp into ns and sets it up there as p says.
func configure(ns netns.NsHandle, tmp string, p *Plan) error {
	l, err := netlink.LinkByName(tmp)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetNsFd(l, int(ns)); err != nil {
		return fmt.Errorf("moving %s into the namespace: %w", tmp, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	if l, err = h.LinkByName(tmp); err != nil {
		return err
	}
	if _, err := h.LinkByName(p.IfName); err == nil {
		return fmt.Errorf("device %s exists in the namespace already", p.IfName)
	}
	if err := h.LinkSetDown(l); err != nil {
		return err
	}
	if err := h.LinkSetName(l, p.IfName); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, p.IfName, err)
	}
	if len(p.MAC) > 0 {
		if err := h.LinkSetHardwareAddr(l, p.MAC); err != nil {
			return fmt.Errorf("%s: MAC %s: %w", p.IfName, p.MAC, err)
		}
	}
	if p.MTU > 0 {
		if err := h.LinkSetMTU(l, p.MTU); err != nil {
			return fmt.Errorf("%s: MTU %d: %w", p.IfName, p.MTU, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return err
	}
	if lo, err := h.LinkByName("lo"); err == nil {
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("lo up: %w", err)
		}
	}
	for _, a := range p.Addrs {
		addr := &netlink.Addr{IPNet: prefixNet(a)}
		if err := h.AddrAdd(l, addr); err != nil {
			return fmt.Errorf("%s: address %s: %w", p.IfName, a, err)
		}
	}
	for _, r := range p.Routes {
		rt := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: prefixNet(r.Dst), Gw: r.Via.AsSlice()}
		if err := h.RouteAdd(rt); err != nil {
			return fmt.Errorf("route %s via %s: %w", routeDst(r.Dst), r.Via, err)
		}
	}
	return nil
}

// tempName is a device name that no one else uses, for the moment between
// creating the TAP device and moving it.
func tempName() (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "nstap" + hex.EncodeToString(b[:]), nil
}
