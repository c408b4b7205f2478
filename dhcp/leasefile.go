package dhcp

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The lease file, DIR/leases, is text with one record a line:
//
//	# neutrino DHCP leases v1: expires subnet mac ip kind port hostname crc32
//	2026-01-01T12:00:00.5Z demo-subnet fa:16:3e:00:00:01 91.1.180.100 pool vm1 web1 7c0a51e2
//	never demo-subnet fa:16:3e:00:00:02 91.1.180.14 static vm2 - 0a1b2c3d
//
// Fields are separated by one space:
//
//   - expires: RFC 3339 UTC time with nanoseconds, or "never";
//   - subnet: the subnet's name;
//   - mac: six hex pairs (00:00:00:00:00:00 for a declined address);
//   - ip: the IPv4 address;
//   - kind: offered, pool, static or declined; free for a tombstone;
//   - port: the port the client asked on;
//   - hostname: option 12 as the client sent it;
//   - crc32: the IEEE CRC-32 of everything before the space in front of it,
//     8 lower-case hex digits.
//
// In subnet, port and hostname an empty value is "-", and a space, '%', '-'
// alone, a control or a non-ASCII byte is written %XX. Lines starting with
// '#' and empty lines are ignored. A line that fails its check (truncated
// or corrupt) is skipped and reported with its number; the others are
// kept. The file is a journal (journal.go): lines apply in order, a record
// replaces any earlier one with the same (subnet, MAC) or (subnet, IP), a
// tombstone (kind free) removes the record of its (subnet, IP).
const (
	leaseFileName   = "leases"
	leaseTempPrefix = "leases.tmp-"
	leaseFileHeader = "# neutrino DHCP leases v1: expires subnet mac ip kind port hostname crc32\n"
	leaseFields     = 8
)

// OpenLeases reads dir/leases into a new Leases whose Flush writes there.
// A missing dir is created; a dir that is not writable is an error, found
// with a probe file (removed at once) rather than at the first Flush. Lines
// that fail their check are skipped and returned, one error each naming
// the line, and logged; the file is rewritten without them at the next
// Flush (so is a file with many superseded lines). log may be nil.
func OpenLeases(dir string, log *slog.Logger) (*Leases, []error, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("lease directory %s is not writable: can't create it: %w", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, nil, fmt.Errorf("lease directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	if stale, _ := filepath.Glob(filepath.Join(dir, leaseTempPrefix+"*")); len(stale) > 0 {
		for _, f := range stale { // left by a crash during a Flush
			os.Remove(f)
		}
	}

	l := NewLeases()
	l.dir, l.log = dir, log
	path := filepath.Join(dir, leaseFileName)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("lease file: %w", err)
	}
	var skipped []error
	if err == nil {
		var lines int
		skipped, lines = l.load(data, path)
		for _, e := range skipped {
			log.Warn("lease file: line skipped", "err", e)
		}
		l.file = fileState{
			exists: len(data) > 0, // else written whole, with its header
			lines:  lines,
			// No append after a broken line; a file made mostly of
			// superseded lines is compacted at the first Flush.
			rewrite: len(skipped) > 0 || len(data) > 0 && data[len(data)-1] != '\n' || lines > 2*l.n+compactSlack,
		}
	}
	l.mu.Lock()
	for i := range l.recs {
		if l.recs[i].kind != 0 {
			l.recs[i].journal = recInFile
		}
	}
	l.track = true
	l.mu.Unlock()
	return l, skipped, nil
}

// load applies the lines of a lease file, in order, and returns the lines
// skipped and the number of lines (other than comments and empty lines).
func (l *Leases) load(data []byte, name string) (skipped []error, lines int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		lines++
		if err := l.loadLine(string(line)); err != nil {
			skipped = append(skipped, fmt.Errorf("%s:%d: %w", name, n, err))
		}
	}
	return skipped, lines
}

// ErrLeaseLine is wrapped by the errors of skipped lease file lines.
var ErrLeaseLine = errors.New("bad lease line")

// loadLine checks and applies one line: a record replaces those with its
// (subnet, MAC) or (subnet, IP), a tombstone removes the one with its
// (subnet, IP).
func (l *Leases) loadLine(line string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrLeaseLine, fmt.Sprintf(format, args...))
	}
	i := strings.LastIndexByte(line, ' ')
	if i < 0 {
		return bad("no check field (truncated?)")
	}
	sum, err := strconv.ParseUint(line[i+1:], 16, 32)
	if err != nil || len(line)-i-1 != 8 {
		return bad("check field %q is not 8 hex digits (truncated?)", line[i+1:])
	}
	if crc32.ChecksumIEEE([]byte(line[:i])) != uint32(sum) {
		return bad("check sum mismatch (corrupt or truncated)")
	}
	f := strings.Split(line[:i], " ")
	if len(f) != leaseFields-1 {
		return bad("%d fields, want %d", len(f)+1, leaseFields)
	}
	var r lease
	if f[0] == "never" {
		r.expires = Never
	} else {
		t, err := time.Parse(time.RFC3339Nano, f[0])
		if err != nil {
			return bad("expires %q: not an RFC 3339 time or never", f[0])
		}
		r.expires = t.UnixNano()
	}
	subnet, err := unescapeField(f[1])
	if err != nil || subnet == "" {
		return bad("subnet %q: %v", f[1], cmp.Or(err, errors.New("empty")))
	}
	if r.mac, err = ParseMAC(f[2]); err != nil {
		return bad("mac: %v", err)
	}
	ip, err := netip.ParseAddr(f[3])
	if err != nil || !ip.Is4() {
		return bad("ip %q is not an IPv4 address", f[3])
	}
	r.ip = u32(ip)
	tombstone := f[4] == tombKind
	if r.kind = parseKind(f[4]); r.kind == 0 && !tombstone {
		return bad("kind %q is not offered, pool, static, declined or free", f[4])
	}
	if !tombstone && (r.kind == kindDeclined) != (r.mac == MAC{}) {
		return bad("only a declined address has the zero MAC")
	}
	port, err := unescapeField(f[5])
	if err != nil {
		return bad("port %q: %v", f[5], err)
	}
	if r.hostname, err = unescapeField(f[6]); err != nil {
		return bad("hostname %q: %v", f[6], err)
	}
	if len(r.hostname) > maxHostname || strings.ContainsFunc(r.hostname, func(c rune) bool { return c > 0x7f || !hostnameChar(byte(c)) }) {
		return bad("hostname %q: not a host name", r.hostname)
	}
	sid, ok := l.subnetIDs[subnet]
	if tombstone {
		if ok {
			if ri := l.byIPRec(sid, r.ip); ri >= 0 {
				l.remove(ri)
			}
		}
		return nil
	}
	if !ok && len(l.subnets) >= 1<<16 {
		return bad("too many subnets")
	}
	r.subnet = l.subnetIDLocked(subnet)
	if r.kind != kindDeclined {
		if ri := l.byMACRec(r.subnet, r.mac); ri >= 0 {
			l.remove(ri) // superseded
		}
	}
	if ri := l.byIPRec(r.subnet, r.ip); ri >= 0 {
		l.remove(ri)
	}
	r.port = l.portID(port)
	l.insert(r)
	return nil
}

func parseKind(s string) leaseKind {
	for k, name := range kindNames {
		if name != "" && name == s {
			return leaseKind(k)
		}
	}
	return 0
}

// snapshot copies the records in use.
func (l *Leases) snapshot() []lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapshotLocked()
}

func (l *Leases) snapshotLocked() []lease {
	recs := make([]lease, 0, l.n)
	for i := range l.recs {
		if l.recs[i].kind != 0 {
			recs = append(recs, l.recs[i])
		}
	}
	return recs
}

// formatLeases writes records in the file format, sorted by subnet name and
// address: a whole file, for a compaction.
func formatLeases(recs []lease, subnets, ports []string) []byte {
	slices.SortFunc(recs, func(a, b lease) int {
		return cmp.Or(cmp.Compare(subnets[a.subnet], subnets[b.subnet]), cmp.Compare(a.ip, b.ip))
	})
	b := make([]byte, 0, len(leaseFileHeader)+len(recs)*100)
	b = append(b, leaseFileHeader...)
	for i := range recs {
		b = appendLeaseLine(b, &recs[i], subnets[recs[i].subnet], ports[recs[i].port])
	}
	return b
}

// appendLeaseLine appends one record and its newline.
func appendLeaseLine(b []byte, r *lease, subnet, port string) []byte {
	start := len(b)
	b = appendExpires(b, r.expires)
	b = append(b, ' ')
	b = appendEscaped(b, subnet)
	b = append(b, ' ')
	b = appendMAC(b, r.mac)
	b = append(b, ' ')
	b = addr4(r.ip).AppendTo(b)
	b = append(b, ' ')
	b = append(b, kindNames[r.kind]...)
	b = append(b, ' ')
	b = appendEscaped(b, port)
	b = append(b, ' ')
	b = appendEscaped(b, r.hostname)
	return appendCheck(b, start)
}

// appendEscaped writes a name field: "-" for empty, %XX for bytes that
// would break the line.
func appendEscaped(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	if s == "-" {
		return append(b, "%2D"...)
	}
	const hex = "0123456789ABCDEF"
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '%' {
			b = append(b, '%', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}

// unescapeField reverses appendEscaped.
func unescapeField(s string) (string, error) {
	if s == "-" {
		return "", nil
	}
	if s == "" {
		return "", errors.New("empty field")
	}
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("truncated %XX escape")
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", errors.New("bad %XX escape")
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), nil
}

// writeFileAtomic replaces dir/name with data so that a crash leaves the
// old content or the new, never a mix.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, leaseTempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
