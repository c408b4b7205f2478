package tap

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/link"
	"neutrino/packet"
)

// reader is the state of ReadBatch, kept in the Device so that the
// callback given to the poller is built once and a read allocates nothing.
type reader struct {
	mu      sync.Mutex // one ReadBatch at a time
	fn      func(fd uintptr) bool
	probe   func(fd uintptr) // readFrames outside the poller, see ReadBatch
	bufs    []*packet.Buffer
	n       int
	gso     int
	dropped int // frames cut short or refused by the kernel
	err     error
	pending error // an error met after frames were read, for the next call
	iov     [2]unix.Iovec
}

// ReadBatch blocks until the device has frames, then reads up to len(bufs)
// of them without blocking again. Each buffer is reset and gets the frame
// right after its headroom, its virtio-net header decoded into Meta.GSO
// (read into the last 10 bytes of the headroom, so nothing is copied) and
// Meta.Time. Buffers must hold the largest super-frame (packet.MaxFrame);
// a frame that does not fit (or fills a buffer exactly, which is how a cut
// frame looks) is dropped and counted in Stats().RxDropped.
//
// It returns link.ErrClosed after Close and link.ErrDeviceGone once the
// device was deleted. Calls are serialized.
func (d *Device) ReadBatch(bufs []*packet.Buffer) (int, error) {
	r := &d.rd
	r.mu.Lock()
	defer r.mu.Unlock()
	if d.closed.Load() {
		return 0, link.ErrClosed
	}
	if err := r.pending; err != nil {
		r.pending = nil
		return 0, err
	}
	if len(bufs) == 0 {
		return 0, nil
	}
	r.bufs, r.n, r.gso, r.dropped, r.err = bufs, 0, 0, 0, nil
	err := d.rc.Read(r.fn)
	if err != nil && !d.closed.Load() {
		// Once epoll reported EPOLLERR (which a deleted device raises),
		// the poller refuses to read ("not pollable") without asking the
		// descriptor; ask it directly, which gives EBADFD for a deleted
		// device, or frames if the error has passed.
		if d.rc.Control(r.probe) == nil && (r.n > 0 || r.err != nil) {
			err = nil
		}
	}
	n := r.n
	r.bufs = nil
	r.iov = [2]unix.Iovec{} // keep no pointer into the caller's buffers
	if r.dropped > 0 {
		d.stats.rxDropped.Add(uint64(r.dropped))
	}
	if n > 0 {
		d.stats.rxFrames.Add(uint64(n))
		d.stats.rxGSO.Add(uint64(r.gso))
		now := time.Now().UnixNano()
		for _, b := range bufs[:n] {
			b.Meta.Time = now
		}
	}
	switch {
	case err != nil && d.closed.Load():
		err = link.ErrClosed
	case err != nil:
		err = fmt.Errorf("tap %s: read: %w", d.name, err)
	default:
		err = r.err
	}
	if n > 0 && err != nil {
		r.pending, err = err, nil
	}
	return n, err
}

// readFrames is the poller callback: it reads frames until EAGAIN or the
// batch is full. It returns false to wait for the descriptor to become
// readable, which it does only when no frame was read yet.
func (d *Device) readFrames(fd uintptr) bool {
	r := &d.rd
	for r.n < len(r.bufs) {
		b := r.bufs[r.n]
		b.Reset()
		hdr := b.Push(vnetLen)
		sp := b.Space()
		r.iov[0].Base, r.iov[1].Base = &hdr[0], unsafe.SliceData(sp)
		r.iov[0].SetLen(len(hdr))
		r.iov[1].SetLen(len(sp))
		m, _, errno := unix.RawSyscall(unix.SYS_READV, fd, uintptr(unsafe.Pointer(&r.iov[0])), uintptr(len(r.iov)))
		switch errno {
		case 0:
		case unix.EAGAIN:
			b.Reset()
			return r.n > 0
		case unix.EINTR:
			continue
		case unix.EINVAL, unix.EFAULT:
			// The kernel could not describe the frame in a virtio-net
			// header (an offload it does not map), or copy it: the
			// frame is dropped, read the next.
			b.Reset()
			r.dropped++
			continue
		case unix.EBADFD:
			// The device was deleted: the descriptor stays open but is
			// no longer attached to anything.
			b.Reset()
			r.err = link.ErrDeviceGone
			return true
		default:
			b.Reset()
			r.err = fmt.Errorf("tap %s: read: %w", d.name, errno)
			return true
		}
		if int(m) < vnetLen || int(m)-vnetLen >= len(sp) {
			// Runt, or cut short: tun copies what fits and reports
			// that much, so a frame filling the buffer may have been
			// longer. (No TAP frame fills a packet.MaxFrame buffer: a
			// super-frame is at most 14+65535 bytes.)
			b.Reset()
			r.dropped++
			continue
		}
		b.Meta.GSO.DecodeVirtioNet(hdr)
		b.SetLen(int(m) - vnetLen)
		if b.Meta.GSO.IsGSO() {
			r.gso++
		}
		r.n++
	}
	return true
}
