package defrag

// Outcome is what Add did with a fragment. The values and their names are
// stable: Stats counts fragments per outcome.
type Outcome uint8

// The outcomes of Add. Held, Complete and Duplicate keep the datagram's
// state (Complete by handing the datagram over); Overlap, TooBig,
// TooManyFragments, ECNMismatch and ShortBuffer drop the datagram the
// fragment belongs to together with the fragment; TableFull drops the
// fragment and, when the datagram itself can never fit, the datagram;
// Malformed drops the fragment alone unless it contradicts what the
// datagram's earlier fragments said, and then the datagram too;
// NotFragment drops nothing.
const (
	Held             Outcome = iota // kept: the datagram waits for more fragments
	Complete                        // the whole datagram is written to dst and its state freed
	Duplicate                       // an exact copy (same offset and end) of a held fragment: dropped, the datagram kept
	Overlap                         // overlaps held data without being an exact copy
	TooBig                          // the datagram would be longer than 65535 bytes
	TooManyFragments                // the datagram would have more than MaxFragments fragments
	TableFull                       // the fragment's buffer cannot fit in MaxBytes even after evicting every other datagram
	Malformed                       // bad header, length, checksum or alignment, or an end that contradicts earlier fragments
	ECNMismatch                     // fragments mixed Not-ECT with ECT or CE (RFC 3168, section 5.3)
	ShortBuffer                     // dst cannot hold the reassembled datagram
	NotFragment                     // neither MF nor an offset: the caller's mistake, nothing is touched
	NumOutcomes                     // number of values above, for counter arrays
)

var outcomeNames = [NumOutcomes]string{
	Held:             "held",
	Complete:         "complete",
	Duplicate:        "duplicate",
	Overlap:          "overlap",
	TooBig:           "too_big",
	TooManyFragments: "too_many_fragments",
	TableFull:        "table_full",
	Malformed:        "malformed",
	ECNMismatch:      "ecn_mismatch",
	ShortBuffer:      "short_buffer",
	NotFragment:      "not_fragment",
}

// String returns the outcome's snake_case name, used as a counter name;
// values from NumOutcomes on give "unknown".
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Verdict is the result of Add for one fragment.
type Verdict struct {
	Outcome Outcome
	// MaxFragSize is, on Complete, the total length (header included) of
	// the largest fragment the datagram arrived in: Linux's
	// IPCB(skb)->frag_max_size, the size to refragment to on the way out
	// so that reassembly does not make the datagram grow past a path MTU
	// the sender already met. Zero for every other outcome.
	MaxFragSize int
}
