package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"neutrino/control"
)

const captureAbout = `Captures the frames a port of a running node receives and sends, as
tcpdump would on the port's device: a VM port, an uplink, the tunnel port
(br-tun, the frames inside the tunnels), or a router's qr- or qg- port
(where it meets br-int). With -w the frames are written as a pcap file,
or to standard output with -w - (for tcpdump -r - or wireshark -k -i -);
without it, a line per frame is printed. It ends after -c COUNT frames, or
on Ctrl-C. Capturing a port costs the node a copy of each of its frames;
other ports pay nothing.`

const captureExample = `  sudo neutrino capture vm1
  sudo neutrino capture --node network01 qg-777fb5d8-7b -w qg.pcap -c 100
  sudo neutrino capture physnet1 -w - | tcpdump -nn -e -r -`

// captureItem is one item of the node's answer to capture: the port (the
// first), a frame, or a keepalive; each says how many frames the node
// dropped because the reader was behind.
type captureItem struct {
	Port      string `json:"port,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Time      int64  `json:"time,omitempty"`
	Out       bool   `json:"out,omitempty"`
	Data      []byte `json:"data,omitempty"`
	Keepalive bool   `json:"keepalive,omitempty"`
	Dropped   uint64 `json:"dropped"`
}

// errEnough ends a capture that has its COUNT frames.
var errEnough = errors.New("enough frames")

func cmdCapture(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("capture", "[--socket PATH | --node NAME] PORT [-w FILE|-] [-c COUNT]", captureAbout, captureExample)
	socket := fs.String("socket", "", "control socket of the node (default /run/neutrino/NODE.sock)")
	node := fs.String("node", "", "the node to capture on, when several run on this host")
	file := fs.String("w", "", "write a pcap `FILE` (- for standard output) instead of printing a line per frame")
	count := fs.Int("c", 0, "stop after `COUNT` frames (0: until Ctrl-C)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "neutrino capture: name one PORT (see neutrino capture -h)\n")
		return 2
	}
	if *count < 0 {
		fmt.Fprintf(stderr, "neutrino capture: -c %d: want a count of frames, 0 for no limit\n", *count)
		return 2
	}
	path, err := findSocket(*socket, *node)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino capture: %v\n", err)
		return 1
	}
	var out io.Writer = stdout
	var f *os.File
	if *file != "" && *file != "-" {
		if f, err = os.Create(*file); err != nil {
			fmt.Fprintf(stderr, "neutrino capture: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	var pw *pcapgo.Writer
	var lines io.Writer = stdout
	info := stderr // what is said about the capture, besides the frames
	if *file != "" {
		pw = pcapgo.NewWriterNanos(bw)
		if err := pw.WriteFileHeader(65535+64, layers.LinkTypeEthernet); err != nil {
			fmt.Fprintf(stderr, "neutrino capture: %v\n", err)
			return 1
		}
	} else {
		lines = bw
	}

	// Ctrl-C ends the capture; the file is complete.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stop := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			close(stop)
		case <-stop:
		}
	}()

	n, dropped := 0, uint64(0)
	port := pos[0]
	err = control.Stream(path, control.Request{Cmd: "capture", Args: []string{port}}, func(v json.RawMessage, item bool) error {
		select {
		case <-stop:
			return errEnough
		default:
		}
		var it captureItem
		if err := json.Unmarshal(v, &it); err != nil {
			return err
		}
		dropped = it.Dropped
		switch {
		case it.Port != "":
			port = it.Port
			fmt.Fprintf(info, "neutrino capture: capturing %s %s; Ctrl-C ends\n", it.Kind, it.Port)
			return nil
		case it.Keepalive:
			return bw.Flush()
		}
		n++
		if pw != nil {
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, it.Time), CaptureLength: len(it.Data), Length: len(it.Data)}
			if err := pw.WritePacket(ci, it.Data); err != nil {
				return err
			}
		} else {
			dir := "In "
			if it.Out {
				dir = "Out"
			}
			fmt.Fprintf(lines, "%s %s %s\n", time.Unix(0, it.Time).UTC().Format("15:04:05.000000"), dir, frameLine(it.Data))
		}
		if *count > 0 && n >= *count {
			return errEnough
		}
		if len(it.Data) > 0 && n%64 == 0 {
			return bw.Flush()
		}
		return nil
	})
	close(stopOnce(stop))
	if ferr := bw.Flush(); err == nil || errors.Is(err, errEnough) {
		err = ferr
	}
	if err != nil && !errors.Is(err, errEnough) {
		hint := ""
		if errors.Is(err, iofs.ErrPermission) {
			hint = " (the node's socket belongs to root: try sudo)"
		}
		fmt.Fprintf(stderr, "neutrino capture: %v%s\n", err, hint)
		return 1
	}
	fmt.Fprintf(info, "neutrino capture: %d frames captured on %s, %d dropped by the node (the reader was behind)\n", n, port, dropped)
	return 0
}

// stopOnce returns a channel to close for stop, or a fresh one when stop
// is closed already (by Ctrl-C).
func stopOnce(stop chan struct{}) chan struct{} {
	select {
	case <-stop:
		return make(chan struct{})
	default:
		return stop
	}
}

// frameLine describes a frame in a line, as tcpdump -e -nn would roughly.
func frameLine(d []byte) string {
	p := gopacket.NewPacket(d, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if eth == nil {
		return fmt.Sprintf("%d bytes (runt)", len(d))
	}
	s := fmt.Sprintf("%s > %s", eth.SrcMAC, eth.DstMAC)
	if v, ok := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
		s += fmt.Sprintf(" vlan %d", v.VLANIdentifier)
	}
	switch {
	case p.Layer(layers.LayerTypeARP) != nil:
		a := p.Layer(layers.LayerTypeARP).(*layers.ARP)
		op := "who-has"
		if a.Operation == layers.ARPReply {
			op = "reply"
		}
		s += fmt.Sprintf(", ARP %s %v tell %v", op, ipOf(a.DstProtAddress), ipOf(a.SourceProtAddress))
	case p.Layer(layers.LayerTypeIPv4) != nil:
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		s += fmt.Sprintf(", IP %v > %v", ip.SrcIP, ip.DstIP)
		switch l4 := p.TransportLayer().(type) {
		case *layers.TCP:
			s += fmt.Sprintf(" TCP %d > %d", l4.SrcPort, l4.DstPort)
		case *layers.UDP:
			s += fmt.Sprintf(" UDP %d > %d", l4.SrcPort, l4.DstPort)
		}
		if ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
			s += " ICMP " + ic.TypeCode.String()
		}
	case p.Layer(layers.LayerTypeIPv6) != nil:
		s += ", IPv6"
	default:
		s += fmt.Sprintf(", ethertype %v", eth.EthernetType)
	}
	return fmt.Sprintf("%s, length %d", s, len(d))
}

func ipOf(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	return fmt.Sprint(b)
}
