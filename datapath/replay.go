package datapath

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"neutrino/internal/clock"
	"neutrino/link"
	"neutrino/link/pcap"
	"neutrino/packet"
)

// ReplayInput is a capture whose frames enter the node at a port or uplink.
type ReplayInput struct {
	Port string
	Path string
}

// ReplayOptions tune a replay.
type ReplayOptions struct {
	// Trace, when set, receives the trace of every frame.
	Trace          io.Writer
	AgingTime      time.Duration
	MaxMACsPerPort int
}

// ReplayOutput is the capture written for one port.
type ReplayOutput struct {
	Port   string
	Path   string
	Frames int
}

// ReplayResult is what a replay did.
type ReplayResult struct {
	Frames   int // frames read from the inputs
	Outputs  []ReplayOutput
	Counters Counters
	// SecurityGroups are the filtered ports' chains with their counters.
	SecurityGroups []SecurityGroupInfo
	// NotVXLAN counts the frames read for the tunnel port that were no
	// VXLAN datagram to the node (the tunnel port's captures are the
	// underlay's: outer Ethernet, IPv4, UDP and VXLAN headers around the
	// frames).
	NotVXLAN int
}

// ErrUnknownPort is returned for an input naming no port or uplink of the node.
var ErrUnknownPort = errors.New("no such port or uplink")

// Replay runs captured frames through the node offline, without touching
// the system: the frames of every input enter at their port, merged by
// timestamp, with the node's clock following the capture timestamps, and
// every frame that leaves a port or uplink is written to DIR/<name>.pcap
// (one file per port, empty when nothing left there).
func Replay(spec *Spec, inputs []ReplayInput, outDir string, opt ReplayOptions) (*ReplayResult, error) {
	if len(inputs) == 0 {
		return nil, errors.New("replay: no input: give at least one --in PORT=FILE.pcap")
	}
	names := make(map[string]bool, len(spec.Ports))
	for _, ps := range spec.Ports {
		// Each name becomes a file in outDir: it must stay there.
		if ps.Name == "" || ps.Name == "." || ps.Name == ".." || filepath.Base(ps.Name) != ps.Name {
			return nil, fmt.Errorf("replay: %s %q cannot name a file in --out", ps.Kind, ps.Name)
		}
		names[ps.Name] = true
	}
	for _, in := range inputs {
		if !names[in.Port] {
			return nil, fmt.Errorf("--in %s=%s: %w %q on node %s (have: %s)",
				in.Port, in.Path, ErrUnknownPort, in.Port, spec.Node, strings.Join(slices.Sorted(maps.Keys(names)), ", "))
		}
	}
	readers := make([]*pcap.Reader, 0, len(inputs))
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for _, in := range inputs {
		r, err := pcap.Open(in.Path)
		if err != nil {
			return nil, fmt.Errorf("--in %s=%s: %w", in.Port, in.Path, err)
		}
		readers = append(readers, r)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}

	clk := clock.NewFake(time.Unix(0, 0))
	writers := map[string]*pcap.Writer{}
	open := func(ps PortSpec) (link.Endpoint, error) {
		mtu := ps.MTU
		if mtu == 0 {
			mtu = 1500
		}
		w, err := pcap.Create(filepath.Join(outDir, ps.Name+".pcap"), mtu, 0)
		if err != nil {
			return nil, err
		}
		writers[ps.Name] = w
		if ps.Kind == PortTunnel {
			return newReplayTunnel(w, ps.Tunnel), nil // the underlay's view: VXLAN datagrams
		}
		return w, nil
	}
	n, err := New(spec, Options{
		Clock: clk, Open: open, Logger: slog.New(slog.DiscardHandler),
		AgingTime: opt.AgingTime, MaxMACsPerPort: opt.MaxMACsPerPort, BatchSize: 1,
	})
	if err != nil {
		return nil, err
	}
	res, err := replayFrames(n, clk, inputs, readers, opt.Trace)
	if cerr := n.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	for _, ps := range spec.Ports {
		w := writers[ps.Name]
		res.Outputs = append(res.Outputs, ReplayOutput{Port: ps.Name, Path: w.Name(), Frames: w.Count()})
	}
	res.Counters = n.Counters()
	res.SecurityGroups, _ = n.SecurityGroups("")
	return res, nil
}

// replayFrames merges the inputs by timestamp (ties in input order) and
// runs each frame through the node.
func replayFrames(n *Node, clk *clock.Fake, inputs []ReplayInput, readers []*pcap.Reader, trace io.Writer) (*ReplayResult, error) {
	type head struct {
		port int
		buf  *packet.Buffer
		ok   bool
	}
	heads := make([]head, len(readers))
	next := func(i int) error {
		k, err := readers[i].ReadBatch([]*packet.Buffer{heads[i].buf})
		heads[i].ok = k == 1
		if err == io.EOF {
			return nil
		}
		return err
	}
	for i, in := range inputs {
		idx, _ := n.PortIndex(in.Port)
		heads[i] = head{port: idx, buf: packet.NewBuffer(packet.MaxFrame)}
		if err := next(i); err != nil {
			return nil, fmt.Errorf("--in %s=%s: %w", in.Port, in.Path, err)
		}
	}
	w := n.NewWorker(1)
	res := &ReplayResult{}
	var tr packet.Trace
	for {
		best := -1
		for i := range heads {
			if heads[i].ok && (best < 0 || heads[i].buf.Meta.Time < heads[best].buf.Meta.Time) {
				best = i
			}
		}
		if best < 0 {
			return res, nil
		}
		h := &heads[best]
		clk.Set(h.buf.Meta.Time)
		res.Frames++
		if t := n.g.Load().ports[h.port].spec.Tunnel; t != nil && !decapReplay(h.buf, t) {
			res.NotVXLAN++ // what the tunnel endpoint would not pass on
			if err := next(best); err != nil {
				return nil, fmt.Errorf("--in %s=%s: %w", inputs[best].Port, inputs[best].Path, err)
			}
			continue
		}
		var summary string
		if trace != nil {
			tr.Reset()
			h.buf.Meta.Trace = &tr
			summary = frameSummary(h.buf.Data())
		}
		n.Process(w, h.port, []*packet.Buffer{h.buf})
		if trace != nil {
			fmt.Fprintf(trace, "frame %d: %s at %s, %s\n%s\n", res.Frames, inputs[best].Port,
				time.Unix(0, h.buf.Meta.Time).UTC().Format("15:04:05.000000"), summary, tr.String())
		}
		if err := next(best); err != nil {
			return nil, fmt.Errorf("--in %s=%s: %w", inputs[best].Port, inputs[best].Path, err)
		}
	}
}

// frameSummary is a one-line description of a frame for traces.
func frameSummary(d []byte) string {
	if len(d) < 14 {
		return fmt.Sprintf("%d bytes (runt)", len(d))
	}
	tag, size := "", len(d)
	if d[12] == 0x81 && d[13] == 0x00 && len(d) >= 18 {
		tag = fmt.Sprintf(" vlan %d", (int(d[14])<<8|int(d[15]))&0xfff)
		d = append(d[:12:12], d[16:]...)
	}
	return fmt.Sprintf("%s > %s%s, ethertype 0x%02x%02x, %d bytes",
		net.HardwareAddr(d[6:12]), net.HardwareAddr(d[0:6]), tag, d[12], d[13], size)
}
