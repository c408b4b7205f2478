// Package mem is an in-memory link.Endpoint for tests: frames injected by
// the test come out of ReadBatch, and frames written are kept (copied) for
// the test to inspect, or only counted when the endpoint is a sink.
package mem

import (
	"io"
	"sync"
	"time"

	"neutrino/link"
	"neutrino/packet"
)

// Frame is a frame with its offload metadata and timestamp.
type Frame struct {
	Data []byte
	GSO  packet.GSO
	Time int64
}

// Endpoint is an in-memory endpoint. The zero value is not usable; use New.
type Endpoint struct {
	name string
	mtu  int
	caps link.Caps
	sink bool // count written frames only

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []Frame
	eof    bool // no more frames will be injected
	closed bool
	failed error // set by Fail: every later call returns it
	sent   []Frame
	nsent  int
}

// Option configures an Endpoint.
type Option func(*Endpoint)

// WithMTU sets the MTU (default 1500).
func WithMTU(mtu int) Option { return func(e *Endpoint) { e.mtu = mtu } }

// WithCaps sets the offload capabilities (default none).
func WithCaps(c link.Caps) Option { return func(e *Endpoint) { e.caps = c } }

// AsSink makes WriteBatch count frames without keeping them: for
// benchmarks, where a copy per frame would measure the test, not the code.
func AsSink() Option { return func(e *Endpoint) { e.sink = true } }

// New returns an endpoint named name.
func New(name string, opts ...Option) *Endpoint {
	e := &Endpoint{name: name, mtu: 1500}
	e.cond = sync.NewCond(&e.mu)
	for _, o := range opts {
		o(e)
	}
	return e
}

// Name implements link.Endpoint.
func (e *Endpoint) Name() string { return e.name }

// MTU implements link.Endpoint.
func (e *Endpoint) MTU() int { return e.mtu }

// Caps implements link.Endpoint.
func (e *Endpoint) Caps() link.Caps { return e.caps }

// Inject queues a frame (copied) for ReadBatch.
func (e *Endpoint) Inject(f Frame) {
	f.Data = append([]byte(nil), f.Data...)
	e.mu.Lock()
	e.queue = append(e.queue, f)
	e.mu.Unlock()
	e.cond.Broadcast()
}

// EndInput makes ReadBatch return io.EOF once the queue is drained.
func (e *Endpoint) EndInput() {
	e.mu.Lock()
	e.eof = true
	e.mu.Unlock()
	e.cond.Broadcast()
}

// ReadBatch implements link.Endpoint.
func (e *Endpoint) ReadBatch(bufs []*packet.Buffer) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.queue) == 0 && !e.closed && !e.eof && e.failed == nil {
		e.cond.Wait()
	}
	if e.closed {
		return 0, link.ErrClosed
	}
	if e.failed != nil {
		return 0, e.failed
	}
	if len(e.queue) == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(bufs) && len(e.queue) > 0 {
		f := e.queue[0]
		e.queue = e.queue[1:]
		b := bufs[n]
		b.Reset()
		if len(f.Data) > b.Cap() {
			continue
		}
		b.SetData(f.Data)
		b.Meta.GSO = f.GSO
		b.Meta.Time = f.Time
		n++
	}
	return n, nil
}

// WriteBatch implements link.Endpoint.
func (e *Endpoint) WriteBatch(bufs []*packet.Buffer) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, link.ErrClosed
	}
	if e.failed != nil {
		return 0, e.failed
	}
	defer e.cond.Broadcast()
	for i, b := range bufs {
		// Like a real endpoint: stop at the first frame refused.
		if b.Meta.GSO.IsGSO() && !e.caps.Has(link.CapGSO) {
			return i, link.ErrFrameTooBig
		}
		e.nsent++
		if !e.sink {
			e.sent = append(e.sent, Frame{Data: append([]byte(nil), b.Data()...), GSO: b.Meta.GSO, Time: b.Meta.Time})
		}
	}
	return len(bufs), nil
}

// Fail makes every later read and write fail with err, the way a device
// deleted from under the node does (link.ErrDeviceGone).
func (e *Endpoint) Fail(err error) {
	e.mu.Lock()
	e.failed = err
	e.mu.Unlock()
	e.cond.Broadcast()
}

// Sent returns the frames written so far (not for sinks).
func (e *Endpoint) Sent() []Frame {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Frame(nil), e.sent...)
}

// Count returns how many frames were written.
func (e *Endpoint) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.nsent
}

// WaitCount waits until at least n frames were written or the timeout
// passes, and returns the count.
func (e *Endpoint) WaitCount(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, e.cond.Broadcast)
	defer t.Stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.nsent < n && time.Now().Before(deadline) && !e.closed {
		e.cond.Wait()
	}
	return e.nsent
}

// Close implements link.Endpoint.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cond.Broadcast()
	return nil
}
