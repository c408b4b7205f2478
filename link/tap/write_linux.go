package tap

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/link"
	"neutrino/packet"
)

// writer is the state of one WriteBatch; writers are pooled so that
// several goroutines can write at once and none allocates.
type writer struct {
	d    *Device
	fn   func(fd uintptr) bool
	bufs []*packet.Buffer
	n    int
	gso  int
	err  error
	hdr  [vnetLen]byte // for a frame without headroom for the header
	iov  [2]unix.Iovec
	buf  []byte // a coalesced UDP super-frame, see uso_linux.go
	uso  int    // datagrams written coalesced
}

// WriteBatch writes each frame with a virtio-net header built from its
// Meta.GSO (written into the headroom in front of the frame and removed
// again, so the buffer is left as it was given), one write per frame (but
// for runs of small UDP datagrams, see uso_linux.go); a super-frame goes
// out whole. It returns how many frames were written; on
// error, bufs[n] is the frame that failed (the kernel refused it, e.g. an
// inconsistent GSO header) and the later ones were not tried. It returns
// link.ErrClosed after Close and link.ErrDeviceGone once the device was
// deleted. It is safe to call from several goroutines at once, but the
// same buffer must not be written concurrently.
func (d *Device) WriteBatch(bufs []*packet.Buffer) (int, error) {
	if d.closed.Load() {
		return 0, link.ErrClosed
	}
	if len(bufs) == 0 {
		return 0, nil
	}
	w := d.wpool.Get().(*writer)
	w.bufs, w.n, w.gso, w.uso, w.err = bufs, 0, 0, 0, nil
	err := d.rc.Write(w.fn)
	n, gso, uso := w.n, w.gso, w.uso
	if err == nil {
		err = w.err
	}
	w.bufs = nil
	w.iov = [2]unix.Iovec{}
	d.wpool.Put(w)

	d.stats.txFrames.Add(uint64(n))
	d.stats.txGSO.Add(uint64(gso))
	d.stats.txUSO.Add(uint64(uso))
	switch {
	case err == nil:
		return n, nil
	case d.closed.Load():
		return n, link.ErrClosed
	case err == link.ErrDeviceGone:
		return n, err
	}
	d.stats.txErrors.Add(1)
	return n, fmt.Errorf("tap %s: write: %w", d.name, err)
}

// writeFrames is the poller callback of WriteBatch. It returns false to
// wait until the descriptor is writable again.
func (w *writer) writeFrames(fd uintptr) bool {
	for w.n < len(w.bufs) {
		if k, size := usoRun(w.bufs[w.n:]); k > 1 {
			if w.buf == nil {
				w.buf = make([]byte, vnetLen+usoHdr+usoMaxLen)
			}
			m := buildUSO(w.buf, w.bufs[w.n:w.n+k], size)
			_, _, errno := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&w.buf[0])), uintptr(m))
			switch errno {
			case 0:
				w.n += k
				w.uso += k
				continue
			case unix.EAGAIN:
				return false
			case unix.EINTR:
				continue
			case unix.EBADFD:
				w.err = link.ErrDeviceGone
				return true
			}
			// Refused: never coalesce again, write them one by one.
			usoOff.Store(true)
		}
		b := w.bufs[w.n]
		var errno unix.Errno
		if b.Headroom() >= vnetLen {
			b.Meta.GSO.EncodeVirtioNet(b.Push(vnetLen))
			d := b.Data()
			_, _, errno = unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&d[0])), uintptr(len(d)))
			b.Pull(vnetLen)
		} else {
			b.Meta.GSO.EncodeVirtioNet(w.hdr[:])
			d := b.Data()
			w.iov[0].Base = &w.hdr[0]
			w.iov[0].SetLen(vnetLen)
			w.iov[1].Base = unsafe.SliceData(d)
			w.iov[1].SetLen(len(d))
			_, _, errno = unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&w.iov[0])), uintptr(len(w.iov)))
		}
		switch errno {
		case 0:
		case unix.EAGAIN:
			return false
		case unix.EINTR:
			continue
		case unix.EBADFD:
			w.err = link.ErrDeviceGone
			return true
		default:
			w.err = errno
			return true
		}
		if b.Meta.GSO.IsGSO() {
			w.gso++
		}
		w.n++
	}
	return true
}
