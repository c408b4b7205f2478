package pcap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"neutrino/link"
	"neutrino/packet"
)

// ErrNotPcap is returned for a file that is neither pcap nor pcapng.
var ErrNotPcap = errors.New("not a pcap or pcapng file")

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// Reader is a read-only endpoint over a capture file. Writing to it is an
// error. Frames longer than a Buffer holds are skipped and counted.
type Reader struct {
	name      string
	f         *os.File
	src       packetSource
	read      int // frames returned so far
	truncated int // frames captured shorter than they were on the wire
	tooBig    int // frames larger than a Buffer, skipped
}

// Open opens a pcap or pcapng file of Ethernet frames.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	magic, err := br.Peek(4)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrNotPcap)
	}
	var src packetSource
	var lt layers.LinkType
	switch {
	case string(magic) == "\x0a\x0d\x0d\x0a":
		r, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w: %v", path, ErrNotPcap, err)
		}
		src, lt = r, r.LinkType()
	default:
		r, err := pcapgo.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, ErrNotPcap)
		}
		src, lt = r, r.LinkType()
	}
	if lt != layers.LinkTypeEthernet {
		f.Close()
		return nil, fmt.Errorf("%s: link type %v, want Ethernet", path, lt)
	}
	return &Reader{name: path, f: f, src: src}, nil
}

// Name implements link.Endpoint.
func (r *Reader) Name() string { return r.name }

// MTU implements link.Endpoint: a capture carries whatever it holds.
func (r *Reader) MTU() int { return 65535 }

// Caps implements link.Endpoint.
func (r *Reader) Caps() link.Caps { return 0 }

// Skipped returns how many frames were too large for the buffers and were
// skipped.
func (r *Reader) Skipped() int { return r.tooBig }

// Truncated returns how many frames the capture holds shorter than they
// were on the wire (they are still read, as captured).
func (r *Reader) Truncated() int { return r.truncated }

// ReadBatch implements link.Endpoint: it returns io.EOF at the end of the file.
func (r *Reader) ReadBatch(bufs []*packet.Buffer) (int, error) {
	if r.src == nil {
		return 0, link.ErrClosed
	}
	n := 0
	for n < len(bufs) {
		data, ci, err := r.src.ReadPacketData()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, fmt.Errorf("%s: the capture is cut short after %d frames: %w", r.name, r.read, err)
		}
		if err == io.EOF {
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w", r.name, err)
		}
		if ci.CaptureLength < ci.Length {
			r.truncated++
		}
		b := bufs[n]
		b.Reset()
		if len(data) > b.Cap() {
			r.tooBig++
			continue
		}
		b.SetData(data)
		b.Meta.Time = ci.Timestamp.UnixNano()
		r.read++
		n++
	}
	return n, nil
}

// WriteBatch implements link.Endpoint; a Reader cannot be written.
func (r *Reader) WriteBatch([]*packet.Buffer) (int, error) {
	return 0, fmt.Errorf("%s: capture file opened for reading", r.name)
}

// Close implements link.Endpoint.
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	r.src = nil
	return r.f.Close()
}
