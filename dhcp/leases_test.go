package dhcp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// fill gives n pool leases (trusted clients) and one static lease.
func fill(t testing.TB, s *Server, n int) {
	t.Helper()
	for i := range n {
		c := Client{Port: i, PortName: fmt.Sprintf("port %d", i), Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, byte(i)}}
		dora(t, s, c, t0)
	}
	dora(t, s, Client{PortName: "vm1", SrcMAC: macVM1}, t0)
}

func TestLeaseFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l, skipped, err := OpenLeases(dir, nil)
	if err != nil || skipped != nil {
		t.Fatalf("OpenLeases: %v %v", skipped, err)
	}
	cfg := testConfig()
	cfg.Subnets[0].Name = "demo subnet %" // escaped in the file
	s, err := New(cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, 3)
	// A hostname from the client, a declined address and an offer.
	c := Client{PortName: "p", Trusted: true, SrcMAC: macNew}
	_, _, offer := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macNew), c, t0)
	_, res, ack := exchange(t, s, msg(t, dhcpv4.MessageTypeRequest, macNew, requested(offer.YourIPAddr.String()), dhcpv4.WithOption(dhcpv4.OptHostName("web 1\n"))), c, t0)
	if res != Answered || ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatal(res, ack)
	}
	exchange(t, s, msg(t, dhcpv4.MessageTypeDecline, MAC{2, 0, 0, 0, 0, 2}, requested("91.1.180.101")), Client{Trusted: true}, t0)
	exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, MAC{2, 0, 0, 0, 0, 2}), Client{Trusted: true}, t0)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "leases"))
	t.Logf("lease file:\n%s", data)

	l2, skipped, err := OpenLeases(dir, nil)
	if err != nil || skipped != nil {
		t.Fatalf("reopen: %v %v", skipped, err)
	}
	if diff := cmp.Diff(l.List(t0), l2.List(t0), cmp.Comparer(func(a, b interface{ String() string }) bool { return a.String() == b.String() })); diff != "" {
		t.Errorf("leases after reopening (-before +after):\n%s", diff)
	}
	if l.Len() != l2.Len() {
		t.Errorf("records %d, after reopening %d", l.Len(), l2.Len())
	}
	if got := l.List(t0); len(got) != 4 || got[2].Hostname != "web1" {
		t.Errorf("List: %+v", got)
	}
	// The reopened leases serve the same clients.
	s2, _ := New(cfg, l2)
	if a := dora(t, s2, Client{Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, 1}}, t0); a != ip("91.1.180.100") {
		t.Errorf("after reopening, client 1 got %v", a)
	}
}

func TestLeaseFileCorruptLines(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := OpenLeases(dir, nil)
	s, _ := New(testConfig(), l)
	fill(t, s, 3)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "leases")
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 5 { // the header and four leases
		t.Fatalf("file has %d lines:\n%s", len(lines), data)
	}
	lines[2] = strings.Replace(lines[2], "91.1.180", "91.1.181", 1) // corrupt: the check fails
	lines = append(lines, lines[3])                                 // a duplicate
	lines = append(lines, "garbage")
	lines = append(lines, lines[4][:len(lines[4])/2]) // truncated, as by a crash
	os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)

	l2, skipped, err := OpenLeases(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range skipped {
		if !errors.Is(e, ErrLeaseLine) {
			t.Errorf("%v does not wrap ErrLeaseLine", e)
		}
		got = append(got, strings.SplitN(strings.TrimPrefix(e.Error(), path), ": ", 2)[0])
	}
	// The duplicate (line 6) is not an error: it replaces line 4, alike.
	if diff := cmp.Diff([]string{":3", ":7", ":8"}, got); diff != "" {
		t.Errorf("skipped lines (-want +got):\n%s\n%v", diff, skipped)
	}
	if l2.Len() != 3 {
		t.Errorf("%d records kept, want 3", l2.Len())
	}
	// The next Flush rewrites the file without the bad lines.
	if err := l2.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, skipped, _ := OpenLeases(dir, nil); skipped != nil {
		t.Errorf("after rewriting: %v", skipped)
	}
}

// TestFlush: one write per Flush whatever the number of changes, none
// without changes, and the file is always whole while leases change and
// flush concurrently.
func TestFlush(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := OpenLeases(dir, nil)
	cfg := testConfig()
	cfg.Subnets[0].Pool = &Range{ip("91.1.180.100"), ip("91.1.180.250")}
	s, _ := New(cfg, l)
	if err := l.Flush(); err != nil || l.writes.Load() != 0 {
		t.Fatalf("Flush without changes: %v, %d writes", err, l.writes.Load())
	}
	// 150 clients × (OFFER + ACK) and renewals: thousands of changes.
	for round := range 10 {
		for i := range 150 {
			c := Client{Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 1, byte(i)}}
			dora(t, s, c, t0+int64(round)*1e9)
		}
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := l.writes.Load(); n != 1 {
		t.Errorf("%d writes, want 1", n)
	}

	// Readers see whole lines while writers change and flush, but for the
	// last line while an append is under way.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c := Client{Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 1, byte(i % 150)}}
			dora(t, s, c, t0+int64(100+i)*1e9)
			if err := l.Flush(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 200 {
		data, err := os.ReadFile(filepath.Join(dir, "leases"))
		if err != nil {
			t.Fatal(err)
		}
		probe := NewLeases()
		skipped, lines := probe.load(data, "leases")
		if len(skipped) > 0 && data[len(data)-1] != '\n' && len(skipped) == 1 && strings.Contains(skipped[0].Error(), fmt.Sprintf(":%d:", lines+1)) {
			skipped = nil // an append under way
		}
		if skipped != nil || probe.Len() != 150 {
			t.Fatalf("a reader saw %d records and %v", probe.Len(), skipped)
		}
	}
	close(stop)
	wg.Wait()
	if left, _ := filepath.Glob(filepath.Join(dir, "leases.tmp-*")); left != nil {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestOpenLeasesErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	_, _, err := OpenLeases(filepath.Join(file, "sub"), nil)
	if err == nil || !strings.Contains(err.Error(), "is not writable") || !strings.Contains(err.Error(), "file/sub") {
		t.Errorf("a dir under a regular file: %v", err)
	}

	// A missing dir is created.
	deep := filepath.Join(dir, "a", "b")
	if _, _, err := OpenLeases(deep, nil); err != nil {
		t.Errorf("missing dir: %v", err)
	}
	if entries, _ := os.ReadDir(deep); len(entries) != 0 {
		t.Errorf("the probe file is left: %v", entries)
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: a read-only dir is writable, skipping that case")
		return
	}
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)
	if _, _, err := OpenLeases(ro, nil); err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Errorf("read-only dir: %v", err)
	}
}

func TestExpire(t *testing.T) {
	s, l := newServer(t, testConfig())
	a := dora(t, s, client(macNew), t0)
	exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, macNew2), client(macNew2), t0) // an offer
	if n := l.Expire(t0 + OfferHold); n != 1 || l.Len() != 1 {
		t.Errorf("Expire after the offer hold removed %d, %d left", n, l.Len())
	}
	end := t0 + 86400e9
	if n := l.Expire(end + RetainExpired - 1); n != 0 {
		t.Errorf("Expire within the retention removed %d", n)
	}
	if n := l.Expire(end + RetainExpired); n != 1 || l.Len() != 0 {
		t.Errorf("Expire after the retention removed %d, %d left", n, l.Len())
	}
	_ = a
}

// TestLeaseMemory: 100k leases cost at most 128 bytes each, index and
// hostnames included, and the list of changes for the next Flush of a
// lease file (every record changed).
func TestLeaseMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	t.Run("memory", func(t *testing.T) { leaseMemory(t, false) })
	t.Run("journal", func(t *testing.T) { leaseMemory(t, true) })
}

func leaseMemory(t *testing.T, journal bool) {
	const n = 100_000
	names := make([]string, n) // the hostnames' bytes are counted: built below
	before := heap()
	l := NewLeases()
	l.track = journal
	sub := l.subnetID("demo")
	l.mu.Lock()
	port := l.portID("vm1")
	for i := range n {
		names[i] = fmt.Sprintf("vm-%06d", i)
		mac := MAC{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		ri := l.insert(lease{expires: t0, port: port, ip: 0x0a000000 + uint32(i), mac: mac, subnet: sub, kind: kindPool})
		l.recs[ri].hostname = names[i]
	}
	l.mu.Unlock()
	after := heap()
	per := float64(after-before) / n
	t.Logf("%d leases: %.1f bytes each (hostnames of 9 bytes included; %d changes listed)", n, per, len(l.dirty))
	if per > 128 {
		t.Errorf("%.1f bytes a lease, want at most 128", per)
	}
	runtime.KeepAlive(l)
	runtime.KeepAlive(names)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
