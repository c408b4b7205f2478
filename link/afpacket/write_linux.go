package afpacket

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
	s    *Socket
	fn   func(fd uintptr) bool
	bufs []*packet.Buffer
	n    int
	gso  int
	err  error

	msgs [maxBatch]unix.Mmsghdr
	iov  [maxBatch][2]unix.Iovec
	hdrs [maxBatch][vnetLen]byte
}

// WriteBatch sends the frames with sendmmsg, up to 64 per call; with
// PACKET_VNET_HDR each goes with a virtio-net header built from its
// Meta.GSO (so super-frames and partial checksums go out as they are),
// from the writer's own memory: the buffers are not modified. It returns
// how many frames were sent; on error, bufs[n] is the frame that failed
// (e.g. EMSGSIZE for a frame over the MTU) and the later ones were not
// tried. It returns link.ErrClosed after Close and link.ErrDeviceGone once
// the interface was deleted. It is safe to call from several goroutines at
// once.
func (s *Socket) WriteBatch(bufs []*packet.Buffer) (int, error) {
	switch {
	case s.closed.Load():
		return 0, link.ErrClosed
	case s.gone.Load():
		return 0, link.ErrDeviceGone
	case len(bufs) == 0:
		return 0, nil
	}
	w := s.wpool.Get().(*writer)
	w.bufs, w.n, w.gso, w.err = bufs, 0, 0, nil
	err := s.rc.Write(w.fn)
	n, gso := w.n, w.gso
	if err == nil {
		err = w.err
	}
	w.bufs = nil
	w.iov = [maxBatch][2]unix.Iovec{}
	s.wpool.Put(w)

	s.stats.txFrames.Add(uint64(n))
	s.stats.txGSO.Add(uint64(gso))
	switch {
	case err == nil:
		return n, nil
	case s.closed.Load():
		return n, link.ErrClosed
	case err == link.ErrDeviceGone:
		s.gone.Store(true)
		return n, err
	}
	s.stats.txErrors.Add(1)
	return n, fmt.Errorf("afpacket %s: write: %w", s.name, err)
}

// writeFrames is the poller callback of WriteBatch. It returns false to
// wait until the socket is writable again.
func (w *writer) writeFrames(fd uintptr) bool {
	for w.n < len(w.bufs) {
		k := min(len(w.bufs)-w.n, maxBatch)
		for i := 0; i < k; i++ {
			w.prepare(i, w.bufs[w.n+i])
		}
		m, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.msgs[0])), uintptr(k), unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
		case unix.EAGAIN:
			return false
		case unix.EINTR:
			continue
		case unix.ENXIO, unix.ENODEV:
			// The interface is gone: the socket lost its device.
			w.err = link.ErrDeviceGone
			return true
		default:
			w.err = errno
			return true
		}
		for _, b := range w.bufs[w.n : w.n+int(m)] {
			if b.Meta.GSO.IsGSO() {
				w.gso++
			}
		}
		w.n += int(m)
	}
	return true
}

// prepare points message i at frame b, after a virtio-net header with
// PACKET_VNET_HDR.
func (w *writer) prepare(i int, b *packet.Buffer) {
	h := &w.msgs[i].Hdr
	d := b.Data()
	iov := &w.iov[i]
	if w.s.vnet {
		b.Meta.GSO.EncodeVirtioNet(w.hdrs[i][:])
		iov[0].Base, iov[1].Base = &w.hdrs[i][0], unsafe.SliceData(d)
		iov[0].SetLen(vnetLen)
		iov[1].SetLen(len(d))
		h.SetIovlen(2)
	} else {
		iov[0].Base = unsafe.SliceData(d)
		iov[0].SetLen(len(d))
		h.SetIovlen(1)
	}
	h.Iov = &iov[0]
}
