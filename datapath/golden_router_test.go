package datapath

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"neutrino/internal/clock"
	"neutrino/link"
	"neutrino/link/mem"
	"neutrino/packet/header"
)

// The router golden replay fixtures: for each scenario of routerCases
// (but those marked diffOnly), testdata/golden-router/CASE/in/PORT.pcap
// are the frames that enter the node of testdata/golden-router/
// topology.yaml, the ARP replies of the lab's hosts included, and
// CASE/out/PORT.pcap what leaves each port, counters.txt the counters.
// The test replays the inputs, checks every checksum of every frame that
// leaves (those of a fragmented datagram on the reassembled whole), that
// each step's output is what its want lines say, and that the captures
// are the golden ones.
//
// With -update the inputs are made again by running the scenarios
// through a live node whose clock follows the steps' times, answering the
// router's ARP requests for the lab's hosts 1 ms after each; the outputs
// are then written from the replay of those inputs.
//
// The identification of the datagrams the router makes itself (echo
// replies, ICMP errors) comes from a counter started at random, as Linux's
// does: the output captures hold those datagrams with identification 0
// (header checksum fixed to match), here and in the golden files.

const goldenRouterDir = "testdata/golden-router"

var goldenRouterStart = goldenStart

func TestReplayGoldenRouter(t *testing.T) {
	spec := loadTestSpec(t, filepath.Join(goldenRouterDir, "topology.yaml"), "")
	own := routerOwnAddrs(spec)
	for _, c := range routerCases(t) {
		if c.diffOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(goldenRouterDir, c.name)
			var live *neutrinoRun
			if *update {
				live = runRouterCase(t, newNeutrinoDriver(t, spec), c)
				if err := os.RemoveAll(filepath.Join(dir, "in")); err != nil {
					t.Fatal(err)
				}
				goldenInputs(t, dir, live.inputs)
			}
			inputs := routerGoldenInputs(t, dir)
			res, err := Replay(spec, inputs, t.TempDir(), ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{"counters.txt": []byte(countersText(res.Counters))}
			outs := map[string][]timedFrame{}
			for _, o := range res.Outputs {
				b, err := os.ReadFile(o.Path)
				if err != nil {
					t.Fatal(err)
				}
				frames := readCapture(t, b)
				checkRouterFrames(t, o.Port, framesOf(frames))
				b = normalizeCapture(t, b, own)
				got[filepath.Join("out", o.Port+".pcap")] = b
				outs[o.Port] = readCapture(t, b)
			}
			checkGolden(t, dir, got, "TestReplayGoldenRouter")
			steps := outputsByStep(c.steps, outs)
			if live != nil {
				// The replay of the inputs did what the live run did.
				for i := range c.steps {
					if d := diffStepOutputs(live.steps[i].out, withoutLabARP(steps[i]), own); d != "" {
						t.Errorf("step %d: the replay differs from the live run: %s", i+1, d)
					}
				}
			}
			checkWants(t, c, steps)
		})
	}
}

// routerOwnAddrs are the addresses the spec's routers send ICMP from:
// their ports' (true) and their floating IPs (false: only errors about
// DNATed datagrams come from those; echo replies are the VM's).
func routerOwnAddrs(spec *Spec) map[[4]byte]bool {
	own := map[[4]byte]bool{}
	for _, r := range spec.Routers {
		for _, f := range r.FloatingIPs {
			own[f.Address.As4()] = false
		}
		for _, p := range r.Ports {
			own[p.Addr.Addr().As4()] = true
		}
	}
	return own
}

// routerGoldenInputs lists a case's input captures, one per port.
func routerGoldenInputs(t *testing.T, dir string) []ReplayInput {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "in", "*.pcap"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no inputs in %s (run go test ./datapath -run TestReplayGoldenRouter -update)", dir)
	}
	var in []ReplayInput
	for _, p := range paths {
		in = append(in, ReplayInput{Port: strings.TrimSuffix(filepath.Base(p), ".pcap"), Path: p})
	}
	return in
}

// timedFrame is a frame of a capture with its time from the start.
type timedFrame struct {
	at   time.Duration
	data []byte
}

func framesOf(tf []timedFrame) [][]byte {
	out := make([][]byte, len(tf))
	for i, f := range tf {
		out[i] = f.data
	}
	return out
}

// readCapture reads a nanosecond pcap file as written by the replay.
func readCapture(t *testing.T, b []byte) []timedFrame {
	t.Helper()
	var out []timedFrame
	forEachRecord(t, b, func(ts time.Time, data []byte) {
		out = append(out, timedFrame{at: ts.Sub(goldenRouterStart), data: append([]byte(nil), data...)})
	})
	return out
}

// forEachRecord calls fn with each record of a little-endian nanosecond
// pcap file; the data is a window into b.
func forEachRecord(t *testing.T, b []byte, fn func(ts time.Time, data []byte)) {
	t.Helper()
	if len(b) < 24 || !bytes.Equal(b[:4], []byte{0x4d, 0x3c, 0xb2, 0xa1}) {
		t.Fatalf("not a little-endian nanosecond pcap file")
	}
	for off := 24; off < len(b); {
		if off+16 > len(b) {
			t.Fatalf("pcap record header cut short at %d", off)
		}
		sec, nsec := binary.LittleEndian.Uint32(b[off:]), binary.LittleEndian.Uint32(b[off+4:])
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		if off+16+n > len(b) {
			t.Fatalf("pcap record cut short at %d", off)
		}
		fn(time.Unix(int64(sec), int64(nsec)).UTC(), b[off+16:off+16+n])
		off += 16 + n
	}
}

// normalizeCapture returns a copy of the capture b with the
// identification of the datagrams the router made zeroed.
func normalizeCapture(t *testing.T, b []byte, own map[[4]byte]bool) []byte {
	t.Helper()
	b = append([]byte(nil), b...)
	forEachRecord(t, b, func(_ time.Time, data []byte) { normalizeRouterID(data, own) })
	return b
}

// routerMade reports whether f is an IPv4 datagram the router made: an
// echo reply or an ICMP error from one of its addresses.
func routerMade(f []byte, own map[[4]byte]bool) bool {
	var l header.Layout
	if header.Parse(f, &l) != header.OK || l.Flags&header.IsIPv4 == 0 || l.Proto != header.ProtoICMP {
		return false
	}
	ip := l.IPv4(f)
	port, ok := own[header.IPv4(ip).Src()]
	if l.Flags&header.Fragment != 0 {
		return port // a later fragment of an echo reply the router made
	}
	if l.Flags&header.HasL4 == 0 {
		return false
	}
	switch header.ICMPv4(f[l.L4:]).Type() {
	case 0:
		return port
	case 3, 5, 11:
		return ok
	}
	return false
}

// normalizeRouterID zeroes the identification of a datagram the router
// made, fixing the header checksum.
func normalizeRouterID(f []byte, own map[[4]byte]bool) {
	if !routerMade(f, own) {
		return
	}
	ip := header.IPv4(f[14:])
	ip.SetID(0)
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
}

// checkRouterFrames checks every checksum of the frames that left port:
// with checked for whole datagrams and ARP, and for fragments each
// header's checksum and, once the datagram is put back together, checked
// on the whole.
func checkRouterFrames(t *testing.T, port string, frames [][]byte) {
	t.Helper()
	type key struct {
		src, dst [4]byte
		proto    uint8
		id       uint16
	}
	parts := map[key][][]byte{}
	var order []key
	for i, f := range frames {
		var l header.Layout
		if header.Parse(f, &l) == header.OK && l.Flags&header.IsIPv4 != 0 {
			ip := header.IPv4(l.IPv4(f))
			if ip.IsFragment() {
				if !ip.ChecksumValid() {
					t.Errorf("%s frame %d: fragment header checksum wrong", port, i+1)
				}
				k := key{ip.Src(), ip.Dst(), ip.Protocol(), ip.ID()}
				if _, ok := parts[k]; !ok {
					order = append(order, k)
				}
				parts[k] = append(parts[k], f)
				continue
			}
		}
		checked(t, f)
	}
	for _, k := range order {
		whole, err := reassembleFrames(parts[k])
		if err != nil {
			t.Errorf("%s: fragments of %v id %d: %v", port, net.IP(k.src[:]), k.id, err)
			continue
		}
		checked(t, whole)
	}
}

// reassembleFrames puts the fragments of one datagram back together as an
// untagged Ethernet frame.
func reassembleFrames(frs [][]byte) ([]byte, error) {
	type piece struct {
		off  int
		data []byte
		last bool
	}
	var ps []piece
	var first []byte
	for _, f := range frs {
		ip := header.IPv4(f[14:])
		p := piece{off: int(ip.FragmentOffset()), data: ip.Payload(), last: !ip.MoreFragments()}
		if p.off == 0 {
			first = f
		}
		ps = append(ps, p)
	}
	if first == nil {
		return nil, fmt.Errorf("no first fragment")
	}
	slices.SortFunc(ps, func(a, b piece) int { return a.off - b.off })
	var payload []byte
	for i, p := range ps {
		if p.off != len(payload) {
			return nil, fmt.Errorf("hole or overlap at %d", len(payload))
		}
		if p.last != (i == len(ps)-1) {
			return nil, fmt.Errorf("MF wrong at offset %d", p.off)
		}
		payload = append(payload, p.data...)
	}
	hl := header.IPv4(first[14:]).HeaderLen()
	out := append(append([]byte(nil), first[:14+hl]...), payload...)
	ip := header.IPv4(out[14:])
	ip.SetTotalLength(uint16(hl + len(payload)))
	ip.SetFlagsFragment(uint16(ip.Flags()&2) << 13)
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
	return out, nil
}

// outputsByStep splits what left each port by the step whose time it
// carries: a frame leaves at the time of the input it answers, and the
// ARP replies of a step come before the next step.
func outputsByStep(steps []rstep, outs map[string][]timedFrame) []map[string][][]byte {
	res := make([]map[string][][]byte, len(steps))
	for i := range res {
		res[i] = map[string][][]byte{}
	}
	for port, frames := range outs {
		for _, f := range frames {
			i := len(steps) - 1
			for i > 0 && f.at < steps[i].at {
				i--
			}
			res[i][port] = append(res[i][port], f.data)
		}
	}
	return res
}

// diffStepOutputs compares two runs' outputs of a step, the router's own
// datagrams' identification aside.
func diffStepOutputs(a, b map[string][][]byte, own map[[4]byte]bool) string {
	norm := func(fs [][]byte) [][]byte {
		out := make([][]byte, len(fs))
		for i, f := range fs {
			out[i] = append([]byte(nil), f...)
			normalizeRouterID(out[i], own)
		}
		return out
	}
	for _, port := range unionKeys(a, b) {
		x, y := norm(a[port]), norm(b[port])
		if !slices.EqualFunc(x, y, bytes.Equal) {
			return fmt.Sprintf("%s: %d frames, then %d:\n%s\n---\n%s", port, len(x), len(y), summaries(x), summaries(y))
		}
	}
	return ""
}

func unionKeys[V any](a, b map[string]V) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func summaries(fs [][]byte) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + rsummary(f) + "\n")
	}
	return b.String()
}

// labARPRequest reports whether f, out of port, is an ARP request the
// lab answers: for a lab host behind that port.
func labARPRequest(port string, f []byte) (rhost, [4]byte, bool) {
	var l header.Layout
	if header.Parse(f, &l) != header.OK || l.Flags&header.IsARP == 0 {
		return rhost{}, [4]byte{}, false
	}
	a := header.ARP(f[l.L3:])
	if a.Op() != header.ARPRequest {
		return rhost{}, [4]byte{}, false
	}
	h, ok := routerLabHosts[a.TPA()]
	if !ok || h.port != port || a.SPA() == a.TPA() {
		return rhost{}, [4]byte{}, false
	}
	return h, a.TPA(), true
}

// withoutLabARP is out without the ARP requests the lab answers.
func withoutLabARP(out map[string][][]byte) map[string][][]byte {
	res := map[string][][]byte{}
	for port, frames := range out {
		for _, f := range frames {
			if _, _, ok := labARPRequest(port, f); !ok {
				res[port] = append(res[port], f)
			}
		}
	}
	return res
}

// checkWants compares each step's output with its want lines.
func checkWants(t *testing.T, c rcase, steps []map[string][][]byte) {
	t.Helper()
	for i, st := range c.steps {
		var got []string
		for _, port := range slices.Sorted(mapKeys(steps[i])) {
			for _, f := range steps[i][port] {
				if _, _, ok := labARPRequest(port, f); ok {
					continue
				}
				got = append(got, port+": "+rsummary(f))
			}
		}
		if !slices.Equal(got, sortedByPort(st.want)) {
			var q strings.Builder
			for _, g := range got {
				q.WriteString("\t\t" + strconv.Quote(g) + ",\n")
			}
			t.Errorf("step %d (%s at %v) sent:\n%s\nwant:\n%s", i+1, st.port, st.at, strings.Join(got, "\n"), strings.Join(st.want, "\n"))
			t.Logf("as Go:\n%s", q.String())
		}
	}
}

// sortedByPort orders lines by their port prefix only, keeping the order
// of one port's lines.
func sortedByPort(lines []string) []string {
	out := slices.Clone(lines)
	slices.SortStableFunc(out, func(a, b string) int {
		pa, _, _ := strings.Cut(a, ":")
		pb, _, _ := strings.Cut(b, ":")
		return strings.Compare(pa, pb)
	})
	return out
}

// routerDriver runs a scenario's frames through a router: send hands it a
// frame and returns what left, by port, once the lab's hosts have
// answered its ARP requests (those requests and the answers are left
// out).
type routerDriver interface {
	send(port string, at time.Duration, frame []byte) map[string][][]byte
}

// stepRun is what one step did.
type stepRun struct {
	in  []byte
	out map[string][][]byte
}

// neutrinoRun is a scenario's run through neutrino: each step's input
// and output, and every frame that entered with its time (the ARP replies
// included).
type neutrinoRun struct {
	steps  []stepRun
	inputs []timed
}

// runRouterCase runs c's steps through d, each frame built from what d
// sent before.
func runRouterCase(t testing.TB, d routerDriver, c rcase) *neutrinoRun {
	t.Helper()
	ctx := &rctx{t: t, last: map[string][]byte{}}
	run := &neutrinoRun{}
	for _, st := range c.steps {
		f := st.frame(ctx)
		out := d.send(st.port, st.at, f)
		for port, frames := range out {
			ctx.see(port, frames)
		}
		run.steps = append(run.steps, stepRun{in: f, out: out})
	}
	if nd, ok := d.(*neutrinoDriver); ok {
		run.inputs = nd.inputs
	}
	return run
}

// neutrinoDriver runs scenarios through a live node of spec, its clock
// following the steps' times.
type neutrinoDriver struct {
	t      testing.TB
	n      *Node
	clk    *clock.Fake
	ob     *outbox
	now    time.Duration
	inputs []timed
}

func newNeutrinoDriver(t testing.TB, spec *Spec) *neutrinoDriver {
	t.Helper()
	clk := clock.NewFake(goldenRouterStart)
	// Endpoints without offloads, as the replay's captures and AF_PACKET
	// sockets are.
	eps := map[string]*mem.Endpoint{}
	open := func(ps PortSpec) (link.Endpoint, error) {
		mtu := ps.MTU
		if mtu == 0 {
			mtu = 1500
		}
		e := mem.New(ps.Name, mem.WithMTU(mtu))
		eps[ps.Name] = e
		return e, nil
	}
	n, err := New(spec, Options{Clock: clk, Open: open, Logger: slog.New(slog.DiscardHandler), BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return &neutrinoDriver{t: t, n: n, clk: clk, ob: newOutbox(eps), now: -1}
}

// in runs one frame in at time at.
func (d *neutrinoDriver) in(port string, at time.Duration, f []byte) {
	d.t.Helper()
	if at <= d.now {
		d.t.Fatalf("scenario: a frame at %v after one at %v", at, d.now)
	}
	d.now = at
	d.clk.Set(goldenRouterStart.Add(at).UnixNano())
	d.inputs = append(d.inputs, timed{port: port, at: at, frame: f})
	send(d.t, d.n, port, f)
}

func (d *neutrinoDriver) send(port string, at time.Duration, f []byte) map[string][][]byte {
	d.t.Helper()
	d.in(port, at, f)
	out := map[string][][]byte{}
	for round := 0; ; round++ {
		type reply struct {
			port  string
			frame []byte
		}
		var replies []reply
		for p, frames := range d.ob.take() {
			for _, f := range frames {
				if h, ip, ok := labARPRequest(p, f); ok {
					a := header.ARP(f[14:])
					sha, spa := a.SHA(), a.SPA()
					replies = append(replies, reply{p, arpIsAt(d.t, h.mac, ip[:], sha[:], spa[:])})
					continue
				}
				out[p] = append(out[p], f)
			}
		}
		if len(replies) == 0 {
			return out
		}
		if round == 4 {
			d.t.Fatalf("scenario: the router keeps asking: %v", replies)
		}
		slices.SortFunc(replies, func(a, b reply) int { return strings.Compare(a.port, b.port) })
		for _, r := range replies {
			d.in(r.port, d.now+time.Millisecond, r.frame)
		}
	}
}
