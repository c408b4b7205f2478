package firewall

// keyMap cuts the 65536 keys of one protocol into disjoint intervals, each
// with the cell of the rules allowing its keys. Neighbouring intervals
// have cells of different rules.
type keyMap struct {
	// starts holds the first key of each interval, ascending; starts[0]
	// is 0 and the last interval ends at 0xffff.
	starts []uint16
	// jump is nil when there are few intervals. Otherwise it has 257
	// entries: jump[h] is the interval holding key h<<8, and jump[256] the
	// last interval, so a key's interval is found by a binary search of
	// the intervals of its high byte only.
	jump  []uint16 // interval indexes fit: there are at most 65536 intervals
	cells []cell   // cells[i] is the cell of interval i
}

// jumpAbove is the number of intervals above which a keyMap gets a jump
// table; below it a binary search over all of them is as quick.
const jumpAbove = 8

// find returns the index of the interval holding key.
func (k *keyMap) find(key uint16) int {
	lo, hi := 0, len(k.starts)
	if k.jump != nil {
		h := int(key >> 8)
		lo, hi = int(k.jump[h]), int(k.jump[h+1])+1
	}
	// starts[lo] <= key, and key < starts[lo+n] when that exists. The
	// loop halves n without a branch on the comparison, which would be
	// mispredicted half the time.
	for n := hi - lo; n > 1; {
		half := n >> 1
		if k.starts[lo+half] <= key {
			lo += half
		}
		n -= half
	}
	return lo
}

// add appends the interval starting at start with cell c. Intervals must
// be added in ascending order, the first at 0.
func (k *keyMap) add(start uint16, c cell) {
	k.starts = append(k.starts, start)
	k.cells = append(k.cells, c)
}

// finish builds the jump table when there are enough intervals, and trims
// the slices to their length.
func (k *keyMap) finish() {
	k.starts = k.starts[:len(k.starts):len(k.starts)]
	k.cells = k.cells[:len(k.cells):len(k.cells)]
	if len(k.starts) <= jumpAbove {
		return
	}
	k.jump = make([]uint16, 257)
	i := 0
	for h := range 256 {
		key := uint16(h) << 8
		for i+1 < len(k.starts) && k.starts[i+1] <= key {
			i++
		}
		k.jump[h] = uint16(i)
	}
	k.jump[256] = uint16(len(k.starts) - 1)
}
