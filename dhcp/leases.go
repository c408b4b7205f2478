package dhcp

import (
	"cmp"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Never is the expiry of an infinite lease.
const Never int64 = math.MaxInt64

// How long addresses stay set aside, in nanoseconds.
const (
	// DeclineHold is how long an address a client declined (it found the
	// address in use) is not offered.
	DeclineHold = int64(10 * time.Minute)
	// OfferHold is how long an offered address stays reserved for the
	// client before its REQUEST.
	OfferHold = int64(time.Minute)
	// RetainExpired is how long Expire keeps the record of an expired
	// lease, so that its client gets the same address back.
	RetainExpired = int64(24 * time.Hour)
)

// leaseKind is what a record holds. The zero kind is a free slot.
type leaseKind uint8

const (
	kindOffered  leaseKind = iota + 1 // a pool address offered, not yet requested
	kindPool                          // a pool address leased (ACKed)
	kindStatic                        // a static host's address leased
	kindDeclined                      // an address set aside after a DECLINE; no MAC
)

var kindNames = [...]string{kindOffered: "offered", kindPool: "pool", kindStatic: "static", kindDeclined: "declined"}

// countsForPort reports whether a record of kind k counts against its
// port's Limits.MaxPoolLeasesPerPort.
func (k leaseKind) countsForPort() bool { return k == kindOffered || k == kindPool }

// lease is one record, 48 bytes. Subnets and ports are interned.
type lease struct {
	expires  int64  // Unix ns; Never for infinite
	hostname string // option 12 as the client sent it (sanitized)
	port     uint32 // interned port name; 0 = none
	ip       uint32
	mac      MAC
	subnet   uint16 // interned subnet name
	kind     leaseKind
	journal  uint8 // recDirty, recInFile: the lease file's view of the slot
}

// key32 is a map key of two uint32, 4-byte aligned so that a map slot with
// an int32 value is 12 bytes, not 16.
type key32 struct{ hi, lo uint32 }

func macKey(subnet uint16, m MAC) key32 {
	return key32{uint32(subnet)<<16 | uint32(m[0])<<8 | uint32(m[1]), be32(m[2:])}
}

func ipKey(subnet uint16, ip uint32) key32 { return key32{uint32(subnet), ip} }

// Leases holds the leases of every subnet of the node, keyed by subnet
// name, so that one Leases serves several networks' Servers and outlives
// them (a reload builds new Servers around the same Leases). It is safe for
// concurrent use.
//
// A lease's address is free again once it expires, but the record stays
// (until its address is given to another client, or Expire forgets it
// after RetainExpired), so that a client whose lease ran out gets the same
// address back.
type Leases struct {
	mu    sync.Mutex
	recs  []lease
	free  []int32 // free slots of recs
	byMAC map[key32]int32
	byIP  map[key32]int32
	n     int // records in use

	subnets   []string
	subnetIDs map[string]uint16
	ports     []string // ports[0] = ""
	portIDs   map[string]uint32
	portPool  []int32 // per port: records that countsForPort

	// The file, when opened with OpenLeases (journal.go).
	dir     string
	log     *slog.Logger
	track   bool    // record changes for Flush (set by OpenLeases)
	dirty   []int32 // slots changed since the last Flush, each once (recDirty)
	tombs   []tomb  // records removed since the last Flush whose line is in the file
	flushMu sync.Mutex
	file    fileState // under flushMu
	writes  atomic.Uint64
	written atomic.Uint64 // bytes
}

// NewLeases returns an empty in-memory Leases: no file, Flush does nothing.
func NewLeases() *Leases {
	return &Leases{
		byMAC:     map[key32]int32{},
		byIP:      map[key32]int32{},
		subnetIDs: map[string]uint16{},
		ports:     []string{""},
		portIDs:   map[string]uint32{"": 0},
		portPool:  []int32{0},
	}
}

// LeaseInfo is one lease, as `neutrino show leases` prints it.
type LeaseInfo struct {
	MAC      MAC
	IP       netip.Addr
	Hostname string // option 12 as the client sent it, "" when none
	Subnet   string
	Port     string // the port the client asked on
	Expires  int64  // Unix ns; Never for an infinite lease
	Static   bool   // a static host's fixed address (else a pool address)
}

// List returns the leases in force at now, sorted by subnet and address.
// Offers not yet requested and declined addresses are not leases.
func (l *Leases) List(now int64) []LeaseInfo {
	var out []LeaseInfo
	l.Each(now, func(li LeaseInfo) bool {
		out = append(out, li)
		return true
	})
	slices.SortFunc(out, func(a, b LeaseInfo) int {
		return cmp.Or(cmp.Compare(a.Subnet, b.Subnet), a.IP.Compare(b.IP))
	})
	return out
}

// eachChunk is how many records Each copies under the lock at a time.
const eachChunk = 256

// Each calls f for every lease at now (pool and static, not expired), in
// no particular order, until f returns false. It copies a chunk of records
// at a time under the lock and calls f outside it, so a caller streaming a
// large table holds neither the lock nor memory proportional to the
// table. Leases that change meanwhile may be seen in either state.
func (l *Leases) Each(now int64, f func(LeaseInfo) bool) {
	var chunk [eachChunk]LeaseInfo
	for next := 0; ; {
		k := 0
		l.mu.Lock()
		for ; next < len(l.recs) && k < len(chunk); next++ {
			r := &l.recs[next]
			if (r.kind != kindPool && r.kind != kindStatic) || r.expires <= now {
				continue
			}
			chunk[k] = LeaseInfo{
				MAC: r.mac, IP: addr4(r.ip), Hostname: r.hostname,
				Subnet: l.subnets[r.subnet], Port: l.ports[r.port],
				Expires: r.expires, Static: r.kind == kindStatic,
			}
			k++
		}
		done := next >= len(l.recs)
		l.mu.Unlock()
		for i := range k {
			if !f(chunk[i]) {
				return
			}
		}
		if done {
			return
		}
	}
}

// Len returns the number of records: leases, expired leases still
// remembered, offers and declined addresses.
func (l *Leases) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Expire forgets offers and declines whose time is over and leases expired
// for longer than RetainExpired, and returns how many records it removed.
// Servers don't need it to reuse addresses (an expired lease's address is
// free at once); it keeps the table and the file small.
func (l *Leases) Expire(now int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i := range l.recs {
		r := &l.recs[i]
		switch r.kind {
		case kindOffered, kindDeclined:
			if r.expires > now {
				continue
			}
		case kindPool, kindStatic:
			if r.expires == Never || r.expires > now-RetainExpired {
				continue
			}
		default:
			continue
		}
		l.remove(int32(i))
		n++
	}
	return n
}

// subnetID interns a subnet name.
func (l *Leases) subnetID(name string) uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.subnetIDLocked(name)
}

func (l *Leases) subnetIDLocked(name string) uint16 {
	if id, ok := l.subnetIDs[name]; ok {
		return id
	}
	id := uint16(len(l.subnets))
	l.subnets = append(l.subnets, name)
	l.subnetIDs[name] = id
	return id
}

// portID interns a port name. l.mu is held.
func (l *Leases) portID(name string) uint32 {
	if id, ok := l.portIDs[name]; ok {
		return id
	}
	id := uint32(len(l.ports))
	l.ports = append(l.ports, name)
	l.portIDs[name] = id
	l.portPool = append(l.portPool, 0)
	return id
}

// The methods below run with l.mu held.

// byMACRec returns the record of mac on subnet, or -1.
func (l *Leases) byMACRec(subnet uint16, mac MAC) int32 {
	if i, ok := l.byMAC[macKey(subnet, mac)]; ok {
		return i
	}
	return -1
}

// byIPRec returns the record holding ip on subnet, or -1.
func (l *Leases) byIPRec(subnet uint16, ip uint32) int32 {
	if i, ok := l.byIP[ipKey(subnet, ip)]; ok {
		return i
	}
	return -1
}

// insert adds a record; the caller has removed any record with the same
// (subnet, MAC) or (subnet, IP).
func (l *Leases) insert(r lease) int32 {
	var i int32
	if n := len(l.free); n > 0 {
		i = l.free[n-1]
		l.free = l.free[:n-1]
		r.journal = l.recs[i].journal & recDirty // the slot may be listed in l.dirty
		l.recs[i] = r
	} else {
		i = int32(len(l.recs))
		l.recs = append(l.recs, r)
	}
	if r.kind != kindDeclined {
		l.byMAC[macKey(r.subnet, r.mac)] = i
	}
	l.byIP[ipKey(r.subnet, r.ip)] = i
	if r.kind.countsForPort() {
		l.portPool[r.port]++
	}
	l.n++
	l.markDirty(i)
	return i
}

// remove frees record i.
func (l *Leases) remove(i int32) {
	r := &l.recs[i]
	if r.kind != kindDeclined {
		delete(l.byMAC, macKey(r.subnet, r.mac))
	}
	delete(l.byIP, ipKey(r.subnet, r.ip))
	if r.kind.countsForPort() {
		l.portPool[r.port]--
	}
	if r.journal&recInFile != 0 {
		l.tombs = append(l.tombs, tomb{expires: r.expires, ip: r.ip, mac: r.mac, subnet: r.subnet})
	}
	*r = lease{journal: r.journal & recDirty}
	l.free = append(l.free, i)
	l.n--
}

// update changes record i's kind, port and expiry, keeping the per-port
// counts right. A declined record leaves the MAC index.
func (l *Leases) update(i int32, kind leaseKind, port uint32, expires int64) {
	r := &l.recs[i]
	if r.kind.countsForPort() {
		l.portPool[r.port]--
	}
	if kind == kindDeclined && r.kind != kindDeclined {
		delete(l.byMAC, macKey(r.subnet, r.mac))
		r.mac = MAC{}
		r.hostname = ""
	}
	r.kind, r.port, r.expires = kind, port, expires
	if kind.countsForPort() {
		l.portPool[port]++
	}
	l.markDirty(i)
}

// portFull reports whether port holds limit or more pool addresses in
// force at now. The count kept per port includes expired records, so only
// a port at its limit pays for a recount.
func (l *Leases) portFull(port uint32, limit int, now int64) bool {
	if limit < 0 || int(l.portPool[port]) < limit {
		return false
	}
	n := 0
	for i := range l.recs {
		r := &l.recs[i]
		if r.port == port && r.kind.countsForPort() && r.expires > now {
			n++
		}
	}
	return n >= limit
}

// maxHostname is the longest client hostname kept (a DNS label).
const maxHostname = 63

// setHostname records the hostname a client sent (option 12), keeping only
// the characters of a host name so that it prints and stores safely.
func (l *Leases) setHostname(i int32, h []byte) {
	r := &l.recs[i]
	if len(h) > maxHostname {
		h = h[:maxHostname]
	}
	clean := true
	for _, c := range h {
		clean = clean && hostnameChar(c)
	}
	if clean {
		if string(h) != r.hostname { // no allocation for the comparison
			r.hostname = string(h)
			l.markDirty(i)
		}
		return
	}
	b := make([]byte, 0, len(h))
	for _, c := range h {
		if hostnameChar(c) {
			b = append(b, c)
		}
	}
	if string(b) != r.hostname {
		r.hostname = string(b)
		l.markDirty(i)
	}
}

func hostnameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}
