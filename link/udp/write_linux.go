package udp

import (
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"neutrino/link"
)

// writer is the state of one WriteBatch; writers are pooled so that
// several goroutines can write at once and none allocates.
type writer struct {
	u     *Underlay
	fn    func(fd uintptr) // sendAll, built once
	ds    []Datagram
	count []int32 // per sending socket: where its group ends in order
	order []int32 // indices of ds, grouped by sending socket

	// The group of the socket being written, and how far it is staged.
	group []int32
	gi    int // next entry of group to stage
	boff  int // bytes of group[gi] staged already

	// Staged messages: msgs[off:k] are still to send.
	off, k int
	ent    [maxBatch]int32 // index in ds of message i
	pos    [maxBatch]int32 // index in group of message i
	start  [maxBatch]int32 // where message i starts in its datagram's payload
	segs   [maxBatch]int32 // datagrams on the wire message i stands for
	last   [maxBatch]bool  // message i ends its datagram
	gsoMsg [maxBatch]bool  // message i carries UDP_SEGMENT
	msgs   [maxBatch]unix.Mmsghdr
	iov    [maxBatch]unix.Iovec
	names  [maxBatch]unix.RawSockaddrInet4
	ctrl   [maxBatch][ctrlWords]uint64

	// Results.
	sent, wire, trains, bytes int
	failed, tooBig, blocked   int
	gsoOff                    int
	first                     error
	firstPeer                 netip.AddrPort
}

// WriteBatch sends the datagrams and returns how many entries of ds were
// sent whole. Each goes from the sending socket ds[i].Flow % len(SrcPorts())
// to ds[i].Peer; those of one socket are sent together with sendmmsg, up
// to 64 messages per call, in their order in ds (datagrams of different
// sockets may leave in another order). An entry with SegSize > 0 is a
// train: one UDP_SEGMENT send with GSO (cut into several when longer than
// MaxSegments datagrams or MaxPayload bytes), or one datagram per segment
// without. A partial send is resumed; when a socket's buffer is full,
// WriteBatch waits for room.
//
// A datagram the kernel refuses (EMSGSIZE above the path MTU, counted in
// tx_errors_too_big, as is EINVAL for a train whose segments are too big;
// ENETUNREACH without a route; ...) or whose Peer is not IPv4 is skipped,
// counted in tx_errors, and WriteBatch goes on with the next; it then
// returns an error that wraps the first refusal, with a count below
// len(ds). Some segments of a refused train may have been sent. If the
// kernel refuses a GSO train with EIO (a device that cannot checksum
// it), GSO is turned off for good and trains are cut in software from
// then on.
//
// It returns link.ErrClosed after Close. The buffers are not modified and
// no reference to them is kept. It is safe for concurrent use.
func (u *Underlay) WriteBatch(ds []Datagram) (int, error) {
	switch {
	case u.closed.Load():
		return 0, link.ErrClosed
	case len(ds) == 0:
		return 0, nil
	}
	w := u.wpool.Get().(*writer)
	w.ds = ds
	w.sent, w.wire, w.trains, w.bytes = 0, 0, 0, 0
	w.failed, w.tooBig, w.blocked, w.gsoOff = 0, 0, 0, 0
	w.first = nil
	w.sort()
	var err error
	from := int32(0)
	for s, sk := range u.tx {
		to := w.count[s]
		if from == to {
			continue
		}
		w.group, w.gi, w.boff, w.off, w.k = w.order[from:to], 0, 0, 0, 0
		from = to
		if err = sk.rc.Control(w.fn); err != nil {
			break
		}
	}
	sent, failed, first, peer := w.sent, w.failed, w.first, w.firstPeer
	u.stats.sent(w)
	w.ds, w.group, w.first = nil, nil, nil
	w.iov = [maxBatch]unix.Iovec{} // keep no pointer into the caller's buffers
	u.wpool.Put(w)
	switch {
	case u.closed.Load():
		return sent, link.ErrClosed
	case err != nil:
		return sent, fmt.Errorf("udp: write: %w", err)
	case failed > 0:
		return sent, fmt.Errorf("udp: %d of %d datagrams not sent, the first to %v: %w", failed, len(ds), peer, first)
	}
	return sent, nil
}

// sort groups the indices of w.ds by sending socket, keeping their order
// within a group: a counting sort into w.order.
func (w *writer) sort() {
	n := uint32(len(w.count) - 1)
	if cap(w.order) < len(w.ds) {
		w.order = make([]int32, len(w.ds))
	}
	w.order = w.order[:len(w.ds)]
	clear(w.count)
	for i := range w.ds {
		w.count[w.ds[i].Flow%n+1]++
	}
	for s := 1; s < len(w.count); s++ {
		w.count[s] += w.count[s-1]
	}
	// count[s] is now where group s starts; filling it moves it to where
	// group s ends.
	for i := range w.ds {
		s := w.ds[i].Flow % n
		w.order[w.count[s]] = int32(i)
		w.count[s]++
	}
}

// sendAll sends the group on socket fd, waiting with poll(2) whenever its
// buffer is full: sending sockets are kept off the runtime poller, so that
// the kernel's write-space wake-ups, one per datagram freed, find no one
// to wake.
func (w *writer) sendAll(fd uintptr) {
	for !w.sendMessages(fd) {
		if w.u.closed.Load() {
			return
		}
		pfd := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		_, _ = unix.Poll(pfd[:], 100)
	}
}

// sendMessages sends what is left of one socket's group without
// blocking. It returns false when the socket's buffer is full.
func (w *writer) sendMessages(fd uintptr) bool {
	for {
		if w.off == w.k {
			w.stage()
			if w.k == 0 {
				return true
			}
		}
		m, errno := w.u.sendmmsg(fd, w.msgs[w.off:w.k])
		switch {
		case errno == 0 && m > 0:
			w.done(w.off, w.off+m)
			w.off += m
		case errno == 0, errno == unix.EAGAIN:
			w.blocked++
			return false
		case errno == unix.EINTR:
		case errno == unix.EIO && w.gsoMsg[w.off]:
			// The device cannot take the train: cut trains in software
			// from now on, starting again with this message.
			if w.u.gso.CompareAndSwap(true, false) {
				w.gsoOff++
			}
			w.gi, w.boff = int(w.pos[w.off]), int(w.start[w.off])
			w.off, w.k = 0, 0
		default:
			w.refuse(errno)
		}
	}
}

// done accounts for the messages w.msgs[from:to], sent.
func (w *writer) done(from, to int) {
	for i := from; i < to; i++ {
		w.wire += int(w.segs[i])
		w.bytes += int(w.msgs[i].Len)
		if w.gsoMsg[i] {
			w.trains++
		}
		if w.last[i] {
			w.sent++
		}
	}
}

// refuse drops the datagram of message w.off, which the kernel refused,
// with its other staged and unstaged messages.
func (w *writer) refuse(errno unix.Errno) {
	e := w.ent[w.off]
	gso := w.gsoMsg[w.off]
	w.fail(e, errno, errno == unix.EMSGSIZE || (errno == unix.EINVAL && gso))
	for w.off < w.k && w.ent[w.off] == e {
		w.off++
	}
	if w.boff > 0 && w.gi < len(w.group) && w.group[w.gi] == e {
		w.gi, w.boff = w.gi+1, 0
	}
}

// fail records that datagram e was not sent.
func (w *writer) fail(e int32, err error, tooBig bool) {
	w.failed++
	if tooBig {
		w.tooBig++
	}
	if w.first == nil {
		w.first, w.firstPeer = err, w.ds[e].Peer
	}
}

// stage fills w.msgs with the next messages of the group, up to maxBatch.
func (w *writer) stage() {
	w.off, w.k = 0, 0
	gso := w.u.gso.Load()
	for w.k < maxBatch && w.gi < len(w.group) {
		e := w.group[w.gi]
		d := &w.ds[e]
		k := w.k
		if !sockaddr(&w.names[k], d.Peer, w.u.port) {
			w.fail(e, ErrBadPeer, false)
			w.gi, w.boff = w.gi+1, 0
			continue
		}
		data, seg := d.Buf.Data(), d.SegSize
		rest := len(data) - w.boff
		l, gsoSeg, segs := rest, 0, 1
		switch {
		case seg <= 0 || seg >= len(data):
		case gso && seg <= MaxPayload:
			l = min(min(MaxSegments, MaxPayload/seg)*seg, rest)
			if l > seg {
				gsoSeg, segs = seg, (l+seg-1)/seg
			}
		default:
			l = min(seg, rest)
		}
		h := &w.msgs[k].Hdr
		if l > 0 {
			w.iov[k].Base = &data[w.boff]
		} else {
			w.iov[k].Base = nil
		}
		w.iov[k].SetLen(l)
		h.Iov = &w.iov[k]
		h.SetIovlen(1)
		h.Name = (*byte)(unsafe.Pointer(&w.names[k]))
		h.Namelen = unix.SizeofSockaddrInet4
		if gsoSeg > 0 {
			c := (*unix.Cmsghdr)(unsafe.Pointer(&w.ctrl[k][0]))
			c.Level, c.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
			c.SetLen(unix.CmsgLen(2))
			*(*uint16)(unsafe.Pointer(uintptr(unsafe.Pointer(c)) + unix.SizeofCmsghdr)) = uint16(gsoSeg)
			h.Control = (*byte)(unsafe.Pointer(c))
			h.SetControllen(unix.CmsgSpace(2))
		} else {
			h.Control = nil
			h.SetControllen(0)
		}
		h.Flags = 0
		w.ent[k], w.pos[k], w.start[k], w.segs[k] = e, int32(w.gi), int32(w.boff), int32(segs)
		w.gsoMsg[k] = gsoSeg > 0
		w.boff += l
		w.last[k] = w.boff >= len(data)
		if w.last[k] {
			w.gi, w.boff = w.gi+1, 0
		}
		w.k++
	}
}

// sendmmsg sends msgs on the socket fd without blocking, and returns how
// many were sent.
func sendmmsg(fd uintptr, msgs []unix.Mmsghdr) (int, unix.Errno) {
	m, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
	return int(m), errno
}
