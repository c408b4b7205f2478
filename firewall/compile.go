package firewall

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
)

// Rule classes. Each cell keeps its rules of each class apart, in a part
// of its own, so that what many intervals share is stored once. Class
// broad holds the rules allowing every key of their protocol, such as
// any-protocol rules, which are in every interval, and the rules with
// many prefixes (remote groups), which may be in many. Within one
// protocol the first kind are the same in every interval, so broad parts
// are few however many intervals there are. Class narrow holds the rest:
// rules with a port or icmp range and few prefixes, usually only a few of
// them in an interval.
const (
	narrow   = iota // a port or icmp range, and few prefixes
	broad           // every key of its protocol, or many prefixes
	nClasses        // the number of classes
)

// heavyPrefixes is the number of IPv4 remote prefixes from which a rule is
// in class broad whatever its key range.
const heavyPrefixes = 16

// rawLimit bounds the prefixes gathered while compiling, before merging,
// so that rules far beyond MaxEntries fail quickly.
const rawLimit = 16 * MaxEntries

// ruleInfo is a rule of one direction that can match an IPv4 packet.
type ruleInfo struct {
	proto  int // protoAny or 0-255
	lo, hi uint16
	pfx    []entry // its IPv4 remote prefixes, labelled with its id
	class  int     // narrow or broad
	pos    int     // its bit in its class's rule sets
}

// ruleClass is the rules of one direction and class, and the parts of
// their sets compiled so far, by set.
type ruleClass struct {
	rules []*ruleInfo     // by pos
	parts map[string]part // by setKey of the set
}

// builder holds what compiling both directions of a Set shares.
type builder struct {
	entries int  // entries in distinct parts so far
	raw     int  // prefixes gathered so far
	over    bool // entries > MaxEntries: count on, build nothing more
	giveUp  bool // raw > rawLimit: stop
	// byContent holds the distinct parts by their entries: sets of rules
	// differing only in rules whose prefixes all have entries of earlier
	// rules (a remote group in several rules) compile to the same part.
	byContent map[string]part
	cells     map[[nClasses]int]cell  // by the ids of their parts
	tables    map[string]*prefixTable // by prefixes and ranks
	es        []entry
	stack     []entry
	key       []byte
	arena     []short // for the cells' few prefixes
}

// Compile compiles a port's rules, both directions, into a Set. The rules'
// order is kept: Match returns the first rule in it that allows a packet.
// Rules need not be valid: one that cannot match an IPv4 packet (IPv6, a
// protocol outside -1 to 255, an empty port range, no IPv4 remote prefix)
// is kept in Rules but never matches.
//
// The only error is ErrTooLarge (wrapped with the count), when the rules
// would compile to more than MaxEntries prefix entries.
func Compile(rules []Rule) (*Set, error) {
	s := &Set{rules: slices.Clone(rules)}
	for i := range s.rules {
		s.rules[i].Remote = slices.Clone(s.rules[i].Remote)
	}
	b := &builder{byContent: make(map[string]part), cells: make(map[[nClasses]int]cell), tables: make(map[string]*prefixTable)}
	s.ingress = b.direction(s.rules, true)
	s.egress = b.direction(s.rules, false)
	switch {
	case b.giveUp:
		return nil, fmt.Errorf("rules compile to too many prefix entries (more than %d gathered before merging, for at most %d): %w (%s)",
			rawLimit, MaxEntries, ErrTooLarge, largestRemote(rules))
	case b.over:
		return nil, fmt.Errorf("rules compile to %d prefix entries, more than %d: %w (%s)",
			b.entries, MaxEntries, ErrTooLarge, largestRemote(rules))
	}
	s.entries = b.entries
	return s, nil
}

// largestRemote names the rule with the most remote prefixes, the likely
// cause of too many entries.
func largestRemote(rules []Rule) string {
	best := -1
	for i, r := range rules {
		if best < 0 || len(r.Remote) > len(rules[best].Remote) {
			best = i
		}
	}
	if best < 0 {
		return "no rules"
	}
	r := rules[best]
	return fmt.Sprintf("largest remote: group %s rule %d, %s, %d prefixes", r.Group, r.Index, r, len(r.Remote))
}

// direction compiles the rules of one direction.
func (b *builder) direction(rules []Rule, ingress bool) Matcher {
	var classes [nClasses]ruleClass
	var infos []*ruleInfo
	for i, r := range rules {
		if r.Ingress != ingress || r.IPv6 || !r.validProtocol() {
			continue
		}
		lo, hi, ok := r.keyRange()
		if !ok {
			continue
		}
		remote := r.remote4()
		if len(remote) == 0 {
			continue
		}
		info := &ruleInfo{proto: r.Protocol, lo: lo, hi: hi}
		for _, p := range remote {
			info.pfx = append(info.pfx, newEntry(p, int32(i)))
		}
		if len(remote) >= heavyPrefixes || lo == 0 && hi == 0xffff {
			info.class = broad
		}
		c := &classes[info.class]
		info.pos = len(c.rules)
		c.rules = append(c.rules, info)
		infos = append(infos, info)
	}
	for i := range classes {
		classes[i].parts = make(map[string]part)
	}

	var m Matcher
	var named [256]bool
	var anyProto []*ruleInfo
	for _, r := range infos {
		if r.proto == protoAny {
			anyProto = append(anyProto, r)
		} else {
			named[r.proto] = true
		}
	}
	m.maps = append(m.maps, b.keyMap(&classes, anyProto))
	for p := range named {
		if !named[p] {
			continue
		}
		var rs []*ruleInfo
		for _, r := range infos {
			if r.proto == p || r.proto == protoAny {
				rs = append(rs, r)
			}
		}
		m.byProto[p] = uint16(len(m.maps))
		m.maps = append(m.maps, b.keyMap(&classes, rs))
	}
	m.maps = slices.Clip(m.maps)
	return m
}

// keyMap cuts the keys into the elementary intervals of rs's key ranges,
// sweeping them in order with the set of rules whose range covers the
// current interval, and gives each interval the cell of its set.
func (b *builder) keyMap(classes *[nClasses]ruleClass, rs []*ruleInfo) keyMap {
	points := []uint32{0}
	for _, r := range rs {
		points = append(points, uint32(r.lo), uint32(r.hi)+1)
	}
	slices.Sort(points)
	points = slices.Compact(points)
	if points[len(points)-1] > 0xffff {
		points = points[:len(points)-1]
	}
	starts := slices.Clone(rs)
	slices.SortFunc(starts, func(a, b *ruleInfo) int { return int(a.lo) - int(b.lo) })
	ends := slices.Clone(rs)
	slices.SortFunc(ends, func(a, b *ruleInfo) int { return int(a.hi) - int(b.hi) })

	var sets [nClasses][]uint64
	for i := range sets {
		sets[i] = make([]uint64, (len(classes[i].rules)+63)/64)
	}
	var k keyMap
	prev := [nClasses]int{-1}
	for _, pt := range points {
		for len(ends) > 0 && uint32(ends[0].hi) < pt {
			r := ends[0]
			sets[r.class][r.pos/64] &^= 1 << (r.pos % 64)
			ends = ends[1:]
		}
		for len(starts) > 0 && uint32(starts[0].lo) <= pt {
			r := starts[0]
			sets[r.class][r.pos/64] |= 1 << (r.pos % 64)
			starts = starts[1:]
		}
		var parts [nClasses]part
		var ids [nClasses]int
		for i := range parts {
			parts[i] = b.part(&classes[i], sets[i])
			ids[i] = parts[i].id
		}
		if ids == prev {
			continue // the same rules as the interval before: extend it
		}
		prev = ids
		c, ok := b.cells[ids]
		if !ok {
			c = newCell(parts, &b.arena)
			b.cells[ids] = c
		}
		k.add(uint16(pt), c)
	}
	k.finish()
	return k
}

// part returns the part of the rules of class c in set, compiling it the
// first time that set is seen.
func (b *builder) part(c *ruleClass, set []uint64) part {
	b.key = b.key[:0]
	for _, w := range set {
		b.key = binary.LittleEndian.AppendUint64(b.key, w)
	}
	for len(b.key) > 0 && b.key[len(b.key)-1] == 0 {
		b.key = b.key[:len(b.key)-1]
	}
	if len(b.key) == 0 || b.giveUp {
		return part{all: noRule}
	}
	if p, ok := c.parts[string(b.key)]; ok {
		return p
	}
	es := b.es[:0]
	for i, w := range set {
		for w != 0 {
			j := bits.TrailingZeros64(w)
			w &= w - 1
			es = append(es, c.rules[i*64+j].pfx...)
		}
	}
	b.raw += len(es)
	if b.raw > rawLimit {
		b.giveUp = true
		return part{all: noRule}
	}
	var kept []entry
	kept, b.stack = minimize(es, b.stack)
	b.es = es
	all := int32(noRule)
	if len(kept) > 0 && kept[0].bits == 0 {
		all = kept[0].id // only the first entry can be 0.0.0.0/0
		kept = kept[1:]
	}
	content := binary.LittleEndian.AppendUint32(nil, uint32(all))
	content = appendEntries(content, kept, nil)
	p, ok := b.byContent[string(content)]
	if !ok {
		p = b.newPart(len(b.byContent)+1, all, kept)
		b.byContent[string(content)] = p
	}
	c.parts[string(b.key)] = p
	return p
}

// newPart makes the part of minimized entries, all apart, giving it id.
// Its table, if it needs one, is shared with any part whose entries have
// the same prefixes and the same order of rule ids: only their ids, kept
// apart from the table, differ. So each rule of a remote group, alone in
// its interval, shares one table of the group's addresses.
func (b *builder) newPart(id int, all int32, kept []entry) part {
	p := part{id: id, all: all}
	if all != noRule {
		b.count(1)
	}
	if len(kept) <= fewMax {
		b.count(len(kept))
		for _, e := range kept {
			p.few = append(p.few, short{e.addr, ^uint32(0) << (32 - e.bits), e.id})
		}
		return p
	}
	ids := make([]int32, 0, 1)
	for _, e := range kept {
		ids = append(ids, e.id)
	}
	slices.Sort(ids)
	ids = slices.Clip(slices.Compact(ids))
	key := appendEntries(nil, kept, ids)
	t, ok := b.tables[string(key)]
	if !ok {
		b.count(len(kept))
		if !b.over {
			t = newTable(kept, ids)
		}
		b.tables[string(key)] = t
	}
	p.r = &ranked{t: t, ids: ids}
	return p
}

// count adds n to the entries, noting when they pass MaxEntries.
func (b *builder) count(n int) {
	b.entries += n
	if b.entries > MaxEntries {
		b.over = true
	}
}

// appendEntries appends es to key, each with its id or, when ids is not
// nil, the id's rank in ids.
func appendEntries(key []byte, es []entry, ids []int32) []byte {
	for _, e := range es {
		v := e.id
		if ids != nil {
			v = rank(ids, e.id)
		}
		key = binary.LittleEndian.AppendUint32(key, e.addr)
		key = append(key, e.bits)
		key = binary.LittleEndian.AppendUint32(key, uint32(v))
	}
	return key
}

// rank returns the index of id in the sorted ids.
func rank(ids []int32, id int32) int32 {
	i, _ := slices.BinarySearch(ids, id)
	return int32(i)
}
