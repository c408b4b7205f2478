package datapath

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var update = flag.Bool("update", false, "rewrite the golden replay fixtures under testdata/golden")

// timed is a frame entering at a port at an offset from the start.
type timed struct {
	port  string
	at    time.Duration
	frame []byte
}

var goldenStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// goldenCases are the replay fixtures: each case's frames enter the node of
// testdata/golden/topology.yaml, and what leaves each port is compared with
// testdata/golden/CASE/out/PORT.pcap, the counters with counters.txt.
func goldenCases(t testing.TB) map[string][]timed {
	r1, r2, b1 := mac(0x11), mac(0x12), mac(0x21)
	x, y := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0a}, net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0x0b}
	unknown := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0xee}
	f := func(src, dst net.HardwareAddr, vid uint16) []byte { return udpFrame(t, src, dst, vid, 30) }
	return map[string][]timed{
		// Broadcast floods within the VLAN; replies go only where the
		// destination was learned; unknown unicast floods.
		"learning": {
			{"r1", 0, f(r1, broadcast, 0)},
			{"r2", time.Second, f(r2, r1, 0)},
			{"r1", 2 * time.Second, f(r1, r2, 0)},
			{"r1", 3 * time.Second, f(r1, unknown, 0)},
		},
		// Blue never sees red's frames, even addressed to a MAC learned
		// on red.
		"isolation": {
			{"r1", 0, f(r1, broadcast, 0)},
			{"b1", time.Second, f(b1, broadcast, 0)},
			{"b1", 2 * time.Second, f(b1, r1, 0)},
			{"e1", 3 * time.Second, f(mac(0x31), r1, 0)},
		},
		// A MAC that shows up on another port moves there.
		"mac-move": {
			{"r1", 0, f(x, broadcast, 0)},
			{"physnet1", time.Second, f(y, x, 101)},
			{"r2", 2 * time.Second, f(x, broadcast, 0)},
			{"physnet1", 3 * time.Second, f(y, x, 101)},
		},
		// An entry not refreshed for 300 s is gone: the frame floods.
		"aging": {
			{"r2", 0, f(x, broadcast, 0)},
			{"physnet1", 10 * time.Second, f(y, x, 101)},
			{"physnet1", 299 * time.Second, f(y, x, 101)},
			{"physnet1", 610 * time.Second, f(y, x, 101)},
		},
		// The uplink: tag 101 is red, 102 blue, untagged the flat ext;
		// a tag of no network is dropped; egress tags the same way.
		"uplink-tags": {
			{"physnet1", 0, f(y, broadcast, 101)},
			{"physnet1", time.Second, f(y, broadcast, 102)},
			{"physnet1", 2 * time.Second, f(y, broadcast, 0)},
			{"physnet1", 3 * time.Second, f(y, broadcast, 999)},
			{"e1", 4 * time.Second, f(mac(0x31), y, 0)},
			{"b1", 5 * time.Second, f(b1, y, 0)},
		},
		// Malformed frames are counted per reason and dropped.
		"malformed": {
			{"r1", 0, []byte{0xff, 0xff, 0xff}},
			{"r1", time.Second, append(f(r1, broadcast, 0)[:14], 0x45, 0, 0)},
			{"r1", 2 * time.Second, badTotalLength(f(r1, broadcast, 0))},
			{"r1", 3 * time.Second, f(r1, broadcast, 101)},
			{"r1", 4 * time.Second, udpFrame(t, r1, r2, 0, 1600)},
			{"r1", 5 * time.Second, f(broadcast, r2, 0)},
		},
	}
}

func badTotalLength(fr []byte) []byte {
	fr[16], fr[17] = 0x05, 0xdc // 1500, more than the frame holds
	return fr
}

func TestReplayGolden(t *testing.T) {
	spec := loadTestSpec(t, "testdata/golden/topology.yaml", "")
	cases := goldenCases(t)
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden", name)
			inputs := goldenInputs(t, dir, cases[name])
			out := t.TempDir()
			res, err := Replay(spec, inputs, out, ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]byte{"counters.txt": []byte(countersText(res.Counters))}
			for _, o := range res.Outputs {
				b, err := os.ReadFile(o.Path)
				if err != nil {
					t.Fatal(err)
				}
				got[filepath.Join("out", o.Port+".pcap")] = b
			}
			checkGolden(t, dir, got, "TestReplayGolden")
		})
	}
}

// goldenInputs writes the case's input captures (with -update) or checks
// they are there, and returns them as replay inputs, one per port.
func goldenInputs(t *testing.T, dir string, frames []timed) []ReplayInput {
	t.Helper()
	byPort := map[string][]timed{}
	var order []string
	for _, f := range frames {
		if _, ok := byPort[f.port]; !ok {
			order = append(order, f.port)
		}
		byPort[f.port] = append(byPort[f.port], f)
	}
	var inputs []ReplayInput
	for _, port := range order {
		path := filepath.Join(dir, "in", port+".pcap")
		if *update {
			var buf bytes.Buffer
			w := pcapgo.NewWriterNanos(&buf)
			if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
				t.Fatal(err)
			}
			for _, f := range byPort[port] {
				ci := gopacket.CaptureInfo{Timestamp: goldenStart.Add(f.at), CaptureLength: len(f.frame), Length: len(f.frame)}
				if err := w.WritePacket(ci, f.frame); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, path, buf.Bytes())
		}
		inputs = append(inputs, ReplayInput{Port: port, Path: path})
	}
	return inputs
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// countersText renders counters for the golden files.
func countersText(c Counters) string {
	var b strings.Builder
	for _, p := range c.Ports {
		fmt.Fprintf(&b, "%-9s rx %d frames (%d dropped), tx %d frames (%d dropped)\n", p.Port, p.RxFrames, p.RxDrops, p.TxFrames, p.TxDrops)
	}
	keys := make([]string, 0, len(c.Drops))
	for k := range c.Drops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "drop %s: %d\n", k, c.Drops[k])
	}
	return b.String()
}

// describeFile renders a golden file for a failure message: text as is,
// captures one frame a line.
func describeFile(rel string, data []byte) string {
	if !strings.HasSuffix(rel, ".pcap") {
		return string(data)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for {
		d, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		fmt.Fprintf(&b, "  %s %s\n", ci.Timestamp.Format("15:04:05"), frameSummary(d))
	}
	return b.String()
}

// checkGolden compares each file of got (a path under dir) with the golden
// one, or writes it with -update; test names the test to rerun with
// -update.
func checkGolden(t *testing.T, dir string, got map[string][]byte, test string) {
	t.Helper()
	for rel, data := range got {
		path := filepath.Join(dir, rel)
		if *update {
			writeFile(t, path, data)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./datapath -run %s -update)", err, test)
		}
		if !bytes.Equal(want, data) {
			t.Errorf("%s differs from the golden file:\nwant:\n%s\ngot:\n%s", path, describeFile(rel, want), describeFile(rel, data))
		}
	}
}
