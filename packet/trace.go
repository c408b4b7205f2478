package packet

import (
	"fmt"
	"strings"
)

// MaxTraceSteps is how many steps a Trace keeps; later ones are counted but
// not stored.
const MaxTraceSteps = 32

// Step is one decision taken about a traced frame by one element of the
// pipeline.
type Step struct {
	Element  string // e.g. "port:vm1", "br-int", "uplink:physnet1"
	Decision string // e.g. "learn", "forward", "flood", "drop"
	Detail   string
}

// Trace is the log of a traced frame. Untraced frames carry a nil *Trace
// and pay one branch per hook.
type Trace struct {
	Steps   [MaxTraceSteps]Step
	N       int
	Dropped int
}

// Add records a step.
func (t *Trace) Add(element, decision, detail string) {
	if t.N == len(t.Steps) {
		t.Dropped++
		return
	}
	t.Steps[t.N] = Step{element, decision, detail}
	t.N++
}

// Addf records a step with a formatted detail; it is for traced frames only.
func (t *Trace) Addf(element, decision, format string, args ...any) {
	t.Add(element, decision, fmt.Sprintf(format, args...))
}

// Reset empties the trace.
func (t *Trace) Reset() { t.N, t.Dropped = 0, 0 }

// String renders the trace one step a line.
func (t *Trace) String() string {
	var b strings.Builder
	for i := 0; i < t.N; i++ {
		s := t.Steps[i]
		fmt.Fprintf(&b, "%2d. %-18s %-10s %s\n", i+1, s.Element, s.Decision, s.Detail)
	}
	if t.Dropped > 0 {
		fmt.Fprintf(&b, "    (%d more steps not kept)\n", t.Dropped)
	}
	return b.String()
}
