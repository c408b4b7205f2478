// Package link is the one interface every frame source and sink of the node
// implements (TAP devices, AF_PACKET sockets on existing interfaces, pcap
// files, in-memory pipes), and what they can offload.
//
// Ownership: ReadBatch fills buffers owned by its caller and WriteBatch
// keeps no reference to the buffers it is given, so the datapath can hand
// one buffer to several endpoints in turn.
package link

import (
	"errors"

	"neutrino/packet"
)

// Caps are the offloads an endpoint takes on egress.
type Caps uint32

// Offload capabilities.
const (
	// CapCsumPartial: frames whose L4 checksum is still partial
	// (GSO.NeedsCsum) may be written as they are.
	CapCsumPartial Caps = 1 << iota
	// CapGSO: TCP super-frames (GSO.Type != GSONone) may be written whole.
	CapGSO
)

// Has reports whether c includes all of want.
func (c Caps) Has(want Caps) bool { return c&want == want }

// Endpoint is a batched frame source and sink.
type Endpoint interface {
	// Name is the interface, device or file name, for logs and counters.
	Name() string
	// MTU is the largest L3 packet the endpoint carries, not counting the
	// Ethernet header, a VLAN tag, or GSO super-frames.
	MTU() int
	// Caps says which offloads the endpoint takes on egress.
	Caps() Caps
	// ReadBatch blocks until at least one frame is available, fills up to
	// len(bufs) buffers (each reset first, with Meta.GSO and Meta.Time
	// set), and returns how many. It returns ErrClosed after Close, and
	// io.EOF when a finite source (a capture file) is exhausted.
	ReadBatch(bufs []*packet.Buffer) (int, error)
	// WriteBatch writes the frames and returns how many were written. It is
	// safe to call from several goroutines at once. A frame the endpoint
	// cannot take (a super-frame without CapGSO) is an error for that frame.
	WriteBatch(bufs []*packet.Buffer) (int, error)
	// Close stops the endpoint; a blocked ReadBatch returns ErrClosed.
	Close() error
}

// Errors shared by the backends.
var (
	// ErrClosed is returned by an endpoint after Close.
	ErrClosed = errors.New("link: endpoint closed")
	// ErrDeviceGone is returned when the device behind an endpoint
	// disappeared (a TAP deleted from under the node).
	ErrDeviceGone = errors.New("link: device is gone")
	// ErrFrameTooBig is returned for a frame the endpoint cannot carry.
	ErrFrameTooBig = errors.New("link: frame too big for endpoint")
)

// Counter is implemented by endpoints that count what happens below the
// datapath: super-frames, frames the device dropped or refused before the
// node saw them. `neutrino show counters` prints them beside the node's.
type Counter interface {
	// LinkCounters returns the counters by snake_case name.
	LinkCounters() map[string]uint64
}
