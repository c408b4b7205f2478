// Package udp is the VXLAN underlay socket (stand-in while it is written).
package udp

import (
	"net/netip"

	"neutrino/packet"
)

// Datagram is one datagram.
type Datagram struct {
	Buf     *packet.Buffer
	Peer    netip.AddrPort
	SegSize int
	Flow    uint32
}

// Options configure an Underlay.
type Options struct {
	Port                   int
	SrcPorts               int
	GSO, GRO               bool
	RecvBuffer, SendBuffer int
}

// Underlay is the stand-in.
type Underlay struct{}

// Open is the stand-in.
func Open(local netip.Addr, opt Options) (*Underlay, error) { return nil, errStub }

// ReadBatch is the stand-in.
func (u *Underlay) ReadBatch(ds []Datagram) (int, error) { return 0, errStub }

// WriteBatch is the stand-in.
func (u *Underlay) WriteBatch(ds []Datagram) (int, error) { return 0, errStub }

// Close is the stand-in.
func (u *Underlay) Close() error { return nil }

var errStub = errorString("the underlay socket is not written yet")

type errorString string

func (e errorString) Error() string { return string(e) }
