package dhcp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// table is every record of l (leases, expired leases, offers, declined
// addresses) in the file format, sorted: two Leases with the same table
// hold the same records.
func table(l *Leases) string {
	l.mu.Lock()
	subnets, ports := l.subnets, l.ports
	l.mu.Unlock()
	return string(formatLeases(l.snapshot(), subnets, ports))
}

func leaseFile(t testing.TB, dir string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, leaseFileName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fileLines counts the record and tombstone lines of a lease file.
func fileLines(data []byte) (records, tombstones int) {
	for line := range strings.Lines(string(data)) {
		switch {
		case line == "\n" || line[0] == '#':
		case strings.Contains(line, " "+tombKind+" - - "):
			tombstones++
		default:
			records++
		}
	}
	return
}

// reopen reads dir into new Leases and checks they hold what l holds.
func reopen(t *testing.T, l *Leases, dir string, now int64) *Leases {
	t.Helper()
	l2, skipped, err := OpenLeases(dir, nil)
	if err != nil || skipped != nil {
		t.Fatalf("reopen: %v %v", skipped, err)
	}
	if diff := cmp.Diff(table(l), table(l2)); diff != "" {
		t.Fatalf("records after reopening (-written +read):\n%s", diff)
	}
	if diff := cmp.Diff(l.List(now), l2.List(now), cmp.Comparer(func(a, b interface{ String() string }) bool { return a.String() == b.String() })); diff != "" {
		t.Fatalf("leases after reopening (-written +read):\n%s", diff)
	}
	return l2
}

// TestJournalRoundTrip: thousands of random exchanges (offers, ACKs,
// renewals, NAKs, releases, declines, static hosts, expiries), flushed at
// random times and now and then compacted; at checkpoints the file read
// back holds exactly the records in memory. Half the checkpoints go on
// with the Leases read back, appending to the file they read.
func TestJournalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l, _, err := OpenLeases(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := journalConfig()
	cfg.Subnets[0].LeaseTime = 120
	s, err := New(cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const clients = 200 // more than the pool: addresses are taken back
	macOf := func(i int) MAC {
		if i == clients {
			return macVM1 // a static host
		}
		return MAC{2, 0, 0, 0, byte(i >> 8), byte(i)}
	}
	held := map[MAC]string{} // the address last offered or ACKed to a client
	now := t0
	out := make([]byte, MaxReply)
	handle := func(payload []byte, mac MAC) *dhcpv4.DHCPv4 {
		c := Client{Port: int(mac[5] % 5), PortName: fmt.Sprintf("port %d", mac[5]%5), Trusted: true, SrcMAC: mac}
		rep, res := s.Handle(payload, c, now, out)
		if res != Answered {
			return nil
		}
		d, err := dhcpv4.FromBytes(rep.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var flushes, compactions, tombstones, superseded int
	var writes, written uint64
	for op := range 6000 {
		now += rng.Int64N(3e9)
		mac := macOf(rng.IntN(clients + 1))
		switch k := rng.IntN(100); {
		case k < 30: // DISCOVER
			if d := handle(msg(t, dhcpv4.MessageTypeDiscover, mac), mac); d != nil {
				held[mac] = d.YourIPAddr.String()
			}
		case k < 55: // REQUEST, selecting the address offered
			if a, ok := held[mac]; ok {
				host := dhcpv4.WithOption(dhcpv4.OptHostName(fmt.Sprintf("host %d", rng.IntN(4))))
				handle(msg(t, dhcpv4.MessageTypeRequest, mac, requested(a), serverID("91.1.180.2"), host), mac)
			}
		case k < 70: // REQUEST, renewing (the client's address or another)
			a := held[mac]
			if a == "" || rng.IntN(4) == 0 {
				a = fmt.Sprintf("91.1.180.%d", 100+rng.IntN(151))
			}
			handle(msg(t, dhcpv4.MessageTypeRequest, mac, ciaddr(a)), mac)
		case k < 78: // RELEASE
			if a, ok := held[mac]; ok {
				handle(msg(t, dhcpv4.MessageTypeRelease, mac, ciaddr(a)), mac)
			}
		case k < 82: // DECLINE
			if a, ok := held[mac]; ok {
				handle(msg(t, dhcpv4.MessageTypeDecline, mac, requested(a)), mac)
				delete(held, mac)
			}
		case k < 84: // a long pause: leases expire and are forgotten
			now += rng.Int64N(2 * RetainExpired)
			l.Expire(now)
		case k < 90:
			l.Expire(now)
		case k < 99:
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			flushes++
		default:
			if err := l.Compact(); err != nil {
				t.Fatal(err)
			}
			compactions++
		}
		if op%500 == 499 {
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			data := leaseFile(t, dir)
			recs, tombs := fileLines(data)
			tombstones += tombs
			superseded += recs - l.Len()
			l2 := reopen(t, l, dir, now)
			if op%1000 == 999 { // go on with what was read
				writes, written = writes+l.writes.Load(), written+l.written.Load()
				l = l2
				if s, err = New(cfg, l); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Logf("%d records, %d flushes (%d writes, %d bytes), %d compactions; at checkpoints %d tombstones and %d superseded lines",
		l.Len(), flushes, writes+l.writes.Load(), written+l.written.Load(), compactions, tombstones, superseded)
	if tombstones == 0 || superseded == 0 {
		t.Errorf("the journal was not exercised: %d tombstones, %d superseded lines", tombstones, superseded)
	}
	if err := l.Compact(); err != nil {
		t.Fatal(err)
	}
	if recs, tombs := fileLines(leaseFile(t, dir)); recs != l.Len() || tombs != 0 {
		t.Errorf("after Compact: %d records, %d tombstones; want %d, 0", recs, tombs, l.Len())
	}
	reopen(t, l, dir, now)
}

// journalConfig is testConfig with a pool of 151 addresses.
func journalConfig() Config {
	cfg := testConfig()
	cfg.Subnets[0].Pool = &Range{ip("91.1.180.100"), ip("91.1.180.250")}
	return cfg
}

// addrOf returns the address of mac's record on subnet demo.
func addrOf(t testing.TB, l *Leases, mac MAC) string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	ri := l.byMACRec(l.subnetIDs["demo"], mac)
	if ri < 0 {
		t.Fatalf("%v has no record", mac)
	}
	return addr4(l.recs[ri].ip).String()
}

// journalLeases is a file-backed Leases with n pool leases and a static
// one, flushed.
func journalLeases(t testing.TB, n int) (*Leases, *Server, string) {
	t.Helper()
	dir := t.TempDir()
	l, _, err := OpenLeases(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(journalConfig(), l)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, n)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	return l, s, dir
}

// TestJournalAppends: a Flush appends only the lines of what changed; a
// RELEASE of an offer, an expiry and a DECLINE's hold ending leave
// tombstones; a record added and removed between two Flushes leaves
// nothing.
func TestJournalAppends(t *testing.T) {
	l, s, dir := journalLeases(t, 10)
	size := len(leaseFile(t, dir))
	if recs, _ := fileLines(leaseFile(t, dir)); recs != 11 {
		t.Fatalf("%d records in the file, want 11", recs)
	}
	// One renewal: one line.
	c := Client{Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, 3}}
	a3 := addrOf(t, l, c.SrcMAC)
	exchange(t, s, msg(t, dhcpv4.MessageTypeRequest, c.SrcMAC, ciaddr(a3)), c, t0+5e9)
	writes := l.writes.Load()
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	data := leaseFile(t, dir)
	if strings.Count(string(data[size:]), "\n") != 1 || !strings.Contains(string(data[size:]), a3+" pool") {
		t.Fatalf("appended after a renewal:\n%s", data[size:])
	}
	if l.writes.Load() != writes+1 || l.written.Load() == 0 {
		t.Errorf("writes %d → %d", writes, l.writes.Load())
	}

	// An offer made and withdrawn (RELEASE) between two Flushes: nothing.
	size = len(data)
	writes = l.writes.Load()
	m := MAC{2, 0, 0, 0, 9, 9}
	_, _, offer := exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, m), Client{Trusted: true, SrcMAC: m}, t0+6e9)
	exchange(t, s, msg(t, dhcpv4.MessageTypeRelease, m, ciaddr(offer.YourIPAddr.String())), Client{Trusted: true, SrcMAC: m}, t0+6e9)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := leaseFile(t, dir); len(got) != size || l.writes.Load() != writes {
		t.Errorf("an offer withdrawn before the Flush: %d writes, appended %q", l.writes.Load()-writes, got[size:])
	}

	// The same offer flushed, then released: a tombstone.
	_, _, offer = exchange(t, s, msg(t, dhcpv4.MessageTypeDiscover, m), Client{Trusted: true, SrcMAC: m}, t0+7e9)
	l.Flush()
	size = len(leaseFile(t, dir))
	exchange(t, s, msg(t, dhcpv4.MessageTypeRelease, m, ciaddr(offer.YourIPAddr.String())), Client{Trusted: true, SrcMAC: m}, t0+7e9)
	l.Flush()
	data = leaseFile(t, dir)
	want := fmt.Sprintf("%s demo %s %s free - - ", time.Unix(0, t0+7e9+OfferHold).UTC().Format(time.RFC3339Nano), m, offer.YourIPAddr)
	if got := string(data[size:]); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 {
		t.Errorf("after a RELEASE of an offer, appended %q, want %q…", got, want)
	}
	reopen(t, l, dir, t0+7e9)

	// A DECLINE (the record changes: one line), then its hold ends (a
	// tombstone); a lease forgotten by Expire (a tombstone).
	d := MAC{2, 0, 0, 0, 0, 4}
	a4 := addrOf(t, l, d)
	exchange(t, s, msg(t, dhcpv4.MessageTypeDecline, d, requested(a4)), Client{Trusted: true}, t0+8e9)
	size = len(leaseFile(t, dir))
	l.Flush()
	if got := string(leaseFile(t, dir)[size:]); !strings.Contains(got, "00:00:00:00:00:00 "+a4+" declined - -") || strings.Count(got, "\n") != 1 {
		t.Errorf("after a DECLINE, appended %q", got)
	}
	size = len(leaseFile(t, dir))
	if n := l.Expire(t0 + 8e9 + DeclineHold); n != 1 {
		t.Fatalf("Expire removed %d", n)
	}
	l.Flush()
	if got := string(leaseFile(t, dir)[size:]); !strings.Contains(got, "00:00:00:00:00:00 "+a4+" free - -") || strings.Count(got, "\n") != 1 {
		t.Errorf("after the DECLINE hold, appended %q", got)
	}
	reopen(t, l, dir, t0+9e9)
	size = len(leaseFile(t, dir))
	n := l.Expire(t0 + 86400e9 + RetainExpired + 10e9)
	l.Flush()
	if _, tombs := fileLines(leaseFile(t, dir)[size:]); tombs != n || n != 10 {
		t.Errorf("Expire removed %d, %d tombstones appended", n, tombs)
	}
	if l2 := reopen(t, l, dir, t0); l2.Len() != 0 {
		t.Errorf("%d records left", l2.Len())
	}
}

// TestFlushNothingChanged: no write without a change, nor after a change
// undone in memory before the Flush, nor after reopening.
func TestFlushNothingChanged(t *testing.T) {
	l, s, dir := journalLeases(t, 5)
	writes, written := l.writes.Load(), l.written.Load()
	for range 3 {
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	l.Expire(t0) // removes nothing
	l.Flush()
	// A REQUEST from a client we know nothing of changes nothing.
	exchange(t, s, msg(t, dhcpv4.MessageTypeRequest, macNew2, ciaddr("91.1.181.99")), Client{Trusted: true, SrcMAC: macNew2}, t0)
	l.Flush()
	if l.writes.Load() != writes || l.written.Load() != written {
		t.Errorf("Flush without changes: %d writes, %d bytes", l.writes.Load()-writes, l.written.Load()-written)
	}
	l2, _, _ := OpenLeases(dir, nil)
	l2.Flush()
	l2.Compact() // the file holds the live records only
	if l2.writes.Load() != 0 {
		t.Errorf("reopened: %d writes without changes", l2.writes.Load())
	}
	l.Compact() // a whole file already
	if l.writes.Load() != writes {
		t.Errorf("Compact of a compact file wrote")
	}
}

// TestJournalCrashMidAppend: a crash in the middle of an append leaves a
// last line cut short: reading skips and reports it, keeps the lines
// before it, and the next Flush rewrites the file.
func TestJournalCrashMidAppend(t *testing.T) {
	for _, cut := range []int{1, 9, 40} { // bytes lost at the end of the file
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			l, s, dir := journalLeases(t, 5)
			c := Client{Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, 1}}
			a1 := addrOf(t, l, c.SrcMAC)
			exchange(t, s, msg(t, dhcpv4.MessageTypeRequest, c.SrcMAC, ciaddr(a1), dhcpv4.WithOption(dhcpv4.OptHostName("renewed"))), c, t0+1e9)
			l.Flush()
			before := table(l) // what the file holds before the last append
			m2 := MAC{2, 0, 0, 0, 0, 2}
			exchange(t, s, msg(t, dhcpv4.MessageTypeRelease, m2, ciaddr(addrOf(t, l, m2))), Client{Trusted: true}, t0+2e9)
			l.Flush()
			after := table(l)

			path := filepath.Join(dir, leaseFileName)
			data := leaseFile(t, dir)
			total := strings.Count(string(data), "\n")
			os.WriteFile(path, data[:len(data)-cut], 0o644)
			l2, skipped, err := OpenLeases(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := before
			if cut == 1 { // only the newline lost: the line is whole
				want = after
				if skipped != nil {
					t.Errorf("skipped %v", skipped)
				}
			} else if len(skipped) != 1 || !errors.Is(skipped[0], ErrLeaseLine) || !strings.Contains(skipped[0].Error(), fmt.Sprintf("%s:%d: ", path, total)) {
				t.Errorf("skipped %v, want line %d", skipped, total)
			}
			if diff := cmp.Diff(want, table(l2)); diff != "" {
				t.Errorf("records read (-want +got):\n%s", diff)
			}
			// The next Flush rewrites the file, though nothing changed: no
			// append after a broken line.
			if err := l2.Flush(); err != nil || l2.writes.Load() != 1 {
				t.Fatalf("Flush after the crash: %v, %d writes", err, l2.writes.Load())
			}
			if recs, tombs := fileLines(leaseFile(t, dir)); recs != l2.Len() || tombs != 0 {
				t.Errorf("rewritten: %d records, %d tombstones", recs, tombs)
			}
			s2, _ := New(journalConfig(), l2)
			exchange(t, s2, msg(t, dhcpv4.MessageTypeRequest, c.SrcMAC, ciaddr(a1)), c, t0+3e9)
			l2.Flush()
			reopen(t, l2, dir, t0)
		})
	}
}

// TestJournalCompaction: the file grows by appends until it holds more than
// 2×records + compactSlack lines, then a Flush rewrites it whole and it
// shrinks; a file read with that many lines is rewritten at the first
// Flush.
func TestJournalCompaction(t *testing.T) {
	l, _, dir := journalLeases(t, 100)
	live := l.Len()
	limit := 2*live + compactSlack
	prev, grew, shrank := len(leaseFile(t, dir)), 0, 0
	now := t0
	for round := range 40 {
		now += 1e9
		// Renew them all: 100 lines appended a round.
		l.mu.Lock()
		for i := range l.recs {
			if l.recs[i].kind == kindPool {
				l.update(int32(i), kindPool, l.recs[i].port, now+86400e9)
			}
		}
		l.mu.Unlock()
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		data := leaseFile(t, dir)
		recs, _ := fileLines(data)
		if recs > limit {
			t.Fatalf("round %d: %d lines, more than %d", round, recs, limit)
		}
		if len(data) > prev {
			grew++
		} else {
			shrank++
			if recs != live {
				t.Errorf("round %d: compacted to %d lines, want %d", round, recs, live)
			}
		}
		prev = len(data)
	}
	t.Logf("grew %d times, shrank %d", grew, shrank)
	if shrank == 0 || grew < 10 {
		t.Errorf("grew %d times, shrank %d", grew, shrank)
	}
	reopen(t, l, dir, now)

	// A file past the limit when read: compacted at the first Flush.
	for range 20 {
		l.mu.Lock()
		for i := range l.recs {
			if l.recs[i].kind == kindPool {
				l.update(int32(i), kindPool, l.recs[i].port, l.recs[i].expires+1)
			}
		}
		l.mu.Unlock()
		l.flushMu.Lock()
		l.file.lines = 0 // so that Flush appends
		l.flushMu.Unlock()
		l.Flush()
	}
	if recs, _ := fileLines(leaseFile(t, dir)); recs <= limit {
		t.Fatalf("%d lines", recs)
	}
	l2 := reopen(t, l, dir, now)
	if err := l2.Flush(); err != nil || l2.writes.Load() != 1 {
		t.Fatalf("first Flush: %v, %d writes", err, l2.writes.Load())
	}
	if recs, _ := fileLines(leaseFile(t, dir)); recs != live {
		t.Errorf("%d lines after the first Flush, want %d", recs, live)
	}
	// Compact gives the format of a whole file: sorted, no tombstones.
	l.Expire(now + 86400e9*2 + RetainExpired + 1) // tombstones
	l.Flush()
	if err := l.Compact(); err != nil {
		t.Fatal(err)
	}
	if got, want := string(leaseFile(t, dir)), table(l); got != want {
		t.Errorf("after Compact:\n%s\nwant\n%s", got, want)
	}
}

// journalSeed is a journal with superseded records and tombstones, for
// FuzzLeaseFile.
func journalSeed(t testing.TB) []byte {
	l, s, dir := journalLeases(t, 3)
	m1 := MAC{2, 0, 0, 0, 0, 1}
	exchange(t, s, msg(t, dhcpv4.MessageTypeDecline, m1, requested(addrOf(t, l, m1))), Client{Trusted: true}, t0)
	c := Client{Trusted: true, SrcMAC: MAC{2, 0, 0, 0, 0, 2}}
	exchange(t, s, msg(t, dhcpv4.MessageTypeRequest, c.SrcMAC, ciaddr(addrOf(t, l, c.SrcMAC)), dhcpv4.WithOption(dhcpv4.OptHostName("h"))), c, t0+1e9)
	l.Flush()
	l.Expire(t0 + DeclineHold + 1)
	l.Flush()
	return leaseFile(t, dir)
}

// BenchmarkFlush: 50,000 leases, 1,000 of them renewed between two Flushes.
// append is the journal (compactions included, one in about a hundred
// Flushes); rewrite writes the whole file each time, as before the journal.
// cpu-ns/op is the CPU time of the process (user and system), which the
// packet readers compete for; B-written/op the bytes written.
func BenchmarkFlush(b *testing.B) {
	for _, mode := range []string{"append", "rewrite"} {
		b.Run(mode, func(b *testing.B) {
			const n, changed = 50_000, 1_000
			dir := b.TempDir()
			l, _, err := OpenLeases(dir, nil)
			if err != nil {
				b.Fatal(err)
			}
			sub := l.subnetID("demo-subnet")
			l.mu.Lock()
			port := l.portID("port-0001")
			for i := range n {
				mac := MAC{0xfa, 0x16, 0x3e, byte(i >> 16), byte(i >> 8), byte(i)}
				ri := l.insert(lease{expires: t0 + 86400e9, port: port, ip: 0x0a000000 + uint32(i), mac: mac, subnet: sub, kind: kindPool})
				l.recs[ri].hostname = "vm-host"
			}
			l.mu.Unlock()
			if err := l.Flush(); err != nil {
				b.Fatal(err)
			}
			written := l.written.Load()
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for it := 0; b.Loop(); it++ {
				b.StopTimer()
				l.mu.Lock()
				for k := range changed {
					ri := int32((it*changed + k*37) % n)
					l.update(ri, kindPool, port, t0+86400e9+int64(it)*1e9)
				}
				l.mu.Unlock()
				if mode == "rewrite" {
					l.flushMu.Lock()
					l.file.rewrite = true
					l.flushMu.Unlock()
				}
				c0 := cpuTime()
				b.StartTimer()
				if err := l.Flush(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				b.StartTimer()
			}
			b.ReportMetric(float64(l.written.Load()-written)/float64(b.N), "B-written/op")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
