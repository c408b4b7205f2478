package udp

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/link"
)

// reader is the state of ReadBatch, kept in the Underlay so that the
// callback given to the poller is built once and a read allocates nothing.
type reader struct {
	mu      sync.Mutex // one ReadBatch at a time
	fn      func(fd uintptr) bool
	ds      []Datagram
	n       int   // datagrams (or trains) read into ds[:n]
	wire    int   // datagrams on the wire they stand for
	trains  int   // of which GRO trains
	bytes   int   // payload bytes
	trunc   int   // datagrams dropped for a buffer too small
	err     error // recvmmsg failed
	pending error // an error met after datagrams were read, for the next call

	msgs  [maxBatch]unix.Mmsghdr
	iov   [maxBatch]unix.Iovec
	names [maxBatch]unix.RawSockaddrInet4
	ctrl  [maxBatch][ctrlWords]uint64
}

// ReadBatch blocks until the receiving socket has datagrams, then reads up
// to len(ds) of them without blocking again, and returns how many. Each
// ds[i].Buf is reset and gets the payload right after its headroom
// (Buf.Space, then Buf.SetLen); Peer is the sender, SegSize the GRO
// segment size (0 for a single datagram), Flow 0, Buf.Meta.Time the
// receive time.
//
// Every Buf must be non-nil; with GRO on (see Caps) every Buf must have
// Cap() >= MaxTrain, or ReadBatch returns ErrBufferTooSmall without
// reading. Without GRO a datagram larger than its buffer is dropped and
// counted in rx_truncated. To drop a datagram it has read, ReadBatch may
// swap entries of ds: the Bufs stay the caller's, in another order.
//
// It returns link.ErrClosed after Close. Calls are serialized.
func (u *Underlay) ReadBatch(ds []Datagram) (int, error) {
	r := &u.rd
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case u.closed.Load():
		return 0, link.ErrClosed
	case r.pending != nil:
		err := r.pending
		r.pending = nil
		return 0, err
	case len(ds) == 0:
		return 0, nil
	}
	for i := range ds {
		switch b := ds[i].Buf; {
		case b == nil:
			return 0, fmt.Errorf("udp: ReadBatch: datagram %d has no buffer", i)
		case u.gro && b.Cap() < MaxTrain:
			return 0, fmt.Errorf("%w: datagram %d has %d bytes, GRO needs %d", ErrBufferTooSmall, i, b.Cap(), MaxTrain)
		}
	}
	r.ds, r.n, r.wire, r.trains, r.bytes, r.trunc, r.err = ds, 0, 0, 0, 0, 0, nil
	var err error
	for r.n == 0 && r.err == nil && !u.closed.Load() {
		err = u.rx.rc.Read(r.fn)
		if err != nil {
			break
		}
	}
	n := r.n
	u.stats.received(r)
	r.ds = nil
	r.iov = [maxBatch]unix.Iovec{} // keep no pointer into the caller's buffers
	if n > 0 {
		now := time.Now().UnixNano()
		for i := range ds[:n] {
			ds[i].Buf.Meta.Time = now
		}
	}
	switch {
	case u.closed.Load():
		if n > 0 {
			return n, nil
		}
		return 0, link.ErrClosed
	case err != nil:
		err = fmt.Errorf("udp: read: %w", err)
	default:
		err = r.err
	}
	if err != nil {
		u.stats.rxErrors.Add(1)
		if n > 0 {
			r.pending, err = err, nil
		}
	}
	return n, err
}

// readMessages is the poller callback: it calls recvmmsg until EAGAIN or
// ds is full. It returns false to wait for the socket to become readable,
// which it does only while nothing was read.
func (u *Underlay) readMessages(fd uintptr) bool {
	r := &u.rd
	for r.n < len(r.ds) {
		k := min(len(r.ds)-r.n, maxBatch)
		for i := range k {
			r.prepare(i, &r.ds[r.n+i])
		}
		m, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.msgs[0])), uintptr(k), unix.MSG_DONTWAIT, 0, 0)
		switch errno {
		case 0:
		case unix.EAGAIN:
			return r.n > 0
		case unix.EINTR:
			continue
		default:
			r.err = fmt.Errorf("udp: recvmmsg: %w", errno)
			return true
		}
		base := r.n
		for i := range int(m) {
			r.receive(i, base)
		}
		if int(m) < k && r.n > 0 {
			return true // the queue is drained: don't ask again for EAGAIN
		}
	}
	return true
}

// prepare points message i at datagram d's buffer.
func (r *reader) prepare(i int, d *Datagram) {
	d.Buf.Reset()
	sp := d.Buf.Space()
	h := &r.msgs[i].Hdr
	r.iov[i].Base = unsafe.SliceData(sp)
	r.iov[i].SetLen(len(sp))
	h.Iov = &r.iov[i]
	h.SetIovlen(1)
	h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
	h.Namelen = unix.SizeofSockaddrInet4
	h.Control = (*byte)(unsafe.Pointer(&r.ctrl[i][0]))
	h.SetControllen(ctrlWords * 8)
	h.Flags = 0
}

// receive turns message i, read into r.ds[base+i], into the datagram
// r.ds[r.n], or drops it.
func (r *reader) receive(i, base int) {
	msg := &r.msgs[i]
	d := &r.ds[base+i]
	n := int(msg.Len)
	if msg.Hdr.Flags&unix.MSG_TRUNC != 0 || n > d.Buf.Cap() {
		r.trunc++
		return
	}
	d.Buf.SetLen(n)
	d.Peer = addrPort(&r.names[i])
	d.Flow = 0
	d.SegSize = 0
	if seg := groSize(&msg.Hdr, &r.ctrl[i]); seg > 0 && seg < n {
		d.SegSize = seg
		r.trains++
		r.wire += (n + seg - 1) / seg
	} else {
		r.wire++
	}
	r.bytes += n
	if base+i != r.n {
		r.ds[r.n], r.ds[base+i] = r.ds[base+i], r.ds[r.n]
	}
	r.n++
}

// groSize returns the segment size of a UDP_GRO control message, or 0.
func groSize(h *unix.Msghdr, ctrl *[ctrlWords]uint64) int {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&ctrl[0])), ctrlWords*8)
	if l := int(h.Controllen); l < len(b) {
		b = b[:l]
	}
	for len(b) >= unix.SizeofCmsghdr {
		c := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		l := int(c.Len)
		if l < unix.SizeofCmsghdr || l > len(b) {
			return 0
		}
		if c.Level == unix.IPPROTO_UDP && c.Type == unix.UDP_GRO && l >= unix.SizeofCmsghdr+4 {
			return int(*(*int32)(unsafe.Pointer(&b[unix.SizeofCmsghdr])))
		}
		next := cmsgAlign(l)
		if next >= len(b) {
			return 0
		}
		b = b[next:]
	}
	return 0
}

// cmsgAlign rounds n up to the alignment of control messages.
func cmsgAlign(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}
