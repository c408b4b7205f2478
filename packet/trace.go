package packet

import (
	"fmt"
	"strings"
)

// MaxTraceSteps is how many steps a Trace keeps; later ones are counted but
// not stored.
const MaxTraceSteps = 64

// Step is one decision taken about a traced frame by one element of the
// pipeline.
type Step struct {
	Element  string // e.g. "port:vm1", "br-int", "uplink:physnet1"
	Decision string // e.g. "learn", "forward", "flood", "drop"
	Detail   string
	Parent   int // index+1 of the step this one follows; 0 for the first
}

// Trace is the log of a traced frame, a tree: a frame flooded to several
// ports, or a reply generated from it, goes on in one branch per copy.
// Steps hang under the cursor At, which the datapath moves to the branch
// it is working on. Untraced frames carry a nil *Trace and pay one branch
// per hook.
type Trace struct {
	Steps   [MaxTraceSteps]Step
	N       int
	Dropped int
	// At is the index+1 of the step the next one follows (0: the root).
	At int
}

// Add records a step under the cursor and moves the cursor to it.
func (t *Trace) Add(element, decision, detail string) {
	if t.N == len(t.Steps) {
		t.Dropped++
		return
	}
	t.Steps[t.N] = Step{element, decision, detail, t.At}
	t.N++
	t.At = t.N
}

// Addf records a step with a formatted detail; it is for traced frames only.
func (t *Trace) Addf(element, decision, format string, args ...any) {
	t.Add(element, decision, fmt.Sprintf(format, args...))
}

// Reset empties the trace.
func (t *Trace) Reset() { t.N, t.Dropped, t.At = 0, 0, 0 }

// String renders the trace one step a line, in the order the steps were
// taken; where a step has several followers (a flood, a generated reply),
// each branch is drawn indented under it.
func (t *Trace) String() string {
	children := make([][]int, t.N+1)
	for i := 0; i < t.N; i++ {
		p := t.Steps[i].Parent
		children[p] = append(children[p], i+1)
	}
	var b strings.Builder
	var walk func(step int, prefix string, branch string)
	walk = func(step int, prefix, branch string) {
		s := t.Steps[step-1]
		fmt.Fprintf(&b, "%2d. %s%s%-18s %-10s %s\n", step, prefix, branch, s.Element, s.Decision, s.Detail)
		kids := children[step]
		if branch == "├─ " {
			prefix += "│  "
		} else if branch == "└─ " {
			prefix += "   "
		}
		if len(kids) == 1 {
			walk(kids[0], prefix, "")
			return
		}
		for i, k := range kids {
			if i == len(kids)-1 {
				walk(k, prefix, "└─ ")
			} else {
				walk(k, prefix, "├─ ")
			}
		}
	}
	for _, root := range children[0] {
		walk(root, "", "")
	}
	if t.Dropped > 0 {
		fmt.Fprintf(&b, "    (%d more steps not kept)\n", t.Dropped)
	}
	return b.String()
}
