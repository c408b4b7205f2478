package firewall

import (
	"encoding/binary"
	"sync"
)

// Memo compiles rule lists, each distinct one once: ports whose groups
// resolve to the same rules (the members of a group without a remote
// group, or of one whose remote group they are not in) share one Set,
// which is immutable. The zero Memo is ready; it is safe for concurrent
// use and grows with the distinct lists it has compiled.
type Memo struct {
	mu   sync.Mutex
	sets map[string]*Set
}

// Compile is Compile(rules), the Set of an equal list compiled before
// when there was one. Errors are not remembered.
func (m *Memo) Compile(rules []Rule) (*Set, error) {
	key := rulesKey(rules)
	m.mu.Lock()
	s := m.sets[key]
	m.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := Compile(rules)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.sets == nil {
		m.sets = map[string]*Set{}
	}
	m.sets[key] = s
	m.mu.Unlock()
	return s, nil
}

// rulesKey encodes every field of rules: equal keys, equal lists.
func rulesKey(rules []Rule) string {
	b := binary.AppendUvarint(nil, uint64(len(rules)))
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, r := range rules {
		str(r.Group)
		str(r.RemoteGroup)
		flags := byte(0)
		if r.Ingress {
			flags |= 1
		}
		if r.IPv6 {
			flags |= 2
		}
		b = append(b, flags)
		for _, v := range [...]int{r.Index, r.Protocol, r.PortMin, r.PortMax, len(r.Remote)} {
			b = binary.AppendVarint(b, int64(v))
		}
		for _, p := range r.Remote {
			a, _ := p.Addr().AppendBinary(nil) // 0, 4 or 16 bytes and a zone
			str(string(a))
			b = append(b, byte(p.Bits()))
		}
	}
	return string(b)
}
