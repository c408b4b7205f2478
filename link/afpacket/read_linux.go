package afpacket

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/link"
	"neutrino/packet"
)

// maxBatch is how many frames one recvmmsg or sendmmsg call moves at most.
const maxBatch = 64

// ctrlWords is the size of a control buffer in 8-byte words: room for the
// tpacket_auxdata message (CMSG_SPACE(20) = 40 bytes) and then some. Words
// keep the buffer aligned for the cmsghdr.
const ctrlWords = 8

// reader is the state of ReadBatch, kept in the Socket so that the
// callbacks given to the poller are built once and a read allocates
// nothing.
type reader struct {
	mu      sync.Mutex // one ReadBatch at a time
	fn      func(fd uintptr) bool
	direct  func(fd uintptr)
	bufs    []*packet.Buffer
	n       int
	err     error
	pending error // an error met after frames were read, for the next call
	dropped int   // truncated frames
	polling bool  // wait on the Go poller; false after ENETDOWN or EPOLLERR
	vlan    int   // tags put back
	down    int   // ENETDOWN seen (the interface went down)

	msgs  [maxBatch]unix.Mmsghdr
	iov   [maxBatch][2]unix.Iovec
	names [maxBatch]unix.RawSockaddrLinklayer
	ctrl  [maxBatch][ctrlWords]uint64
}

// ReadBatch blocks until the interface has frames, then reads up to
// len(bufs) of them without blocking again. Each buffer is reset and gets
// the frame right after its headroom, with an 802.1Q tag the kernel had
// taken out put back in place, Meta.GSO (from the virtio-net header, or
// from the auxdata status with NoOffload) and Meta.Time. Buffers must hold
// the largest super-frame (packet.MaxFrame); a frame that does not fit is
// dropped and counted in Stats().RxTruncated. To drop a frame it has read
// (truncated, or our own with NoOffload on old kernels) it may reorder the
// pointers in bufs.
//
// It returns link.ErrClosed after Close and link.ErrDeviceGone once the
// interface was deleted. Calls are serialized.
func (s *Socket) ReadBatch(bufs []*packet.Buffer) (int, error) {
	r := &s.rd
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case s.closed.Load():
		return 0, link.ErrClosed
	case s.gone.Load():
		return 0, link.ErrDeviceGone
	case r.pending != nil:
		err := r.pending
		r.pending = nil
		return 0, err
	case len(bufs) == 0:
		return 0, nil
	}
	r.bufs, r.n, r.err, r.dropped, r.down, r.vlan = bufs, 0, nil, 0, 0, 0
	var err error
	for r.n == 0 && r.err == nil && !s.closed.Load() {
		if !r.polling {
			// Read directly, waiting with poll(2) in short slices so
			// that Close and the deletion of the interface are noticed.
			if err = s.rc.Control(r.direct); err != nil {
				break
			}
			if r.n > 0 {
				r.polling = true
			}
			continue
		}
		if err = s.rc.Read(r.fn); err != nil {
			if s.closed.Load() {
				break
			}
			// The poller refuses to wait once epoll reported EPOLLERR
			// alone (the socket error ENETDOWN, when the interface goes
			// down or away) until another event comes for the socket.
			err = nil
			r.polling = false
		}
	}
	n := r.n
	s.stats.account(r)
	r.bufs = nil
	r.iov = [maxBatch][2]unix.Iovec{} // keep no pointer into the caller's buffers
	if n > 0 {
		now := time.Now().UnixNano()
		for _, b := range bufs[:n] {
			b.Meta.Time = now
		}
	}
	switch {
	case s.closed.Load():
		if n > 0 {
			return n, nil
		}
		return 0, link.ErrClosed
	case err != nil:
		err = fmt.Errorf("afpacket %s: read: %w", s.name, err)
	default:
		err = r.err
	}
	if n > 0 && err != nil {
		r.pending, err = err, nil
	}
	return n, err
}

// readDirect reads without the poller's help: after ENETDOWN (the
// interface is down, or being deleted: the socket is unbound a moment
// later) or when the poller refuses to wait. It waits at most 100 ms for
// the socket to become readable.
func (s *Socket) readDirect(fd uintptr) {
	r := &s.rd
	if s.readFrames(fd) && (r.n > 0 || r.err != nil) {
		return
	}
	if s.unbound(fd) {
		s.gone.Store(true)
		r.err = link.ErrDeviceGone
		return
	}
	pfd := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	_, _ = unix.Poll(pfd[:], 100)
}

// readFrames is the poller callback: it calls recvmmsg until EAGAIN or the
// batch is full. It returns false to wait for the socket to become
// readable, which it does only when no frame was read yet.
func (s *Socket) readFrames(fd uintptr) bool {
	r := &s.rd
	for r.n < len(r.bufs) {
		k := min(len(r.bufs)-r.n, maxBatch)
		for i := 0; i < k; i++ {
			s.prepare(i, r.bufs[r.n+i])
		}
		m, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])), uintptr(k), unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
		case unix.EAGAIN:
			return r.n > 0
		case unix.EINTR:
			continue
		case unix.ENETDOWN:
			// sk_err, set once when the interface goes down, deleted or
			// not; the deletion unbinds the socket (ifindex -1) just
			// after. Leave the poller, which would not wake up for that.
			r.down++
			r.polling = false
			return true
		default:
			r.err = fmt.Errorf("afpacket %s: recvmmsg: %w", s.name, errno)
			return true
		}
		base := r.n
		for i := 0; i < int(m); i++ {
			s.receive(i, base)
		}
		if int(m) < k && r.n > 0 {
			return true // the queue is drained: don't ask again for EAGAIN
		}
	}
	return true
}

// prepare points message i at buffer b: the virtio-net header (with
// PACKET_VNET_HDR) into the last bytes of the headroom, the frame right
// after the headroom.
func (s *Socket) prepare(i int, b *packet.Buffer) {
	r := &s.rd
	b.Reset()
	h := &r.msgs[i].Hdr
	sp := b.Space()
	iov := &r.iov[i]
	if s.vnet {
		hdr := b.Push(vnetLen)
		iov[0].Base, iov[1].Base = &hdr[0], unsafe.SliceData(sp)
		iov[0].SetLen(vnetLen)
		iov[1].SetLen(len(sp))
		h.Iov = &iov[0]
		h.SetIovlen(2)
	} else {
		iov[0].Base = unsafe.SliceData(sp)
		iov[0].SetLen(len(sp))
		h.Iov = &iov[0]
		h.SetIovlen(1)
	}
	h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
	h.Namelen = unix.SizeofSockaddrLinklayer
	h.Control = (*byte)(unsafe.Pointer(&r.ctrl[i][0]))
	h.SetControllen(ctrlWords * 8)
	h.Flags = 0
}

// receive turns message i, read into r.bufs[base+i], into a frame at
// r.bufs[r.n], or drops it.
func (s *Socket) receive(i, base int) {
	r := &s.rd
	b := r.bufs[base+i]
	msg := &r.msgs[i]
	n := int(msg.Len)
	if s.vnet {
		n -= vnetLen
	}
	if msg.Hdr.Flags&unix.MSG_TRUNC != 0 || n < 0 || n > b.Cap() {
		b.Reset()
		r.dropped++
		return
	}
	if s.skipOut && r.names[i].Pkttype == unix.PACKET_OUTGOING {
		b.Reset()
		return
	}
	if s.vnet {
		b.Meta.GSO.DecodeVirtioNet(b.Data()) // the header pushed by prepare
	}
	b.SetLen(n)
	aux, ok := auxdata(msg, &r.ctrl[i])
	if !s.vnet && ok {
		describePlain(b, aux.Status, s.mtu)
	}
	if ok && aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
		tpid := uint16(0x8100)
		if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
			tpid = aux.Vlan_tpid
		}
		if b.PushVLAN(tpid, aux.Vlan_tci) {
			r.vlan++
		}
	}
	// Keep the frames together at the front of the batch.
	if base+i != r.n {
		r.bufs[r.n], r.bufs[base+i] = r.bufs[base+i], r.bufs[r.n]
	}
	r.n++
}

// auxdata finds the tpacket_auxdata control message of msg.
func auxdata(msg *unix.Mmsghdr, ctrl *[ctrlWords]uint64) (unix.TpacketAuxdata, bool) {
	if msg.Hdr.Flags&unix.MSG_CTRUNC != 0 {
		return unix.TpacketAuxdata{}, false
	}
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&ctrl[0])), ctrlWords*8)
	buf = buf[:min(int(msg.Hdr.Controllen), len(buf))]
	for len(buf) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&buf[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(buf) {
			break
		}
		if h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && l >= unix.CmsgLen(int(unsafe.Sizeof(unix.TpacketAuxdata{}))) {
			return *(*unix.TpacketAuxdata)(unsafe.Pointer(&buf[unix.CmsgLen(0)])), true
		}
		next := unix.CmsgSpace(l - unix.CmsgLen(0))
		if next > len(buf) {
			break
		}
		buf = buf[next:]
	}
	return unix.TpacketAuxdata{}, false
}

// unbound reports whether the socket lost its interface (deleted): the
// kernel then reports ifindex -1 for it.
func (s *Socket) unbound(fd uintptr) bool {
	sa, err := unix.Getsockname(int(fd))
	if err != nil {
		return false
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	return ok && ll.Ifindex != s.ifindex
}
