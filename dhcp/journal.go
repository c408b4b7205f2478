package dhcp

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"time"
)

// The lease file is a journal: Flush appends a line for each record that
// changed since the last Flush, and a tombstone for each record removed
// (kind "free"):
//
//	2026-01-01T12:00:00Z demo-subnet fa:16:3e:00:00:01 91.1.180.100 free - - 5d1e0c2a
//
// Reading the file applies its lines in order: a record replaces any
// earlier record with the same (subnet, MAC) or the same (subnet, address);
// a tombstone removes the record holding its (subnet, address), if any
// (its other fields are informative: the removed record's expiry and MAC).
// Within one Flush the tombstones come first, then the records, so what a
// reader builds is the table Flush saw.
//
// So the cost of a Flush is its changes, not the table: no sort, no
// formatting of records that did not change, a few small writes. The file
// grows by the lines appended; when it holds more than twice as many lines
// as live records (plus compactSlack), Flush rewrites it whole instead,
// atomically (a temporary file, fsynced, renamed over it, the directory
// fsynced), sorted by subnet and address, tombstones and superseded lines
// gone: the format of the files older versions wrote and read. Compact does
// the same on demand, e.g. when the node stops.
//
// A crash in the middle of an append leaves a last line that fails its
// check: reading skips and reports it and keeps the lines before it; the
// changes of that Flush are lost, in part or in whole. A crash in the
// middle of a rewrite leaves the old file or the new one. After a load
// that skipped lines, or found a last line without its newline, or after
// a failed write (which may have left part of a line), the next Flush
// rewrites the file whole, so that no append follows a broken line.
//
// Changes are tracked per slot of l.recs: a slot changed since the last
// Flush is flagged recDirty and listed once in l.dirty (so the list never
// holds more entries than there are slots); a slot whose record has a line
// in the file is flagged recInFile, and only such a record leaves a
// tombstone when it is removed. A record added and removed between two
// Flushes leaves nothing.

// Journal flags of a record (lease.journal).
const (
	recDirty  uint8 = 1 << iota // listed in l.dirty
	recInFile                   // the file has a line for this record
)

// tombKind is the kind field of a tombstone line.
const tombKind = "free"

// compactSlack is the number of superseded lines the file may hold beyond
// the live records before a Flush compacts it: it is rewritten when it
// holds more than 2×records + compactSlack lines.
const compactSlack = 1024

// tomb is a record removed since the last Flush whose line is in the file.
type tomb struct {
	expires int64
	ip      uint32
	mac     MAC
	subnet  uint16
}

// fileState is what Flush knows of dir/leases; it is guarded by flushMu.
type fileState struct {
	exists  bool // dir/leases exists, its lines whole
	lines   int  // record and tombstone lines in it (live or superseded)
	rewrite bool // the next Flush rewrites it whole, even without changes

	// Buffers reused from one append to the next.
	recs  []lease
	tombs []tomb
	buf   []byte
}

// Buffers bigger than these are dropped after use rather than kept.
const (
	keepRecs = 4096
	keepBuf  = 1 << 20
)

// markDirty lists slot i for the next Flush. l.mu is held.
func (l *Leases) markDirty(i int32) {
	if !l.track {
		return
	}
	if r := &l.recs[i]; r.journal&recDirty == 0 {
		r.journal |= recDirty
		l.dirty = append(l.dirty, i)
	}
}

// Flush writes the changes made since the last Flush to dir/leases: one
// line per record changed, one tombstone per record removed, appended to
// the file in one write and fsynced. Its cost is the number of changes,
// whatever the number of leases. It compacts the file (rewrites it whole,
// atomically) when superseded lines outnumber the live ones (see above),
// and after a load or a write that left broken lines. Any number of
// changes between two calls costs one write: the caller calls it on a
// timer (every 200 ms, say) and when it stops. It does nothing when
// nothing changed, and for a Leases without a directory. The leases stay
// usable during the write: it holds their lock only to copy the changed
// records. On error, the next Flush rewrites the file whole.
func (l *Leases) Flush() error { return l.flush(false) }

// Compact rewrites dir/leases whole, atomically, with the live records
// only, sorted by subnet and address: no tombstones, no superseded lines,
// the file format of versions before the journal. It writes nothing when
// the file already holds exactly the live records. The node may call it
// when it stops (after the last Flush, or instead of it): the next start
// reads a smaller file. Flush compacts on its own when needed, so calling
// Compact is never required. It does nothing for a Leases without a
// directory.
func (l *Leases) Compact() error { return l.flush(true) }

func (l *Leases) flush(compact bool) error {
	if l.dir == "" {
		return nil
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	f := &l.file
	l.mu.Lock()
	pending := len(l.dirty) + len(l.tombs)
	full := f.rewrite ||
		pending > 0 && (!f.exists || f.lines+pending > 2*l.n+compactSlack) ||
		compact && (pending > 0 || f.lines != l.n)
	if !full && pending == 0 {
		l.mu.Unlock()
		return nil
	}
	if full {
		recs := l.snapshotLocked()
		for i := range l.recs {
			if r := &l.recs[i]; r.kind != 0 {
				r.journal = recInFile
			} else {
				r.journal = 0
			}
		}
		l.dirty = l.dirty[:0]
		l.resetTombsLocked()
		subnets, ports := l.subnets, l.ports // append-only: the prefix never changes
		l.mu.Unlock()

		data := formatLeases(recs, subnets, ports)
		if err := writeFileAtomic(l.dir, leaseFileName, data); err != nil {
			f.rewrite = true
			return fmt.Errorf("lease file: %w", err)
		}
		f.exists, f.lines, f.rewrite = true, len(recs), false
		l.writes.Add(1)
		l.written.Add(uint64(len(data)))
		return nil
	}

	// Append: copy the changed records and the tombstones, then format and
	// write them without the lock.
	recs := f.recs[:0]
	for _, i := range l.dirty {
		r := &l.recs[i]
		r.journal &^= recDirty
		if r.kind != 0 {
			r.journal |= recInFile
			recs = append(recs, *r)
		}
	}
	l.dirty = l.dirty[:0]
	tombs := append(f.tombs[:0], l.tombs...)
	l.resetTombsLocked()
	subnets, ports := l.subnets, l.ports
	l.mu.Unlock()

	if len(recs)+len(tombs) == 0 {
		return nil // records added and removed since the last Flush
	}
	b := f.buf[:0]
	for i := range tombs {
		t := &tombs[i]
		b = appendTombLine(b, t, subnets[t.subnet])
	}
	for i := range recs {
		b = appendLeaseLine(b, &recs[i], subnets[recs[i].subnet], ports[recs[i].port])
	}
	err := appendFile(filepath.Join(l.dir, leaseFileName), b)
	f.lines += len(recs) + len(tombs)
	n := len(b)
	clear(recs) // no hostnames kept alive
	f.recs, f.tombs, f.buf = keep(recs, keepRecs), keep(tombs, keepRecs), keep(b, keepBuf)
	if err != nil {
		f.rewrite = true // part of a line may have been written
		return fmt.Errorf("lease file: %w", err)
	}
	l.writes.Add(1)
	l.written.Add(uint64(n))
	return nil
}

// resetTombsLocked empties l.tombs, dropping a big array.
func (l *Leases) resetTombsLocked() {
	l.tombs = keep(l.tombs[:0], keepRecs)
}

// keep returns s emptied, or nil when its array is bigger than max.
func keep[S ~[]E, E any](s S, max int) S {
	if cap(s) > max {
		return nil
	}
	return s[:0]
}

// appendFile appends data to the existing file path and fsyncs it.
func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// appendTombLine appends a tombstone line and its newline.
func appendTombLine(b []byte, t *tomb, subnet string) []byte {
	start := len(b)
	b = appendExpires(b, t.expires)
	b = append(b, ' ')
	b = appendEscaped(b, subnet)
	b = append(b, ' ')
	b = appendMAC(b, t.mac)
	b = append(b, ' ')
	b = addr4(t.ip).AppendTo(b)
	b = append(b, " "+tombKind+" - -"...)
	return appendCheck(b, start)
}

// appendExpires appends the expires field.
func appendExpires(b []byte, expires int64) []byte {
	if expires == Never {
		return append(b, "never"...)
	}
	return time.Unix(0, expires).UTC().AppendFormat(b, time.RFC3339Nano)
}

// appendMAC appends m as MAC.String writes it.
func appendMAC(b []byte, m MAC) []byte {
	const hex = "0123456789abcdef"
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&0xf])
	}
	return b
}

// appendCheck appends the check field of the line started at b[start:],
// and the newline.
func appendCheck(b []byte, start int) []byte {
	const hex = "0123456789abcdef"
	sum := crc32.ChecksumIEEE(b[start:])
	b = append(b, ' ')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hex[sum>>shift&0xf])
	}
	return append(b, '\n')
}
