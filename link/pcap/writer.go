package pcap

import (
	"bufio"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"neutrino/link"
	"neutrino/packet"
)

// snaplen is large enough for a 64 KB super-frame with its tags.
const snaplen = 262144

// Writer is a write-only endpoint that appends every frame to a pcap file,
// stamped with the frame's Meta.Time (the pipeline clock).
type Writer struct {
	name string
	mtu  int
	caps link.Caps

	mu sync.Mutex
	f  *os.File
	bw *bufio.Writer
	w  *pcapgo.Writer
	n  int
}

// Create creates (or truncates) path and writes the pcap file header. mtu
// and caps are those of the port the file stands in for.
func Create(path string, mtu int, caps link.Caps) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	w := pcapgo.NewWriterNanos(bw)
	if err := w.WriteFileHeader(snaplen, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Writer{name: path, mtu: mtu, caps: caps, f: f, bw: bw, w: w}, nil
}

// Name implements link.Endpoint.
func (w *Writer) Name() string { return w.name }

// MTU implements link.Endpoint.
func (w *Writer) MTU() int { return w.mtu }

// Caps implements link.Endpoint.
func (w *Writer) Caps() link.Caps { return w.caps }

// Count returns how many frames were written.
func (w *Writer) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// ReadBatch implements link.Endpoint; a Writer has nothing to read.
func (w *Writer) ReadBatch([]*packet.Buffer) (int, error) {
	return 0, fmt.Errorf("%s: capture file opened for writing", w.name)
}

// WriteBatch implements link.Endpoint.
func (w *Writer) WriteBatch(bufs []*packet.Buffer) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.w == nil {
		return 0, link.ErrClosed
	}
	for i, b := range bufs {
		data := b.Data()
		ci := gopacket.CaptureInfo{
			Timestamp:     time.Unix(0, b.Meta.Time).UTC(),
			CaptureLength: len(data),
			Length:        len(data),
		}
		if err := w.w.WritePacket(ci, data); err != nil {
			return i, fmt.Errorf("%s: %w", w.name, err)
		}
		w.n++
	}
	return len(bufs), nil
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.w == nil {
		return nil
	}
	w.w = nil
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}
